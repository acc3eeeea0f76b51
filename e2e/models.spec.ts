import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect, openApp } from './fixtures';

const DEMO = ['densenet-compact-s1', 'densenet-compact-s2', 'inception-compact-s1', 'inception-compact-s2'];
const manifestOf = (id: string) => JSON.parse(readFileSync(path.join('public', 'models', id, 'manifest.json'), 'utf8')) as { heldOutTest: { auroc: number }; weightsSha256: string };

test('the Data page lists the four demo models with their held-out AUROC', async ({ page }) => {
  await openApp(page, { backend: 'wasm', hash: 'data' });
  for (const id of DEMO) {
    const m = manifestOf(id);
    expect(m.heldOutTest.auroc).toBeGreaterThanOrEqual(0.9);
    const row = page.locator(`[data-testid=model-row][data-model-id="${id}"]`);
    await expect(row).toBeVisible();
    await expect(row.getByTestId('model-auroc')).toContainText(m.heldOutTest.auroc.toFixed(3));
    await expect(row).toContainText(m.weightsSha256.slice(0, 12));
  }
});

test('a model.json without its shard is refused with a clear error', async ({ page }) => {
  await openApp(page, { backend: 'wasm', hash: 'data' });
  await page.getByTestId('model-files').setInputFiles([path.join('public', 'models', 'densenet-compact-s1', 'model.json')]);
  await page.getByTestId('model-import-submit').click();
  const err = page.getByTestId('model-import-error');
  await expect(err).toHaveAttribute('data-code', 'BAD_INPUT_MISSING_SHARD');
  await expect(err).toContainText('weights.bin');
  await expect(page.locator('[data-testid=model-row][data-source=import]')).toHaveCount(0);
});

test('an imported model survives a reload and predicts the demo model\'s logit on a demo case', async ({ page }) => {
  await openApp(page, { backend: 'wasm', hash: 'data' });
  // "My own model": the files of a demo model folder, chosen through the file picker.
  const dir = path.join('public', 'models', 'densenet-compact-s1');
  await page.getByTestId('model-files').setInputFiles([path.join(dir, 'model.json'), path.join(dir, 'weights.bin')]);
  await expect(page.getByLabel('Input height')).toHaveValue('128');
  await page.getByLabel('Model name').fill('my own model');
  await page.getByTestId('model-import-submit').click();
  await expect(page.getByTestId('model-import-done')).toBeVisible();
  const imported = page.locator('[data-testid=model-row][data-source=import]');
  await expect(imported).toHaveCount(1);
  await expect(imported).toContainText('my own model');

  await page.reload();
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
  await expect(imported).toHaveCount(1);
  await expect(imported).toContainText('my own model');
  await expect(imported).toContainText(manifestOf('densenet-compact-s1').weightsSha256.slice(0, 12));

  // A demo case: wait for the demo study, pick an abnormal case.
  const select = page.getByTestId('models-case');
  await expect(select.locator('option').first()).toBeAttached({ timeout: 60_000 });
  const abnormal = select.locator('option', { hasText: '(abnormal)' }).first();
  await select.selectOption((await abnormal.getAttribute('value'))!);

  await imported.getByTestId('model-predict').click();
  const mine = imported.getByTestId('model-prediction');
  await expect(mine).toBeVisible({ timeout: 60_000 });
  const demoRow = page.locator('[data-testid=model-row][data-model-id="densenet-compact-s1"]');
  await demoRow.getByTestId('model-predict').click();
  const theirs = demoRow.getByTestId('model-prediction');
  await expect(theirs).toBeVisible({ timeout: 60_000 });
  const a = Number(await mine.getAttribute('data-logit'));
  const b = Number(await theirs.getAttribute('data-logit'));
  expect(Number.isFinite(a)).toBe(true);
  expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-4);
  const p = Number(await mine.getAttribute('data-probability'));
  expect(p).toBeCloseTo(1 / (1 + Math.exp(-a)), 6);
});

test('a TF.js GraphModel imports, predicts and gets a Grad-CAM map; randomization says it needs layers', async ({ page }, info) => {
  // A hand-built GraphDef (what tensorflowjs_converter writes for a SavedModel): conv 3x3 + ReLU, global mean, dense.
  const { cnnGraphFiles } = await import('../src/core/model/graphModelFixture');
  const f = cnnGraphFiles(128, Array.from({ length: 36 }, (_, i) => Math.sin(i + 1) * 0.5), [1.2, -0.7, 0.9, 0.4], 0.05);
  const json = info.outputPath('model.json');
  const shard = info.outputPath('group1-shard1of1.bin');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(path.dirname(json), { recursive: true });
  writeFileSync(json, JSON.stringify(f.modelJson));
  writeFileSync(shard, f.shards.get('group1-shard1of1.bin')!);

  await openApp(page, { backend: 'wasm', hash: 'data' });
  await page.getByTestId('model-files').setInputFiles([json, shard]);
  await expect(page.getByLabel('Input height')).toHaveValue('128');
  await page.getByLabel('Model name').fill('my graph model');
  await page.getByTestId('model-import-submit').click();
  await expect(page.getByTestId('model-import-done')).toBeVisible();
  const imported = page.locator('[data-testid=model-row][data-source=import]');
  await expect(imported).toHaveCount(1);
  const modelId = (await imported.getAttribute('data-model-id'))!;

  const select = page.getByTestId('models-case');
  await expect(select.locator('option').first()).toBeAttached({ timeout: 60_000 });
  const abnormal = select.locator('option', { hasText: '(abnormal)' }).first();
  const caseId = (await abnormal.getAttribute('value'))!;
  await select.selectOption(caseId);
  await imported.getByTestId('model-predict').click();
  const pred = imported.getByTestId('model-prediction');
  await expect(pred).toBeVisible({ timeout: 60_000 });
  const logit = Number(await pred.getAttribute('data-logit'));
  expect(Number.isFinite(logit)).toBe(true);
  expect(Number(await pred.getAttribute('data-probability'))).toBeCloseTo(1 / (1 + Math.exp(-logit)), 6);

  const r = await page.evaluate(async ([m, id]) => {
    const hash = await new Promise<string>((res) => {
      const o = indexedDB.open('heatcheck');
      o.onsuccess = () => { const g = o.result.transaction('cases').objectStore('cases').get(id); g.onsuccess = () => { o.result.close(); res((g.result as { imageHash: string }).imageHash); }; };
    });
    const h = window.__heatcheck!;
    const map = await (h.computeMap as (q: unknown) => Promise<{ ok: boolean; message?: string; value?: { map: Float32Array; width: number; targetLogit: number } }>)({ imageHash: hash, modelId: m, method: 'gradcam', preset: 'quick', seed: 0 });
    const steps = await (h.randomizationSteps as (m: string) => Promise<{ ok: boolean; code?: string; message?: string }>)(m);
    return { ok: map.ok, message: map.message, width: map.value?.width, max: map.value ? Math.max(...map.value.map) : null, targetLogit: map.value?.targetLogit, steps };
  }, [modelId, caseId] as const);
  expect(r, r.message).toMatchObject({ ok: true, width: 128, max: 1 });
  // The map's recorded target is the prediction's logit: one definition of the abnormal logit.
  expect(Math.abs(r.targetLogit! - logit)).toBeLessThanOrEqual(1e-5);
  expect(r.steps).toMatchObject({ ok: false, code: 'UNSUPPORTED_GRAPH_MODEL' });
  expect(r.steps.message).toMatch(/GraphModel/);
});
