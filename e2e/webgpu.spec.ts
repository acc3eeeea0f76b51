import { test, expect, openApp } from './fixtures';

// Runs with --enable-unsafe-webgpu (SwiftShader adapter in headless Chromium).
test('the WebGPU path runs a small op and matches the cpu result', async ({ page }) => {
  await openApp(page, { backend: 'webgpu' });
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'webgpu');
  const r = await page.evaluate(async () => {
    const w = window as unknown as { __heatcheck?: { crossCheck(name: string): Promise<{ result: number[]; cpu: number[]; maxAbsDiff: number }> } };
    return w.__heatcheck!.crossCheck('webgpu');
  });
  // The cpu reference is computed independently: relu([[0.5,-1,2],[3,.25,-.75]] @ [[1,2],[-1,.5],[3,-2]]) + sigmoid(0.3)
  const s = 1 / (1 + Math.exp(-0.3));
  const want = [Math.max(0, 0.5 + 1 + 6) + s, Math.max(0, 1 - 0.5 - 4) + s, Math.max(0, 3 - 0.25 - 2.25) + s, Math.max(0, 6 + 0.125 + 1.5) + s];
  r.cpu.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
  expect(r.maxAbsDiff).toBeLessThan(1e-4);
});
