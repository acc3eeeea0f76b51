import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test, expect, openApp, fixtureFolder, firstAbnormalDemoImageHash } from './fixtures';
import type { Page } from '@playwright/test';

/**
 * PyTorch models exported to ONNX, in Chromium (wasm): small conv nets written at test time by
 * scripts/onnx_browser_fixtures.py with Debian's PyTorch (two seeds of one architecture in folders
 * with model.onnx + manifest.json, the seed-1 net again as a single .onnx file with its weights in
 * an external-data file and no manifest, and a graph with an op the importer does not read).
 * Imported through the Data page (dropped files, and the folder chooser); the logit, input
 * gradient and Grad-CAM of the imported model in the browser's worker equal PyTorch autograd's on
 * the same input (1e-4 relative; 1e-3 of the reference's max |value|); Compare shows all six maps
 * for it; the extras (Guided IG, Blur IG, occlusion) compute on it; the dashboard computes all four criteria with it in the units (repeatability: the two
 * seeds; reproducibility: against a demo model's family; randomization: its Conv/Gemm cascade).
 */
const METHODS = ['gradcam', 'grad', 'ig', 'sg', 'sig', 'xrai'];
const CRITERIA = ['localization', 'randomization', 'repeatability', 'reproducibility'];
const PARAMS = { ig: { steps: 2 }, sg: { samples: 2 }, sig: { samples: 2, steps: 2 }, xrai: { steps: 2 } };

interface Reference { size: number; channels: number; input: number[]; logit: number; gradient: number[]; cam: number[]; camShape: [number, number] }
interface Unit { models: string[]; state: string; value: number | null; reason?: string }
interface Report { cells: Record<string, Record<string, { state: string; units: Unit[] }>>; models: Array<{ id: string; cascade: unknown }> }

const fx = fixtureFolder('onnx');
test.beforeAll(() => {
  execFileSync('/usr/bin/python3', ['scripts/onnx_browser_fixtures.py', fx.root], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
});

const file = (rel: string) => path.join(fx.root, rel);

/** Drops files on the import form as a user dragging them from a file manager would. */
async function dropFiles(page: Page, rels: string[]) {
  const files = rels.map((r) => ({ name: path.basename(r), bytes: Array.from(readFileSync(file(r))) }));
  const dt = await page.evaluateHandle((fs) => {
    const d = new DataTransfer();
    for (const f of fs) d.items.add(new File([new Uint8Array(f.bytes)], f.name));
    return d;
  }, files);
  await page.getByTestId('model-import').dispatchEvent('drop', { dataTransfer: dt });
}

/** max |a - b| / max |b|. */
function relMax(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, m = 0;
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
  return d / m;
}

test('an ONNX model imports on the Data page, equals PyTorch in Chromium, shows six maps in Compare and gets all four criteria on the dashboard', async ({ page, watch }) => {
  void watch;
  test.setTimeout(900_000);
  await page.setViewportSize({ width: 1500, height: 1100 });
  await openApp(page, { backend: 'wasm', hash: 'data' });
  const err = page.getByTestId('model-import-error');

  // An op the importer does not read: named with its node, the opset and the file.
  await page.getByTestId('model-files').setInputFiles([file('unsupported.onnx')]);
  await expect(err).toHaveAttribute('data-code', 'BAD_INPUT_ONNX_OP');
  await expect(err).toContainText('unsupported.onnx: node "top5" uses op TopK (opset 13)');
  // The .onnx file without the external-data file its weights are in.
  await page.getByTestId('model-files').setInputFiles([file('single/tinyconv.onnx')]);
  await expect(err).toHaveAttribute('data-code', 'BAD_INPUT_ONNX_EXTERNAL_DATA');
  await expect(err).toContainText('tinyconv.onnx');
  await expect(err).toContainText('"tinyconv.onnx.data", which is not among the files');

  // The .onnx file and its external data dropped on the form; no manifest: the input size comes from the graph, the presets are offered.
  await dropFiles(page, ['single/tinyconv.onnx', 'single/tinyconv.onnx.data']);
  const read = page.getByTestId('model-read');
  await expect(read).toHaveAttribute('data-format', 'onnx');
  await expect(read).toContainText('external data tinyconv.onnx.data');
  await expect(err).toHaveCount(0);
  await expect(page.getByLabel('Input height')).toHaveValue('64');
  await expect(page.getByLabel('Input width')).toHaveValue('64');
  await expect(page.getByLabel('Input channels')).toHaveValue('3');
  await expect(page.getByTestId('model-source-input')).toHaveAttribute('data-source', 'inferred');
  await expect(page.getByTestId('model-source-preprocessing')).toHaveAttribute('data-source', 'default');
  const preset = page.getByTestId('model-preset');
  await expect(preset).toHaveValue('imagenet');
  await expect(preset.locator('option')).toHaveText(['ImageNet (mean/std)', '[0,1]', '[-1,1]']);
  await preset.selectOption('symmetric');
  await expect(page.getByLabel('Scale')).toHaveValue('2');
  await expect(page.getByLabel('Offset')).toHaveValue('-1');
  await expect(page.getByTestId('model-mean-std')).toHaveCount(0);
  await preset.selectOption('unit');
  await expect(page.getByLabel('Scale')).toHaveValue('1');
  await expect(page.getByLabel('Offset')).toHaveValue('0');
  await preset.selectOption('imagenet');
  await expect(page.getByTestId('model-mean-std')).toContainText('mean 0.485, 0.456, 0.406; std 0.229, 0.224, 0.225');
  // Grad-CAM candidates as for TF.js models: the default is the last ReLU (16x16x16) before the global pooling.
  const layer = page.getByTestId('model-gradcam-layer');
  await expect(layer).toHaveValue('/Relu_2_output_0');
  await expect(layer.locator('option[value="/Relu_2_output_0"]')).toHaveAttribute('data-shape', '16x16x16');
  await expect(layer.locator('option[value="/c1/Conv_output_0"]')).toHaveAttribute('data-shape', '64x64x8');
  await page.getByTestId('model-import').screenshot({ path: '/tmp/heatcheck-onnx-form.png' });
  await page.getByLabel('Model name').fill('tinyconv single file');
  await page.getByTestId('model-import-submit').click();
  await expect(page.getByTestId('model-import-done')).toBeVisible({ timeout: 120_000 });

  // The two seeds as folders (model.onnx + manifest.json: family, seed, ImageNet preprocessing).
  for (const seed of [1, 2]) {
    await page.getByTestId('model-folder').setInputFiles(file(`tinyconv-s${seed}`));
    await expect(read).toHaveAttribute('data-format', 'onnx');
    await expect(read).toContainText('with manifest.json');
    await expect(page.getByTestId('model-source-preprocessing')).toHaveAttribute('data-source', 'manifest');
    await expect(preset).toHaveValue('imagenet');
    await page.getByTestId('model-import-submit').click();
    await expect(page.getByTestId('model-import-done')).toBeVisible({ timeout: 120_000 });
  }
  const imported = page.locator('[data-testid=model-row][data-source=import]');
  await expect(imported).toHaveCount(3);

  // They survive a reload.
  await page.reload();
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
  await expect(imported).toHaveCount(3);
  const rowOf = (name: string) => imported.filter({ hasText: name });
  await expect(rowOf('tinyconv seed 1')).toContainText('64x64x3');
  await expect(rowOf('tinyconv seed 1')).toContainText('/Relu_2_output_0');
  await expect(rowOf('tinyconv single file')).toContainText('mean 0.485, 0.456, 0.406');
  const ids = { s1: (await rowOf('tinyconv seed 1').getAttribute('data-model-id'))!, s2: (await rowOf('tinyconv seed 2').getAttribute('data-model-id'))!, single: (await rowOf('tinyconv single file').getAttribute('data-model-id'))! };
  await page.getByTestId('models-section').screenshot({ path: '/tmp/heatcheck-onnx-data.png' });

  // In Chromium's worker, on PyTorch's input: logit, input gradient and Grad-CAM at the same layer equal PyTorch autograd's.
  for (const [id, seed] of [[ids.s1, 1], [ids.s2, 2], [ids.single, 1]] as const) {
    const ref = JSON.parse(readFileSync(file(`tinyconv-s${seed}.ref.json`), 'utf8')) as Reference;
    const r = await page.evaluate(async ([m, x]) => {
      const out = await (window.__heatcheck!.probeAt as (m: string, x: Float32Array) => Promise<{ ok: boolean; message?: string; value?: { logit: number; gradient: Float32Array; cam: Float32Array; camShape: number[]; layer: string; backend: string } }>)(m, new Float32Array(x));
      return out.ok ? { ok: true, logit: out.value!.logit, gradient: Array.from(out.value!.gradient), cam: Array.from(out.value!.cam), camShape: out.value!.camShape, layer: out.value!.layer, backend: out.value!.backend } : { ok: false, message: out.message };
    }, [id, ref.input] as const);
    expect(r.ok, r.message).toBe(true);
    expect(r.backend).toBe('wasm');
    const logitRel = Math.abs(r.logit! - ref.logit) / Math.abs(ref.logit);
    const gradRel = relMax(r.gradient!, ref.gradient);
    expect(r.layer).toBe('/Relu_2_output_0');
    expect(r.camShape).toEqual(ref.camShape);
    const camRel = relMax(r.cam!, ref.cam);
    console.log(`[onnx] ${id}: logit ${r.logit} vs PyTorch ${ref.logit} (rel ${logitRel.toExponential(2)}), input gradient rel ${gradRel.toExponential(2)}, Grad-CAM rel ${camRel.toExponential(2)}`);
    expect(logitRel).toBeLessThanOrEqual(1e-4);
    expect(gradRel).toBeLessThanOrEqual(1e-3);
    expect(camRel).toBeLessThanOrEqual(1e-3);
  }

  // Compare with only the seed-1 model shown: all six maps done, each a drawn canvas with colour.
  await page.goto(page.url().replace(/#.*$/, '#/compare'));
  await expect(page.getByTestId('compare-grid')).toBeVisible({ timeout: 170_000 });
  const modelBoxes = page.locator('.cmp-field', { hasText: 'Models' }).locator('label.check');
  const labels = await modelBoxes.allTextContents();
  expect(labels.map((l) => l.trim())).toContain(ids.s1);
  for (const [i, text] of labels.entries()) if (text.trim() !== ids.s1) await modelBoxes.nth(i).locator('input').uncheck();
  await expect(page.getByTestId('compare-grid').locator('thead th', { hasText: ids.s1 })).toHaveCount(1);
  for (const m of METHODS) {
    const panel = page.locator(`[data-testid="compare-panel"][data-method="${m}"][data-model="${ids.s1}"]`);
    await expect(panel, m).toHaveAttribute('data-state', 'done', { timeout: 300_000 });
    const coloured = await panel.locator('canvas').first().evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 16) if (Math.abs(d[i] - d[i + 1]) > 12 || Math.abs(d[i + 1] - d[i + 2]) > 12) n++;
      return n;
    });
    expect(coloured, `${m} map drawn`).toBeGreaterThan(0);
  }
  await page.screenshot({ path: '/tmp/heatcheck-onnx-compare.png' });

  // The extras (Guided IG, Blur IG, occlusion) on the imported graph in Chromium's worker: a
  // finite map of the image's size, not constant, with the IG family's completeness recorded.
  const imageHash = await firstAbnormalDemoImageHash(page);
  for (const method of ['guided-ig', 'blur-ig', 'occlusion']) {
    const r = await page.evaluate(async (req) => {
      const out = await (window.__heatcheck!.computeMap as (q: unknown) => Promise<{ ok: boolean; message?: string; value?: { map: Float32Array; width: number; height: number; completenessError?: number } }>)(req);
      if (!out.ok || !out.value) return { ok: false, message: out.message };
      let min = Infinity, max = -Infinity, finite = true;
      for (const x of out.value.map) { min = Math.min(min, x); max = Math.max(max, x); if (!Number.isFinite(x)) finite = false; }
      return { ok: true, len: out.value.map.length, size: out.value.width * out.value.height, min, max, finite, completenessError: out.value.completenessError };
    }, { imageHash, modelId: ids.s1, method, preset: 'quick', seed: 3 });
    expect(r.ok, `${method}: ${r.message ?? ''}`).toBe(true);
    expect(r.len, method).toBe(r.size);
    expect(r.finite, method).toBe(true);
    expect(r.max!, `${method}: a constant map`).toBeGreaterThan(r.min!);
    if (method !== 'occlusion') expect(typeof r.completenessError, method).toBe('number');
  }

  // The dashboard on the two ONNX seeds and one demo model (another family), small settings.
  await page.evaluate(([parameters, models]) => {
    localStorage.setItem('heatcheck.trust.settings', JSON.stringify({ abnormal: 2, normal: 1, preset: 'quick', randomizationCases: 1, randomizationSteps: 1, parameters, models }));
  }, [PARAMS, [ids.s1, ids.s2, 'densenet-compact-s1']] as const);
  await page.goto(page.url().replace(/#.*$/, '#/dashboard'));
  await page.reload();
  await expect(page.getByTestId('study-name')).not.toContainText('generating', { timeout: 170_000 });
  const ticked = page.locator('[data-testid=eval-model]:checked');
  await expect(ticked).toHaveCount(3);
  expect((await ticked.evaluateAll((els) => els.map((e) => e.getAttribute('data-model-id')))).sort()).toEqual([ids.s1, ids.s2, 'densenet-compact-s1'].sort());
  const t0 = Date.now();
  await page.getByTestId('eval-start').click();
  await expect(page.getByTestId('eval-progress')).toHaveAttribute('data-status', 'done', { timeout: 1_200_000 });
  console.log(`[onnx] dashboard (2+1 cases, cascade 1 case x 1 step, quick, 3 models, wasm) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await page.screenshot({ path: '/tmp/heatcheck-onnx-dashboard.png', fullPage: true });
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
  const report = JSON.parse(await readFile((await json.path())!, 'utf8')) as Report;
  // The ONNX model's cascade is its Conv/Gemm nodes (fc, c3, c2, c1), not "unavailable".
  const cascade = report.models.find((m) => m.id === ids.s1)!.cascade as Array<{ block: string }>;
  expect(Array.isArray(cascade), JSON.stringify(cascade)).toBe(true);
  expect(cascade.length).toBe(4);
  const demo = /^(densenet|inception)-compact-s\d$/;
  for (const m of METHODS) {
    const cells = report.cells[m];
    const unit = (c: string, pick: (u: Unit) => boolean) => {
      const u = cells[c].units.find(pick);
      expect(u, `${m} ${c}: a unit with the ONNX model (units: ${cells[c].units.map((x) => x.models.join('+')).join('; ')})`).toBeTruthy();
      expect(u!.state, `${m} ${c} ${u!.models.join('+')}: ${u!.reason ?? ''}`).not.toBe('n/a');
      expect(typeof u!.value, `${m} ${c} ${u!.models.join('+')}`).toBe('number');
      return u!;
    };
    unit('localization', (u) => u.models.length === 1 && u.models[0] === ids.s1);
    unit('randomization', (u) => u.models.length === 1 && u.models[0] === ids.s1);
    unit('repeatability', (u) => u.models.includes(ids.s1) && u.models.includes(ids.s2));
    unit('reproducibility', (u) => u.models.includes(ids.s1) && u.models.some((x) => demo.test(x)));
    for (const c of CRITERIA) await expect(page.getByTestId(`cell-${m}-${c}`)).not.toHaveAttribute('data-state', 'n/a');
  }
});
