import { test, expect } from './fixtures';
import type { Browser, Page } from '@playwright/test';

/**
 * The pool of compute workers in real Chromium on wasm: Compare filled for one case with one
 * worker and with two (forced with ?pool=N, each in a fresh browser profile so nothing is cached)
 * gives bit-identical maps (seeds belong to the job, not the worker); with two workers both ran
 * jobs; and leaving the case withdraws its queued maps and cancels the running ones.
 * Two models (one of each architecture) keep the run short; the bench fills all four.
 */
const MODELS = ['densenet-compact-s1', 'inception-compact-s1'];
const METHODS = 6;

interface PoolInfo { size: number; reason: string; startedPerLane: number[]; dropped: number; cancelledRunning: number; keys: string[] }
const poolInfo = (page: Page) => page.evaluate(() => (window.__heatcheck!.pool as () => Promise<PoolInfo>)());

async function openCompare(browser: Browser, pool: number) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.addInitScript(() => localStorage.setItem('heatcheck.welcomeSeen', '1'));
  await page.goto(`./?backend=wasm&pool=${pool}#/compare`);
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
  await expect(page.getByTestId('compare-grid')).toBeVisible({ timeout: 170_000 });
  // show only the two models (the others' queued maps are withdrawn)
  const toolbar = page.getByRole('toolbar', { name: 'Display options' });
  for (const m of ['densenet-compact-s2', 'inception-compact-s2']) await toolbar.getByLabel(m).uncheck();
  await expect(page.getByTestId('compare-grid').locator('thead th')).toHaveCount(MODELS.length + 1);
  return { context, page, errors };
}

async function digests(page: Page): Promise<Record<string, string>> {
  const panels = page.locator('[data-testid="compare-panel"]');
  await expect(page.locator('[data-testid="compare-panel"][data-state="done"]')).toHaveCount(METHODS * MODELS.length, { timeout: 900_000 });
  const out: Record<string, string> = {};
  for (const p of await panels.all()) out[`${await p.getAttribute('data-method')}|${await p.getAttribute('data-model')}`] = (await p.getAttribute('data-map-digest'))!;
  return out;
}

test('Compare with one worker and with two: identical maps; leaving the case cancels its queued maps', async ({ browser }) => {
  test.setTimeout(1_800_000);

  // one worker; first leave the case while its maps are queued, then come back and fill it
  const one = await openCompare(browser, 1);
  expect((await poolInfo(one.page)).size).toBe(1);
  await expect(one.page.locator('[data-testid="compare-panel"][data-state="computing"]')).toHaveCount(1, { timeout: 120_000 });
  const caseId = await one.page.getByTestId('compare-case').inputValue();
  const before = await poolInfo(one.page);
  const hashes = new Set(before.keys.map((k) => k.split('|')[1]));
  expect(hashes.size).toBe(1);
  const [leftHash] = hashes;
  expect(before.keys.length).toBeGreaterThan(1);
  await one.page.getByRole('button', { name: /Next case/ }).click();
  await expect(one.page.getByTestId('compare-case')).not.toHaveValue(caseId);
  await expect.poll(async () => (await poolInfo(one.page)).keys.filter((k) => k.includes(`|${leftHash}|`)).length).toBe(0);
  const after = await poolInfo(one.page);
  // the running map was cancelled in its worker, the queued ones dropped before they started (a
  // cheap map or two may finish between reading the queue and the click)
  expect(after.cancelledRunning).toBeGreaterThanOrEqual(before.cancelledRunning + 1);
  expect(after.dropped - before.dropped).toBeGreaterThanOrEqual(before.keys.length - 3);
  await one.page.getByTestId('compare-case').selectOption(caseId);
  const mapsOne = await digests(one.page);
  expect(one.errors).toEqual([]);
  await one.context.close();

  // two workers, a fresh profile (nothing cached)
  const two = await openCompare(browser, 2);
  const info = await poolInfo(two.page);
  expect(info.size).toBe(2);
  expect(info.reason).toContain('forced');
  await expect(two.page.getByTestId('compare-case')).toHaveValue(caseId);
  const mapsTwo = await digests(two.page);
  const stats = await poolInfo(two.page);
  expect(stats.startedPerLane[0], 'jobs on the first worker').toBeGreaterThan(0);
  expect(stats.startedPerLane[1], 'jobs on the second worker').toBeGreaterThan(0);
  expect(two.errors).toEqual([]);
  await two.context.close();

  expect(Object.keys(mapsOne).sort()).toHaveLength(METHODS * MODELS.length);
  expect(mapsTwo).toEqual(mapsOne);
});
