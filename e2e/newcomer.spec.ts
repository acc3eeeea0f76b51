import { encode as encodePng } from 'fast-png';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { test, expect, openApp, fixtureFolder, openFirstCaseOfCell } from './fixtures';
import { generatePhantomCase } from '../src/core/phantom';

/**
 * The first hour of a newcomer: the welcome, a first box of their own as the demo's new reader,
 * the trust table, then a real study (PNGs written here) with readers they name. Plus what that
 * path relies on: the measured default backend, edits that survive an unload in the same turn,
 * the Content-Security-Policy, the sticky colorbar, the keyboard, and axe.
 */
const { root, put } = fixtureFolder('newcomer');
const EVALUATED_MODELS = ['densenet-compact-s1', 'densenet-compact-s2'];
const phantomPng = (seed: number, i: number, size = 96) => encodePng({ width: size, height: size, data: generatePhantomCase(seed, i, { size }).image, channels: 1, depth: 8 });

type B = { id: string; x0: number; y0: number; x1: number; y1: number };
async function stored(page: Page, reader: string, caseId: string): Promise<{ boxes: B[]; status: string } | undefined> {
  return page.evaluate(async ([r, c]) => {
    const db: IDBDatabase = await new Promise((res, rej) => { const q = indexedDB.open('heatcheck'); q.onsuccess = () => res(q.result); q.onerror = () => rej(q.error); });
    const rec = await new Promise<unknown>((res, rej) => { const q = db.transaction('annotations').objectStore('annotations').get([r, c]); q.onsuccess = () => res(q.result); q.onerror = () => rej(q.error); });
    db.close();
    return rec as { boxes: B[]; status: string } | undefined;
  }, [reader, caseId]);
}

test.describe('a newcomer', () => {
  test.use({ showWelcome: true });

  test('@newcomer from the welcome to a first own box, the trust table and a cell\'s cases, and a real study with its own readers', async ({ page, watch }) => {
    void watch;
    test.setTimeout(900_000);
    await page.setViewportSize({ width: 1400, height: 860 });
    // a small trust evaluation (2 abnormal cases, few steps, two seeds of one demo architecture), so
    // the table fills in a test's time; reproducibility, with one architecture, says what it needs
    await page.addInitScript((models) => {
      if (!localStorage.getItem('heatcheck.trust.settings')) {
        const parameters = { ig: { steps: 2 }, sg: { samples: 2 }, sig: { samples: 2, steps: 2 }, xrai: { steps: 2 } };
        localStorage.setItem('heatcheck.trust.settings', JSON.stringify({ abnormal: 2, normal: 0, preset: 'quick', randomizationCases: 2, randomizationSteps: 1, parameters, models }));
      }
    }, EVALUATED_MODELS);
    // no ?backend: the measured default, on this GPU-less machine wasm (WebGL here is SwiftShader)
    await openApp(page);
    const badge = page.getByTestId('backend-badge');
    await expect(badge).toHaveAttribute('data-backend', 'wasm');
    await expect(page.getByTestId('backend-why')).toContainText('fastest measured');
    expect(await badge.getAttribute('data-reason')).toMatch(/start-up conv wasm [\d.]+ ms/);

    // the welcome says what this is and what to try
    const welcome = page.getByRole('dialog', { name: 'Welcome to Heatcheck' });
    await expect(welcome).toBeVisible();
    await expect(welcome).toContainText('demo study');
    await expect(welcome).toContainText('simulated');
    await page.getByTestId('welcome-read').click();
    await expect(welcome).toHaveCount(0);

    // the new, empty reader: not R1's finished work
    await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-reader', 'you');
    await expect(page.getByTestId('current-reader')).toContainText('You (new reader)');
    await expect(page.getByTestId('progress')).toContainText('0 / 40 done', { timeout: 120_000 });
    const caseId = (await page.getByTestId('page-annotate').getAttribute('data-case'))!;
    expect(caseId).toMatch(/^demo:/);
    // the simulated readers are there, marked so
    const options = await page.getByTestId('reader-select').locator('option').allTextContents();
    expect(options.filter((o) => o.includes('simulated'))).toHaveLength(3);

    // a first box, from the keyboard: B, arrows, Shift+arrows, Enter
    await expect(page.getByTestId('viewer')).toHaveAttribute('role', 'application');
    await page.keyboard.press('b');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Shift+ArrowDown');
    await expect(page.getByTestId('box-list').locator('button')).toHaveCount(0); // not kept before Enter
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('box-list').locator('button')).toHaveCount(1);
    await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
    const mine = await stored(page, 'you', caseId);
    expect(mine?.boxes).toHaveLength(1);
    // 512 px image: the box starts an eighth of it (64 px) wide, one step right, one step taller
    const b = mine!.boxes[0];
    expect(b.x1 - b.x0).toBe(64);
    expect(b.y1 - b.y0).toBeGreaterThan(64);
    // R1's simulated work is untouched and not ours
    expect((await stored(page, 'R1', caseId))?.status).toMatch(/done|no-finding/);

    // a box on a case answered "no abnormality found" withdraws the answer visibly, never silently
    await page.keyboard.press('n');
    await expect(page.getByTestId('page-annotate')).not.toHaveAttribute('data-case', caseId);
    await page.keyboard.press('0');
    await page.keyboard.press('p');
    await expect(page.getByTestId('case-status')).toHaveAttribute('data-status', 'no-finding');
    await page.keyboard.press('b');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('sync-notice')).toContainText('"No abnormality found" was withdrawn');
    await expect(page.getByTestId('case-status')).toHaveAttribute('data-status', 'in-progress');
    console.log(`[newcomer] backend reason: ${await badge.getAttribute('data-reason')}`);

    // the keyboard box is in the ? list (the one registry)
    await page.keyboard.press('?');
    await expect(page.getByTestId('hotkey-overlay').locator('[data-shortcut="box.keyboard.start"]')).toBeVisible();
    await page.keyboard.press('Escape');

    // Help opens the welcome again; it goes to the trust table
    await page.getByTestId('help-button').click();
    await expect(welcome).toBeVisible();
    await page.getByTestId('welcome-trust').click();
    await expect(page.getByTestId('page-dashboard')).toBeVisible();
    // the trust table fills; a cell lists its cases per model and opens one in Compare
    await page.getByTestId('eval-start').click();
    await expect(page.getByTestId('eval-progress')).toHaveAttribute('data-status', 'done', { timeout: 600_000 });
    await expect(page.getByTestId('page-dashboard')).toContainText('needs models of two different families');
    await openFirstCaseOfCell(page, 'cell-gradcam-localization', EVALUATED_MODELS.length);
    await expect(page.getByTestId('page-compare')).toBeVisible();
    await page.goto(page.url().replace(/#.*$/, '#/dashboard'));
    await expect(page.getByTestId('page-dashboard')).toBeVisible();
    // once closed, a reload does not show it again
    await page.reload();
    await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /.+/, { timeout: 60_000 });
    await expect(welcome).toHaveCount(0);

    // a real study: PNGs written here, readers named by the user, never the simulated ones
    const files = [0, 1, 2].map((i) => put(`ward/img${i + 1}.png`, phantomPng(31, i)));
    await page.goto('./#/data');
    await page.getByTestId('import-into-new').check();
    await page.getByTestId('import-study-name').fill('Ward study');
    await page.getByTestId('import-reader-names').fill('Alice, Bob');
    await page.getByTestId('import-files').setInputFiles(files);
    await expect(page.getByTestId('import-added')).toHaveText('3', { timeout: 60_000 });
    await expect(page.getByTestId('import-readers')).toHaveText('Alice, Bob');
    await expect(page.getByTestId('study-name')).toHaveText('Ward study');
    const rows = page.getByTestId('readers-section').locator('tbody tr');
    await expect(rows).toHaveCount(2);
    await expect(page.getByTestId('readers-section')).not.toContainText('simulated');
    await expect(page.getByTestId('current-reader')).toContainText('Alice');

    // an import where nothing succeeds changes nothing and says so
    await page.getByTestId('import-files').setInputFiles(put('ward/notes.dcm', 'not a DICOM file, just text'));
    await expect(page.getByTestId('import-nothing')).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('import-nothing')).toContainText('nothing changed');
    await expect(page.getByTestId('problems-table')).toContainText('notes.dcm');
    await expect(page.getByTestId('study-name')).toHaveText('Ward study');
    await expect(page.getByTestId('study-cases').locator('tbody tr')).toHaveCount(3);

    // into the current study, by choice: the same study, its readers kept
    await page.getByTestId('import-into-current').check();
    await page.getByTestId('import-files').setInputFiles(put('more/img4.png', phantomPng(31, 3)));
    await expect(page.getByTestId('import-added')).toHaveText('1', { timeout: 60_000 });
    await expect(page.getByTestId('study-name')).toHaveText('Ward study');
    await expect(page.getByTestId('study-cases').locator('tbody tr')).toHaveCount(4);
    await expect(rows).toHaveCount(2);

    // Annotate offers the study's own readers only
    await page.goto('./#/annotate');
    await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-case', /^import-/, { timeout: 60_000 });
    const readerOptions = await page.getByTestId('reader-select').locator('option').allTextContents();
    expect(readerOptions.map((o) => o.split(' (')[0])).toEqual(['Alice', 'Bob']);
  });
});

test('@newcomer a box drawn and the page unloaded in the same turn as the pointer-up, 20 times: 20 of 20 kept', async ({ page, watch }) => {
  void watch;
  await page.setViewportSize({ width: 1400, height: 860 });
  await openApp(page, { backend: 'wasm', hash: 'annotate' });
  await expect(page.getByTestId('progress')).toContainText('/ 40 done', { timeout: 120_000 });
  const caseId = (await page.getByTestId('page-annotate').getAttribute('data-case'))!;
  for (let i = 0; i < 20; i++) {
    await expect(page.getByTestId('box-list').locator('button')).toHaveCount(i, { timeout: 60_000 });
    await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-case', caseId);
    const bb = (await page.getByTestId('viewer').boundingBox())!;
    const [s, vx, vy] = (await page.getByTestId('viewer').getAttribute('data-view'))!.split(',').map(Number);
    const at = (ix: number, iy: number) => ({ x: bb.x + vx + ix * s, y: bb.y + vy + iy * s });
    const ix = 20 + (i % 5) * 95, iy = 20 + Math.floor(i / 5) * 120;
    const a = at(ix, iy), c = at(ix + 50, iy + 60);
    // the reload runs inside the pointer-up's own event dispatch (a window listener after React's)
    await page.evaluate(() => window.addEventListener('pointerup', () => location.reload(), { once: true }));
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move((a.x + c.x) / 2, (a.y + c.y) / 2, { steps: 2 });
    await page.mouse.move(c.x, c.y, { steps: 2 });
    await page.mouse.up();
    await page.waitForLoadState('load');
    await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /.+/, { timeout: 60_000 });
  }
  await expect(page.getByTestId('box-list').locator('button')).toHaveCount(20, { timeout: 60_000 });
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  await expect.poll(async () => (await stored(page, 'you', caseId))?.boxes.length ?? 0).toBe(20);
});

test('@newcomer the built app ships a strict Content-Security-Policy: a fetch to another origin is blocked', async ({ page, baseURL }) => {
  await openApp(page, { backend: 'wasm', hash: 'data' });
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(csp).toContain("default-src 'self'");
  expect(csp).toMatch(/connect-src 'self'(;| ;)/);
  expect(csp).toContain("'wasm-unsafe-eval'");
  expect(csp).toContain("worker-src 'self' blob:");
  // another origin that is up and answering (the same server under another host name): still refused
  const other = new URL(baseURL!);
  other.hostname = other.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  const r = await page.evaluate(async (url) => {
    const violations: string[] = [];
    document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    let outcome = '';
    try { await fetch(url); outcome = 'fetched'; } catch (e) { outcome = `blocked: ${(e as Error).name}`; }
    await new Promise((res) => setTimeout(res, 100));
    const same = await fetch('./favicon.svg').then((x) => x.status, () => -1);
    return { outcome, violations, same };
  }, `${other.origin}/favicon.svg`);
  expect(r.outcome).toMatch(/^blocked/);
  expect(r.violations.some((v) => v.startsWith('connect-src'))).toBe(true);
  expect(r.same).toBe(200); // this origin still answers
});

test('@newcomer the Data page case table is one tab stop; arrow keys move between rows', async ({ page }) => {
  await openApp(page, { backend: 'cpu', hash: 'data' });
  const table = page.getByTestId('study-cases');
  await expect(table.locator('tbody tr')).toHaveCount(40, { timeout: 120_000 });
  await expect(table.locator('button[tabindex="0"]')).toHaveCount(1);
  await table.locator('button').first().focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(table.locator('tbody tr').nth(2).locator('button')).toBeFocused();
  await page.keyboard.press('End');
  await expect(table.locator('tbody tr').nth(39).locator('button')).toBeFocused();
  // Tab leaves the table at once (the exports follow, not 40 more stops)
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.closest('[data-testid="study-cases"]') === null)).toBe(true);
});

test('@newcomer Compare: the colorbar stays in view while the map grid scrolls', async ({ page }) => {
  await page.setViewportSize({ width: 1200, height: 700 });
  await openApp(page, { backend: 'cpu', hash: 'compare' });
  await expect(page.getByTestId('compare-grid')).toBeVisible({ timeout: 120_000 });
  const main = page.locator('#main');
  const scrollable = await main.evaluate((el) => el.scrollHeight - el.clientHeight);
  expect(scrollable).toBeGreaterThan(200); // the grid is taller than the window
  await main.evaluate((el) => { el.scrollTop = el.scrollHeight; });
  const mainBox = (await main.boundingBox())!;
  const bar = (await page.getByTestId('colorbar').boundingBox())!;
  expect(bar.y).toBeGreaterThanOrEqual(mainBox.y - 1);
  expect(bar.y + bar.height).toBeLessThanOrEqual(mainBox.y + mainBox.height);
});

test('@newcomer axe: no serious or critical accessibility violations on Annotate, Compare, Dashboard and Data', async ({ page }) => {
  await page.setViewportSize({ width: 1400, height: 860 });
  await openApp(page, { backend: 'cpu', hash: 'annotate' });
  await expect(page.getByTestId('progress')).toContainText('/ 40 done', { timeout: 120_000 });
  const found: string[] = [];
  for (const id of ['annotate', 'compare', 'dashboard', 'data']) {
    await page.goto(`./?backend=cpu#/${id}`);
    await expect(page.getByTestId(`page-${id}`)).toBeVisible({ timeout: 60_000 });
    await page.waitForTimeout(1500); // let the page settle (models listed, first maps queued)
    const res = await new AxeBuilder({ page }).analyze();
    for (const v of res.violations) {
      if (v.impact === 'serious' || v.impact === 'critical') found.push(`${id}: ${v.id} (${v.impact}): ${v.help} @ ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    }
  }
  // and the welcome dialog over a page
  await page.getByTestId('help-button').click();
  await expect(page.getByRole('dialog', { name: 'Welcome to Heatcheck' })).toBeVisible();
  for (const v of (await new AxeBuilder({ page }).analyze()).violations) {
    if (v.impact === 'serious' || v.impact === 'critical') found.push(`welcome: ${v.id} (${v.impact}): ${v.help}`);
  }
  expect(found).toEqual([]);
});
