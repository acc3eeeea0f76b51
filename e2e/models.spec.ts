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
