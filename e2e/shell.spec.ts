import { test, expect, openApp } from './fixtures';

test('the app loads, shows a working backend and opens each of the four places', async ({ page, watch }) => {
  await openApp(page);
  const badge = page.getByTestId('backend-badge');
  await expect(badge).toHaveClass(/backend-ready/);
  const backend = await badge.getAttribute('data-backend');
  expect(['webgpu', 'webgl', 'wasm', 'cpu']).toContain(backend);

  for (const [label, id] of [['Compare', 'compare'], ['Dashboard', 'dashboard'], ['Data', 'data'], ['Annotate', 'annotate']] as const) {
    await page.getByRole('link', { name: label, exact: true }).click();
    await expect(page.getByTestId(`page-${id}`)).toBeVisible();
    await expect(page.getByRole('heading', { level: 1, name: label })).toBeVisible();
  }
  expect(watch.requests.length).toBeGreaterThan(0);
});

test('the four places are reachable by keyboard', async ({ page }) => {
  await openApp(page);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Annotate' }).focus();
  await page.keyboard.press('Tab');
  await expect(nav.getByRole('link', { name: 'Compare' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('page-compare')).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(nav.getByRole('link', { name: 'Dashboard' })).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('page-data')).toBeVisible();
});

test('?backend=wasm forces the wasm backend, served from this origin', async ({ page, watch }) => {
  await openApp(page, { backend: 'wasm' });
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm');
  expect(watch.requests.some((u) => /\.wasm$/.test(u))).toBe(true);
  // one thread on this machine's default: the single-thread build, whose heap is a plain memory
  const threads = Number(await page.getByTestId('backend-badge').getAttribute('data-wasm-threads'));
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-reason', new RegExp(`fused backward kernels: wasm SIMD \\((${threads > 1 ? 'shared' : 'plain'}) memory\\)`));
});

test('the page is cross-origin isolated and ?threads=2 runs the threaded wasm build with two threads', async ({ page }) => {
  await openApp(page, { backend: 'wasm', threads: 2 });
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const badge = page.getByTestId('backend-badge');
  await expect(badge).toHaveAttribute('data-backend', 'wasm');
  await expect(badge).toHaveAttribute('data-wasm-threads', '2');
  // fastgrad's backward kernels run as Heatcheck's wasm SIMD module on the threaded build's shared heap
  await expect(badge).toHaveAttribute('data-reason', /fused backward kernels: wasm SIMD \(shared memory\)/);
  // and it computes: the tiny fixed check against cpu, those backward kernels included
  const check = await page.evaluate(() => (window.__heatcheck!.crossCheck as (n: string) => Promise<{ maxAbsDiff: number; result: number[]; kernels: number[]; fusedKernels?: string }>)('wasm'));
  expect(check.result).toHaveLength(4);
  expect(check.kernels.length).toBeGreaterThan(300);
  expect(check.kernels.some((v) => v !== 0)).toBe(true);
  expect(check.fusedKernels).toBe('wasm SIMD (shared memory)');
  expect(check.maxAbsDiff).toBeLessThan(1e-5);
});

test('?backend=cpu forces the cpu backend', async ({ page }) => {
  await openApp(page, { backend: 'cpu' });
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'cpu');
});
