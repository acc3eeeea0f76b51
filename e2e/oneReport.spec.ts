import { test, expect, openApp } from './fixtures';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * [one-report] in Chromium: the dashboard's "Metrics JSON" export against `heatcheck evaluate` on
 * the same inputs: the demo study's first 2 abnormal and 2 normal cases (phantoms, seed 2022, the
 * simulated readers), three of the four demo models (two seeds of one architecture for
 * repeatability, the other architecture for reproducibility), the six methods, the quick preset with small step
 * counts (this is about equality, not accuracy), the cascade's fully randomized step on 2 cases,
 * seeds 0. Values agree to 1e-4 (wasm in Node and in Chromium may differ in the last bits); states,
 * verdicts and n/a reasons are identical.
 */
const PARAMS = { ig: { steps: 2 }, sg: { samples: 2 }, sig: { samples: 2, steps: 2 }, xrai: { steps: 2 } };
const MODEL_IDS = ['densenet-compact-s1', 'densenet-compact-s2', 'inception-compact-s1'];
const MODELS = MODEL_IDS.map((id) => path.join('public/models', id));
const run = promisify(execFile);

interface Unit { models: string[]; state: string; value: number | null; reason?: string; n: number; perCase: Array<{ caseId: string; value: number }> }
interface Cell { state: string; value: number | null; reason?: string; nNeeded?: number; n: number; units: Unit[] }
interface Report { schema: string; cases: Array<{ id: string; name: string }>; cells: Record<string, Record<string, Cell>>; verdicts: Record<string, { state: string }>; classifier: Array<{ model: string; auroc: number | null }> }

test('[one-report] the dashboard JSON export equals heatcheck evaluate on the same inputs', async ({ page }) => {
  test.setTimeout(1_200_000);
  const root = mkdtempSync(path.join(tmpdir(), 'heatcheck-e2e-one-report-'));
  // the CLI runs beside the browser: the same 8 first phantoms, 4 of them balanced by label
  const cli = (async () => {
    await run('node', ['scripts/heatcheck.mjs', 'phantom', '--out', path.join(root, 'study'), '--count', '8', '--seed', '2022', '--size', '512', '--jobs', '1']);
    await run('node', ['scripts/heatcheck.mjs', 'evaluate', '--study', path.join(root, 'study'), '--models', MODELS.join(','), '--out', path.join(root, 'report.json'), '--cases', '4', '--preset', 'quick', '--params', JSON.stringify(PARAMS), '--randomization-steps', '1', '--randomization-cases', '2', '--seed', '0', '--randomization-seed', '0'], { maxBuffer: 1 << 26 });
    return JSON.parse(readFileSync(path.join(root, 'report.json'), 'utf8')) as Report;
  })();
  try {
    await page.addInitScript(({ parameters, models }) => {
      localStorage.setItem('heatcheck.trust.settings', JSON.stringify({ abnormal: 2, normal: 2, preset: 'quick', randomizationCases: 2, randomizationSteps: 1, parameters, models }));
    }, { parameters: PARAMS, models: MODEL_IDS });
    await openApp(page, { backend: 'wasm', hash: 'dashboard' });
    await expect(page.getByTestId('study-name')).not.toContainText('generating', { timeout: 170_000 });
    await page.getByTestId('eval-start').click();
    await expect(page.getByTestId('eval-progress')).toHaveAttribute('data-status', 'done', { timeout: 900_000 });
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
    const app = JSON.parse(await readFile((await json.path())!, 'utf8')) as Report;
    const fromCli = await cli;

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
    // the table shows the same states the report holds
    for (const m of Object.keys(app.cells)) for (const c of Object.keys(app.cells[m])) await expect(page.getByTestId(`cell-${m}-${c}`)).toHaveAttribute('data-state', app.cells[m][c].state);
    // a cell lists its cases per unit and opens one in Compare
    await page.getByTestId('cell-gradcam-localization').click();
    await expect(page.getByTestId('cell-cases').getByTestId('unit')).toHaveCount(MODEL_IDS.length);
    const open = page.getByTestId('cell-cases').locator('[data-testid^="open-case-"]').first();
    const caseId = (await open.getAttribute('data-testid'))!.slice('open-case-'.length);
    await open.click();
    await expect(page).toHaveURL(new RegExp(`#/compare/${encodeURIComponent(caseId).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  } finally {
    await cli.catch(() => null);
    rmSync(root, { recursive: true, force: true });
  }
});
