import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, expect, openApp } from './fixtures';

/**
 * A real user's model, as the Keras 2 converter writes it: a full-size InceptionV3 (299x299x3,
 * Keras layer names, one sigmoid unit, seeded untrained weights, about 87 MB), model.json with
 * modelTopology.model_config, weight shards `group1-shard1of4`... without an extension, and no
 * manifest.json. Generated here into a temp folder, never committed. Imported through the real
 * file inputs of the Data page; the form must read 299x299x3 and offer mixed10 for Grad-CAM, and
 * Compare must show a non-empty Grad-CAM map for it.
 */
let dir: string;
let modelDir: string;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  const { initNodeBackend } = await import('../src/cli/nodeBackend');
  const { writeKerasInceptionV3Folder } = await import('../src/cli/modelFixtures');
  await initNodeBackend('wasm');
  dir = mkdtempSync(path.join(tmpdir(), 'heatcheck-e2e-inception-'));
  modelDir = path.join(dir, 'inception_v3');
  const t0 = Date.now();
  await writeKerasInceptionV3Folder(modelDir, { shards: 4 });
  console.log(`[realModel] InceptionV3 (Keras 2 layout) written in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${readdirSync(modelDir).join(', ')}`);
});

test.afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a Keras 2 InceptionV3 (extensionless shards, no manifest) imports through the file chooser and gets a non-empty Grad-CAM at mixed10 in Compare', async ({ page, watch }) => {
  void watch;
  test.setTimeout(900_000);
  await page.setViewportSize({ width: 1400, height: 1000 });
  await openApp(page, { backend: 'wasm', hash: 'data' });

  // The folder input (webkitdirectory): the form is filled from the model itself.
  let t0 = Date.now();
  await page.getByTestId('model-folder').setInputFiles(modelDir);
  await expect(page.getByTestId('model-read')).toHaveAttribute('data-layout', 'keras2', { timeout: 120_000 });
  console.log(`[realModel] folder chosen and read in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await expect(page.getByLabel('Input height')).toHaveValue('299');
  await expect(page.getByLabel('Input width')).toHaveValue('299');
  await expect(page.getByLabel('Input channels')).toHaveValue('3');
  await expect(page.getByTestId('model-source-input')).toHaveAttribute('data-source', 'inferred');
  await expect(page.getByLabel('Output kind')).toHaveValue('sigmoid');
  const layer = page.getByTestId('model-gradcam-layer');
  await expect(layer).toHaveValue('mixed10');
  await expect(layer.locator('option[value="mixed10"]')).toHaveAttribute('data-shape', '8x8x2048');
  await expect(layer.locator('option[value="mixed0"]')).toHaveAttribute('data-shape', '35x35x256');
  await expect(layer.locator('option[value="avg_pool"]')).toHaveCount(0);
  await page.getByTestId('model-import').screenshot({ path: '/tmp/heatcheck-realmodel-form.png' });

  // The files input, files chosen one by one: model.json and the four shards without an extension.
  const files = readdirSync(modelDir).map((n) => path.join(modelDir, n));
  expect(files.map((f) => path.basename(f)).sort()).toEqual(['group1-shard1of4', 'group1-shard2of4', 'group1-shard3of4', 'group1-shard4of4', 'model.json']);
  t0 = Date.now();
  await page.getByTestId('model-files').setInputFiles(files);
  await expect(page.getByTestId('model-files-chosen')).toContainText('group1-shard4of4', { timeout: 120_000 });
  await expect(page.getByLabel('Input height')).toHaveValue('299');
  await expect(layer).toHaveValue('mixed10');
  await page.getByLabel('Model name').fill('keras inception');
  await page.getByTestId('model-import-submit').click();
  await expect(page.getByTestId('model-import-done')).toBeVisible({ timeout: 300_000 });
  console.log(`[realModel] files chosen, read and imported in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const imported = page.locator('[data-testid=model-row][data-source=import]');
  await expect(imported).toHaveCount(1);
  await expect(imported).toContainText('299x299x3');
  await expect(imported).toContainText('mixed10');
  const modelId = (await imported.getAttribute('data-model-id'))!;

  // Compare with only the imported model shown: Grad-CAM (the first method) for it.
  await page.reload();
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
  await page.goto(page.url().replace(/#.*$/, '#/compare'));
  await expect(page.getByTestId('compare-grid')).toBeVisible({ timeout: 170_000 });
  const modelBoxes = page.locator('.cmp-field', { hasText: 'Models' }).locator('label.check');
  const labels = await modelBoxes.allTextContents();
  for (const [i, text] of labels.entries()) if (text.trim() !== modelId) await modelBoxes.nth(i).locator('input').uncheck();
  await expect(page.getByTestId('compare-grid').locator('thead th', { hasText: modelId })).toHaveCount(1);
  const panel = page.locator(`[data-testid="compare-panel"][data-method="gradcam"][data-model="${modelId}"]`);
  t0 = Date.now();
  await expect(panel).toHaveAttribute('data-state', 'done', { timeout: 600_000 });
  console.log(`[realModel] Grad-CAM on the imported InceptionV3 (wasm) done in ${((Date.now() - t0) / 1000).toFixed(1)} s (Compare start to panel done)`);
  await page.screenshot({ path: '/tmp/heatcheck-realmodel-compare.png' });
  const coloured = await panel.locator('canvas').first().evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 16) if (Math.abs(d[i] - d[i + 1]) > 12 || Math.abs(d[i + 1] - d[i + 2]) > 12) n++;
    return n;
  });
  expect(coloured).toBeGreaterThan(0);

  // The same map from the worker's cache: 299x299 input grid cut at mixed10, values in [0, 1], not all zero.
  const caseId = await page.getByTestId('compare-case').inputValue();
  const r = await page.evaluate(async ([m, id]) => {
    const hash = await new Promise<string>((res) => {
      const o = indexedDB.open('heatcheck');
      o.onsuccess = () => { const g = o.result.transaction('cases').objectStore('cases').get(id); g.onsuccess = () => { o.result.close(); res((g.result as { imageHash: string }).imageHash); }; };
    });
    const map = await (window.__heatcheck!.computeMap as (q: unknown) => Promise<{ ok: boolean; message?: string; value?: { map: Float32Array; cached: boolean; rawShape: number[] } }>)({ imageHash: hash, modelId: m, method: 'gradcam', preset: 'quick', seed: 0 });
    if (!map.ok || !map.value) return { ok: false, message: map.message };
    let max = 0, positive = 0;
    for (const v of map.value.map) { max = Math.max(max, v); if (v > 0) positive++; }
    return { ok: true, max, positive, len: map.value.map.length, cached: map.value.cached };
  }, [modelId, caseId] as const);
  expect(r, r.message).toMatchObject({ ok: true, max: 1 });
  expect(r.positive!).toBeGreaterThan(0);
});
