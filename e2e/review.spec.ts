import { test, expect, openApp, openFirstCaseOfCell } from './fixtures';
import type { Page } from '@playwright/test';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Compare and Dashboard on the demo study, wasm backend, quick preset with small step counts, a small
 * case count (2 abnormal + 2 normal, cascade on 2 cases, fully randomized step only) and three of the
 * four demo models (two seeds of one architecture, one of the other: every criterion has its pair):
 * the trust table fills with six methods x four criteria, Compare shows six methods per model on
 * non-empty canvases, a plot point opens its case in Compare, and a box drawn on Annotate changes
 * the localization figure (computed in the worker). Screenshots go to /tmp/heatcheck-review-*.png.
 *
 * [one-report] on the same evaluation, before the box edit: the dashboard's "Metrics JSON" export
 * against `heatcheck evaluate` on the same inputs (the demo study's first 2 abnormal and 2 normal
 * cases: phantoms, seed 2022, the simulated readers; the same models, methods, preset, step counts,
 * cascade and seeds 0). Values agree to 1e-4 (wasm in Node and in Chromium may differ in the last
 * bits); states, verdicts and n/a reasons are identical. (One evaluation serves both checks: it is
 * the longest part of each, and they asked for the same settings.)
 */
const METHODS = ['gradcam', 'grad', 'ig', 'sg', 'sig', 'xrai'];
const CRITERIA = ['localization', 'randomization', 'repeatability', 'reproducibility'];
/** The demo model left out of the evaluation and of Compare (three remain). */
const LEFT_OUT = 'inception-compact-s2';
const MODEL_IDS = ['densenet-compact-s1', 'densenet-compact-s2', 'inception-compact-s1'];
/** Small step counts: these checks are about the flow and about equality, not accuracy. */
const PARAMS = { ig: { steps: 2 }, sg: { samples: 2 }, sig: { samples: 2, steps: 2 }, xrai: { steps: 2 } };
const run = promisify(execFile);

interface Unit { models: string[]; state: string; value: number | null; reason?: string; n: number; perCase: Array<{ caseId: string; value: number }> }
interface Cell { state: string; value: number | null; reason?: string; nNeeded?: number; n: number; units: Unit[] }
interface Report { schema: string; cases: Array<{ id: string; name: string }>; cells: Record<string, Record<string, Cell>>; verdicts: Record<string, { state: string }>; classifier: Array<{ model: string; auroc: number | null }> }

/** `heatcheck evaluate` beside the browser on the same inputs: the same 8 first phantoms, 4 of them balanced by label. */
async function evaluateWithCli(root: string): Promise<Report> {
  const models = MODEL_IDS.map((id) => path.join('public/models', id));
  await run('node', ['scripts/heatcheck.mjs', 'phantom', '--out', path.join(root, 'study'), '--count', '8', '--seed', '2022', '--size', '512', '--jobs', '1']);
  await run('node', ['scripts/heatcheck.mjs', 'evaluate', '--study', path.join(root, 'study'), '--models', models.join(','), '--out', path.join(root, 'report.json'), '--cases', '4', '--preset', 'quick', '--params', JSON.stringify(PARAMS), '--randomization-steps', '1', '--randomization-cases', '2', '--seed', '0', '--randomization-seed', '0'], { maxBuffer: 1 << 26 });
  return JSON.parse(readFileSync(path.join(root, 'report.json'), 'utf8')) as Report;
}

/** [one-report]: the app's exported report equals the CLI's (values to 1e-4; states, reasons, verdicts identical). */
function expectSameReport(app: Report, fromCli: Report) {
  expect(app.schema).toBe('heatcheck.trust-report/1');
  expect(fromCli.schema).toBe('heatcheck.trust-report/1');
  const nameOf = (r: Report) => new Map(r.cases.map((c) => [c.id, c.name]));
  const an = nameOf(app);
  const cn = nameOf(fromCli);
  expect(app.cases.map((c) => c.name)).toEqual(fromCli.cases.map((c) => c.name));
  const close = (x: number | null, y: number | null, what: string) => {
    if (x === null || y === null) expect(y, what).toEqual(x);
    else expect(Math.abs(x - y), `${what}: ${x} vs ${y}`).toBeLessThanOrEqual(1e-4);
  };
  const reasonOf = (s: string | undefined, names: Map<string, string>) => (s ?? '').replace(/demo:/g, '') || (names.size ? '' : '');
  for (const m of Object.keys(fromCli.cells)) {
    for (const c of Object.keys(fromCli.cells[m])) {
      const x = fromCli.cells[m][c];
      const y = app.cells[m][c];
      const what = `${m} ${c}`;
      expect([y.state, reasonOf(y.reason, an), y.nNeeded, y.n, y.units.length], what).toEqual([x.state, reasonOf(x.reason, cn), x.nNeeded, x.n, x.units.length]);
      close(x.value, y.value, what);
      x.units.forEach((u, i) => {
        const v = y.units[i];
        expect([v.models, v.state, v.n], `${what} ${u.models}`).toEqual([u.models, u.state, u.n]);
        close(u.value, v.value, `${what} ${u.models}`);
        u.perCase.forEach((pc, j) => {
          expect(an.get(v.perCase[j].caseId)).toBe(cn.get(pc.caseId));
          close(pc.value, v.perCase[j].value, `${what} ${u.models} ${pc.caseId}`);
        });
      });
    }
  }
  for (const m of Object.keys(fromCli.verdicts)) expect(app.verdicts[m].state, m).toBe(fromCli.verdicts[m].state);
  fromCli.classifier.forEach((c, i) => close(c.auroc, app.classifier[i].auroc, `classifier ${c.model}`));
}

async function evaluateSmall(page: Page) {
  await page.getByTestId('eval-abnormal').selectOption('2');
  await page.getByTestId('eval-normal').selectOption('2');
  await page.getByTestId('eval-random').selectOption('2');
  await page.getByTestId('eval-steps').selectOption('1');
  await page.getByTestId('eval-preset').selectOption('quick');
  await page.locator(`[data-testid=eval-model][data-model-id="${LEFT_OUT}"]`).uncheck();
  await expect(page.locator('[data-testid=eval-model]:checked')).toHaveCount(3);
  expect(await page.locator('[data-testid=eval-model]:checked').evaluateAll((els) => els.map((e) => e.getAttribute('data-model-id')).sort())).toEqual([...MODEL_IDS].sort());
  const t0 = Date.now();
  await page.getByTestId('eval-start').click();
  await expect(page.getByTestId('eval-progress')).toHaveAttribute('data-status', 'done', { timeout: 900_000 });
  console.log(`[review] dashboard filled (2+2 cases, cascade 2 cases x 1 step, quick with small step counts, 3 models, wasm) in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${await page.getByTestId('eval-done').textContent()}`);
}

test('@review [one-report] dashboard fills and its JSON export equals heatcheck evaluate, plot drill-down opens Compare with six methods per model, a box edit moves localization', async ({ page }) => {
  test.setTimeout(1_500_000);
  const root = mkdtempSync(path.join(tmpdir(), 'heatcheck-e2e-one-report-'));
  const cli = evaluateWithCli(root);
  try {
    await review(page, cli);
  } finally {
    await cli.catch(() => null);
    rmSync(root, { recursive: true, force: true });
  }
});

async function review(page: Page, cli: Promise<Report>) {
  // The step counts have no control on the dashboard: set in its stored settings (kept across the reload below).
  await page.addInitScript((parameters) => {
    if (!localStorage.getItem('heatcheck.trust.settings')) localStorage.setItem('heatcheck.trust.settings', JSON.stringify({ parameters }));
  }, PARAMS);
  await page.setViewportSize({ width: 1500, height: 1000 });
  await openApp(page, { backend: 'wasm', hash: 'dashboard' });
  await expect(page.getByTestId('study-name')).not.toContainText('generating', { timeout: 170_000 });
  await page.screenshot({ path: '/tmp/heatcheck-review-0-dashboard-empty.png' });
  await evaluateSmall(page);

  // [one-report]: the "Metrics JSON" export against the CLI's report, and the table shows the states the report holds
  const [exported] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
  const app = JSON.parse(await readFile((await exported.path())!, 'utf8')) as Report;
  expectSameReport(app, await cli);
  for (const m of Object.keys(app.cells)) for (const c of Object.keys(app.cells[m])) await expect(page.getByTestId(`cell-${m}-${c}`)).toHaveAttribute('data-state', app.cells[m][c].state);

  // the table: six methods x four criteria, each a figure with a verdict or an explicit "n/a: reason"
  const table = page.getByTestId('trust-table');
  for (const m of METHODS) {
    for (const c of CRITERIA) {
      const cell = page.getByTestId(`cell-${m}-${c}`);
      const state = await cell.getAttribute('data-state');
      if (state === 'n/a') await expect(cell.locator('.cell-note.na')).toHaveText(/.+/);
      else {
        expect(['pass', 'fail', 'inconclusive'], `${m} ${c}`).toContain(state);
        await expect(cell.locator('.cell-value')).toHaveText(/^-?\d\.\d{3}$/);
      }
    }
    await expect(page.getByTestId(`verdict-${m}`)).toContainText(/yes|no|undetermined/);
  }
  for (const m of METHODS) await expect(page.getByTestId(`cell-${m}-localization`)).not.toHaveAttribute('data-state', 'n/a');
  await table.scrollIntoViewIfNeeded();
  await page.screenshot({ path: '/tmp/heatcheck-review-1-dashboard.png', fullPage: true });
  const before = await page.getByTestId('cell-gradcam-localization').locator('.cell-value').textContent();

  // a click on a point of the localization plot opens that case in Compare
  const plot = page.getByTestId('plot-localization');
  const dot = plot.locator('svg g[aria-label="dot"] path, svg g[aria-label="dot"] circle').first();
  await dot.scrollIntoViewIfNeeded();
  const bb = (await dot.boundingBox())!;
  await page.mouse.move(bb.x + bb.width / 2, bb.y + bb.height / 2);
  await page.mouse.click(bb.x + bb.width / 2, bb.y + bb.height / 2);
  await expect(page).toHaveURL(/#\/compare\/demo%3Acase-\d+/);
  const caseId = decodeURIComponent(page.url().split('#/compare/')[1]);
  await expect(page.getByTestId('page-compare')).toBeVisible();
  await expect(page.getByTestId('compare-case')).toHaveValue(caseId);

  // Compare: six methods for each model evaluated, each panel a drawn canvas with colour (the heatmap)
  await page.getByRole('toolbar', { name: 'Display options' }).getByLabel(LEFT_OUT).uncheck();
  await expect(page.getByTestId('compare-grid').locator('thead th')).toHaveCount(4);
  const models = await page.getByTestId('compare-grid').locator('thead th').allTextContents();
  const modelIds = models.filter((m) => m.trim() && m !== 'Method');
  expect(modelIds.length).toBeGreaterThanOrEqual(1);
  const panels = page.getByTestId('compare-panel');
  await expect(panels).toHaveCount(6 * modelIds.length);
  await expect(page.locator('[data-testid="compare-panel"][data-state="done"]')).toHaveCount(6 * modelIds.length, { timeout: 300_000 });
  for (const m of METHODS) await expect(page.locator(`[data-testid="compare-panel"][data-method="${m}"]`)).toHaveCount(modelIds.length);
  const coloured = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLCanvasElement>('[data-testid="compare-panel"] canvas')].map((c) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let colour = 0;
      for (let i = 0; i < d.length; i += 16) if (Math.abs(d[i] - d[i + 1]) > 12 || Math.abs(d[i + 1] - d[i + 2]) > 12) colour++;
      return colour;
    }),
  );
  expect(coloured.every((n) => n > 50), `coloured pixels per panel: ${coloured.join(',')}`).toBe(true);
  await expect(page.getByTestId('panel-meta').first()).toContainText(/quick preview .* wasm .* ms/);
  // IG-family panels say their steps and completeness error, and carry a visible warning exactly when it is over 5 %.
  await expect(page.locator('[data-testid="compare-panel"][data-method="ig"] [data-testid="panel-meta"]').first()).toContainText(/\d+ steps · completeness error [\d.e+-]+ %/);
  const igPanels = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('[data-testid="compare-panel"]')]
      .filter((el) => ['ig', 'sig', 'xrai'].includes(el.dataset.method ?? ''))
      .map((el) => ({ method: el.dataset.method, error: Number(/completeness error ([\d.e+-]+) %/.exec(el.querySelector('[data-testid="panel-meta"]')?.textContent ?? '')?.[1]), warnings: el.querySelectorAll('[data-testid="panel-warning"]').length })),
  );
  for (const p of igPanels) if (Number.isFinite(p.error)) expect(p.warnings > 0, `${p.method}: ${p.error} %`).toBe(p.error > 5);
  await page.screenshot({ path: '/tmp/heatcheck-review-2-compare.png', fullPage: true });

  // linked zoom: the keyboard zooms every panel at once
  await page.getByTestId('compare-grid').focus();
  await page.keyboard.press('+');
  await page.keyboard.press('+');
  await page.screenshot({ path: '/tmp/heatcheck-review-3-compare-zoomed.png' });

  // a box edit on Annotate (reader R1 marks nearly the whole image of an evaluated abnormal case)
  // changes the localization figure; the worker recomputes that case only
  const abnormal = await page.locator('[data-testid="compare-case"] option').evaluateAll((os) => (os as HTMLOptionElement[]).filter((o) => o.textContent!.includes('abnormal')).map((o) => o.value));
  const target = abnormal[0];
  await page.evaluate((id) => { location.hash = `#/annotate/${encodeURIComponent(id)}`; }, target);
  await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-case', target);
  // the app opens as the demo's new reader; this edit is simulated reader R1's (whose read is done)
  await page.getByTestId('reader-select').selectOption('R1');
  await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-reader', 'R1');
  const viewer = page.getByTestId('viewer');
  const vb = (await viewer.boundingBox())!;
  const [s, x, y] = (await viewer.getAttribute('data-view'))!.split(',').map(Number);
  const at = (ix: number, iy: number) => ({ x: Math.round(vb.x + x + ix * s), y: Math.round(vb.y + y + iy * s) });
  const a = at(3, 3), b = at(509, 509);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 4 });
  await page.mouse.move(b.x, b.y, { steps: 4 });
  await page.mouse.up();
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  await page.screenshot({ path: '/tmp/heatcheck-review-4-annotate-edit.png' });
  await page.evaluate(() => { location.hash = '#/dashboard'; });
  await expect(page.getByTestId('live-update')).toContainText(target);
  await expect(page.getByTestId('cell-gradcam-localization').locator('.cell-value')).not.toHaveText(before!);
  console.log(`[review] localization (Grad-CAM) ${before} -> ${await page.getByTestId('cell-gradcam-localization').locator('.cell-value').textContent()}; ${await page.getByTestId('live-update').textContent()}`);
  await page.screenshot({ path: '/tmp/heatcheck-review-5-dashboard-live.png', fullPage: true });
  for (const id of ['localization', 'randomization', 'reproducibility', 'readers', 'roc']) await page.getByTestId(`section-${id}`).screenshot({ path: `/tmp/heatcheck-review-6-${id}.png` });

  // exports: a self-contained HTML report (inline SVG plots, no external asset), JSON and CSV files
  const [html] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-html').click()]);
  const text = await (await import('node:fs/promises')).readFile((await html.path())!, 'utf8');
  expect(html.suggestedFilename()).toMatch(/^heatcheck-trust-.*\.html$/);
  expect(text).toContain('<svg');
  expect(text).toContain('Integrated Gradients');
  expect(text.replace(/xmlns(:\w+)?="http[^"]*"/g, '')).not.toMatch(/(src|href)=["']?https?:|<script|<link/i);
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
  const report = JSON.parse(await (await import('node:fs/promises')).readFile((await json.path())!, 'utf8'));
  expect(report.schema).toBe('heatcheck.trust-report/1');
  expect(report.methods).toHaveLength(6);
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  expect((await (await import('node:fs/promises')).readFile((await csv.path())!, 'utf8')).split('\n')[0]).toBe('row,method,criterion,models,case,state,value,ci_lo,ci_hi,n,p,n_needed,reason');

  // a reload recomputes nothing: the dashboard re-runs the evaluation from the results store
  await page.reload();
  await expect(page.getByTestId('eval-progress')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(page.getByTestId('eval-done')).toContainText(/\(0 computed, \d+ cached\)/);

  // [one-report]: a cell lists its cases per unit and opens one in Compare
  await openFirstCaseOfCell(page, 'cell-gradcam-localization', MODEL_IDS.length);
}

test('@review-bench quick preset fills the dashboard with the default case count (HEATCHECK_REVIEW_BENCH=1; prints the time)', async ({ page }) => {
  test.skip(!process.env.HEATCHECK_REVIEW_BENCH, 'a measurement, not a check: set HEATCHECK_REVIEW_BENCH=1');
  test.setTimeout(3_600_000);
  await openApp(page, { backend: 'wasm', hash: 'dashboard' });
  await expect(page.getByTestId('study-name')).not.toContainText('generating', { timeout: 170_000 });
  const t0 = Date.now();
  await page.getByTestId('eval-start').click();
  await expect(page.getByTestId('eval-progress')).toHaveAttribute('data-status', 'done', { timeout: 3_500_000 });
  console.log(`[review-bench] default settings (${await page.locator('.dash-settings').innerText()}) filled in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${await page.getByTestId('eval-done').textContent()}`);
  await page.screenshot({ path: '/tmp/heatcheck-review-bench.png', fullPage: true });
});
