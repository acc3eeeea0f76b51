/**
 * The browser's pool of compute workers (printed, not asserted): `npx tsx bench/pool.ts`
 * (part of `npm run bench`). In Chromium (/usr/bin/chromium through Playwright, the built app
 * from dist/, wasm), each run in a fresh profile so nothing is cached:
 *
 * 1. Compare's fill time for one case: the first abnormal demo case, the 4 demo models x the 6
 *    methods, quick preset, from the grid's first paint to the last of the 24 panels done.
 * 2. The Dashboard's quick preset on the demo study: the evaluation with the app's default
 *    settings (4 abnormal + 4 normal cases, 3-step cascade on 3 cases), from "Evaluate" to done.
 *    BENCH_POOL_DASHBOARD='{"abnormal":2,"normal":2,"randomizationCases":1,"randomizationSteps":1,
 *    "parameters":{...}}' overrides settings (a shorter run); BENCH_POOL_SKIP=dashboard or compare skips one.
 *
 * Each with one worker (?pool=1) and with the pool (?pool=N: BENCH_POOL_SIZE, default the auto
 * rule, cores - 1, but at least 2 so there is a pool to measure), side by side, with the speed-up,
 * whether both runs' maps are bit-identical (Compare: every panel's digest; Dashboard: every
 * cell's state and value), how many jobs each worker ran, and the load average before and after
 * each run: on a machine shared with other work the figures are noisy; rerun on a quiet one.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from '@playwright/test';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const cores = os.cpus().length;
const POOL = Number(process.env.BENCH_POOL_SIZE ?? Math.max(2, cores - 1));
const SKIP = (process.env.BENCH_POOL_SKIP ?? '').split(',');
const DASHBOARD = process.env.BENCH_POOL_DASHBOARD ? JSON.parse(process.env.BENCH_POOL_DASHBOARD) as Record<string, unknown> : null;
const load = () => os.loadavg()[0].toFixed(2);

interface Run { seconds: number; lanes: number[]; digest: string; loadBefore: string; loadAfter: string }

async function openApp(browser: Browser, base: string, pool: number, hash: string, settings?: Record<string, unknown>): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript((s) => {
    localStorage.setItem('heatcheck.welcomeSeen', '1');
    if (s) localStorage.setItem('heatcheck.trust.settings', JSON.stringify(s));
  }, settings ?? null);
  await page.goto(`${base}?backend=wasm&pool=${pool}#/${hash}`);
  await page.waitForFunction(() => document.querySelector('[data-testid="backend-badge"]')?.getAttribute('data-backend') === 'wasm', null, { timeout: 120_000 });
  await page.waitForFunction(() => !document.querySelector('[data-testid="study-name"]')?.textContent?.includes('generating'), null, { timeout: 300_000 });
  return page;
}

const lanesOf = async (page: Page) => (await page.evaluate(() => (window.__heatcheck!.pool as () => Promise<{ startedPerLane: number[] }>)())).startedPerLane;

async function compareFill(browser: Browser, base: string, pool: number): Promise<Run> {
  const page = await openApp(browser, base, pool, 'compare');
  const loadBefore = load();
  await page.getByTestId('compare-grid').waitFor({ timeout: 300_000 });
  const t0 = performance.now();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="compare-panel"][data-state="done"]').length === 24, null, { timeout: 3_600_000, polling: 250 });
  const seconds = (performance.now() - t0) / 1000;
  const digest = await page.evaluate(() => [...document.querySelectorAll('[data-testid="compare-panel"]')].map((p) => `${p.getAttribute('data-method')}|${p.getAttribute('data-model')}=${p.getAttribute('data-map-digest')}`).sort().join(','));
  const lanes = await lanesOf(page);
  await page.context().close();
  return { seconds, lanes, digest, loadBefore, loadAfter: load() };
}

async function dashboard(browser: Browser, base: string, pool: number): Promise<Run> {
  const page = await openApp(browser, base, pool, 'dashboard', DASHBOARD ? { abnormal: 4, normal: 4, preset: 'quick', randomizationCases: 3, randomizationSteps: 3, ...DASHBOARD } : undefined);
  const loadBefore = load();
  const t0 = performance.now();
  await page.getByTestId('eval-start').click();
  await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('[data-testid="eval-progress"]')?.getAttribute('data-status') ?? ''), null, { timeout: 7_200_000, polling: 500 });
  const seconds = (performance.now() - t0) / 1000;
  const status = await page.getByTestId('eval-progress').getAttribute('data-status');
  if (status !== 'done') throw new Error(`the evaluation ended ${status}: ${await page.getByTestId('eval-progress').textContent()}`);
  const digest = await page.evaluate(() => [...document.querySelectorAll('[data-testid^="cell-"][data-state]')].map((c) => `${c.getAttribute('data-testid')}=${c.getAttribute('data-state')}:${c.textContent}`).sort().join(','));
  const lanes = await lanesOf(page);
  await page.context().close();
  return { seconds, lanes, digest, loadBefore, loadAfter: load() };
}

function print(what: string, one: Run, many: Run): void {
  const row = (label: string, r: Run) => `  ${label.padEnd(14)} ${r.seconds.toFixed(1).padStart(8)} s   jobs per worker [${r.lanes.join(', ')}]   load ${r.loadBefore} -> ${r.loadAfter}`;
  console.log(`\n${what}`);
  console.log(row('1 worker', one));
  console.log(row(`pool of ${POOL}`, many));
  console.log(`  speed-up ${(one.seconds / many.seconds).toFixed(2)}x; results identical: ${one.digest === many.digest && one.digest.length > 0 ? 'yes' : 'NO'}`);
}

async function main(): Promise<void> {
  if (!existsSync('/usr/bin/chromium')) {
    console.log('no /usr/bin/chromium: skipped');
    return;
  }
  if (!existsSync(path.join(root, 'dist', 'index.html'))) {
    console.log('building the app (vite build)…');
    spawnSync('npx', ['vite', 'build'], { cwd: root, stdio: 'inherit' });
  }
  const { chromium } = await import('@playwright/test');
  const port = 4240 + Math.floor(Math.random() * 50);
  const server: ChildProcess = spawn('npx', ['vite', 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'], { cwd: root, stdio: 'ignore', detached: true });
  const base = `http://127.0.0.1:${port}/`;
  console.log(`${cores} cores; pool of ${POOL} against 1 worker (auto here would be ${Math.max(1, cores - 1)}); wasm; fresh profile per run`);
  try {
    for (let i = 0; i < 60; i++) {
      try { if ((await fetch(base)).ok) break; } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 500));
    }
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
    try {
      if (!SKIP.includes('compare')) print('Compare: one case, 4 models x 6 methods, quick preset', await compareFill(browser, base, 1), await compareFill(browser, base, POOL));
      if (!SKIP.includes('dashboard')) print(`Dashboard: quick preset on the demo study${DASHBOARD ? ` (settings ${JSON.stringify(DASHBOARD)})` : ' (default settings)'}`, await dashboard(browser, base, 1), await dashboard(browser, base, POOL));
    } finally {
      await browser.close();
    }
  } finally {
    if (server.pid) process.kill(-server.pid);
  }
}

await main();
