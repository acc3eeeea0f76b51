import { test, expect, firstAbnormalDemoImageHash, openApp } from './fixtures';

/**
 * Every registered saliency method on one demo case with a demo model, in real Chromium on wasm,
 * through the worker (window.__heatcheck.computeMap, the same path as the UI): shapes, values in
 * [0, 1], the backend recorded, and the IndexedDB cache answering the second call.
 */
const MODEL = 'densenet-compact-s1';

interface Summary {
  ok: boolean;
  code?: string;
  message?: string;
  len?: number;
  min?: number;
  max?: number;
  finite?: boolean;
  width?: number;
  height?: number;
  backend?: string;
  cached?: boolean;
  presetLabel?: string;
  method?: string;
  params?: Record<string, unknown>;
  sum?: number;
  targetLogit?: number;
  completenessError?: number;
  steps?: number;
  warnings?: string[];
}

test('computes every method (quick preview) on a demo case, caches it, records wasm', async ({ page, watch }) => {
  void watch;
  test.setTimeout(900_000);
  await openApp(page, { backend: 'wasm' });
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm');

  // The demo study is generated into IndexedDB at start; an abnormal case (on a normal one Grad-CAM's
  // ReLU may rightly leave an all-zero map).
  const imageHash = await firstAbnormalDemoImageHash(page);

  const methods = await page.evaluate(() => (window.__heatcheck!.saliencyMethods as () => Promise<Array<{ id: string }>>)());
  const ids = methods.map((m) => m.id);
  expect(ids).toEqual(expect.arrayContaining(['gradcam', 'grad', 'ig', 'sg', 'sig']));

  const run = (method: string) => page.evaluate(async (req) => {
    const r = await (window.__heatcheck!.computeMap as (q: unknown) => Promise<{ ok: boolean; code?: string; message?: string; value?: Record<string, unknown> & { map: Float32Array } }>)(req);
    if (!r.ok || !r.value) return { ok: false, code: r.code, message: r.message };
    const v = r.value;
    let min = Infinity, max = -Infinity, sum = 0, finite = true;
    for (const x of v.map) { min = Math.min(min, x); max = Math.max(max, x); sum += x; if (!Number.isFinite(x)) finite = false; }
    return { ok: true, len: v.map.length, min, max, sum, finite, width: v.width, height: v.height, backend: v.backend, cached: v.cached, presetLabel: v.presetLabel, method: v.method, params: v.params, targetLogit: v.targetLogit, completenessError: v.completenessError, steps: v.steps, warnings: v.warnings } as Record<string, unknown>;
  }, { imageHash, modelId: MODEL, method, preset: 'quick', seed: 3 }) as unknown as Promise<Summary>;

  for (const id of ids) {
    const first = await run(id);
    expect(first, `${id}: ${first.message ?? ''}`).toMatchObject({ ok: true, method: id, width: 128, height: 128, len: 128 * 128, backend: 'wasm', cached: false, presetLabel: 'quick preview', finite: true });
    expect(first.min!).toBeGreaterThanOrEqual(0);
    expect(first.max!).toBeLessThanOrEqual(1);
    expect(first.max!).toBeGreaterThan(0);
    expect(Number.isFinite(first.targetLogit)).toBe(true);
    // The IG family records its completeness and steps (kept in the cached result), with a warning exactly when over tolerance.
    if (['ig', 'sig', 'xrai', 'guided-ig', 'blur-ig'].includes(id)) {
      expect(typeof first.completenessError, id).toBe('number');
      expect(first.steps!, id).toBeGreaterThanOrEqual(Number((first.params as Record<string, unknown>).steps));
      expect(Array.isArray(first.warnings), `${id}: error ${first.completenessError}`).toBe(first.completenessError! > 0.05);
    } else {
      expect(first.completenessError, id).toBeUndefined();
    }
    const second = await run(id);
    expect(second).toMatchObject({ ok: true, cached: true, backend: 'wasm', sum: first.sum, params: first.params, completenessError: first.completenessError, steps: first.steps });
  }

  // An unknown method is a reply with a code, not a thrown error.
  const bad = await run('nope');
  expect(bad).toMatchObject({ ok: false, code: 'BAD_INPUT_METHOD' });
});

test('input gradients on WebGL (SwiftShader here) equal those on wasm', async ({ page, watch }) => {
  // The fast gradient path uses WebGL's own MaxPoolGrad: a scatter there costs O(output x updates)
  // (a densenet-compact gradient took 60 s on SwiftShader WebGL before). Here: same values as wasm.
  void watch;
  test.setTimeout(600_000);
  const rawGrad = async (backend: string) => {
    await openApp(page, { backend });
    await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', backend);
    const imageHash = await firstAbnormalDemoImageHash(page);
    return page.evaluate(async (req) => {
      const r = await (window.__heatcheck!.computeMap as (q: unknown) => Promise<{ ok: boolean; message?: string; value?: { raw?: Float32Array; backend: string; targetLogit: number } }>)(req);
      return r.ok && r.value ? { ok: true, backend: r.value.backend, raw: Array.from(r.value.raw ?? []), logit: r.value.targetLogit } : { ok: false, message: r.message, backend: '', raw: [] as number[], logit: NaN };
    }, { imageHash, modelId: MODEL, method: 'grad', preset: 'quick', seed: 0, includeRaw: true });
  };
  const gl = await rawGrad('webgl');
  expect(gl, gl.message).toMatchObject({ ok: true, backend: 'webgl' });
  const wasm = await rawGrad('wasm');
  expect(wasm, wasm.message).toMatchObject({ ok: true, backend: 'wasm' });
  expect(gl.raw.length).toBe(128 * 128);
  expect(Math.abs(gl.logit - wasm.logit)).toBeLessThan(1e-3 * Math.max(1, Math.abs(wasm.logit)));
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < wasm.raw.length; i++) scale = Math.max(scale, Math.abs(wasm.raw[i]));
  for (let i = 0; i < wasm.raw.length; i++) worst = Math.max(worst, Math.abs(gl.raw[i] - wasm.raw[i]));
  expect(scale).toBeGreaterThan(0);
  expect(worst / scale).toBeLessThan(1e-3);
});

test('each map records its own network\'s target at the input, kept once per image and network', async ({ page, watch }) => {
  void watch;
  test.setTimeout(300_000);
  await openApp(page, { backend: 'wasm' });
  const imageHash = await firstAbnormalDemoImageHash(page);
  const target = (modelId: string, method: string, extra: Record<string, unknown> = {}) => page.evaluate(async (req) => {
    const r = await (window.__heatcheck!.computeMap as (q: unknown) => Promise<{ ok: boolean; message?: string; value?: { targetLogit: number } }>)(req);
    if (!r.ok || !r.value) throw new Error(r.message);
    return r.value.targetLogit;
  }, { imageHash, modelId, method, preset: 'quick', seed: 3, ...extra });
  // The worker keeps the target per (network, image) after its first map; a map of another model, or
  // of a randomized copy, on the same image must get that network's own target, as a fresh computation
  // (noCache: no stored result, no kept target) says.
  const trained = await target(MODEL, 'gradcam');
  const other = await target('inception-compact-s1', 'grad');
  const otherFresh = await target('inception-compact-s1', 'gradcam', { noCache: true });
  const randomized = await target(MODEL, 'grad', { randomizationStep: 0 });
  const randomizedFresh = await target(MODEL, 'gradcam', { randomizationStep: 0, noCache: true });
  const trainedAgain = await target(MODEL, 'grad');
  expect(Math.abs(other - otherFresh)).toBeLessThanOrEqual(1e-5);
  expect(Math.abs(randomized - randomizedFresh)).toBeLessThanOrEqual(1e-5);
  expect(trainedAgain).toBe(trained);
  expect(Math.abs(other - trained)).toBeGreaterThan(1e-3);
  expect(Math.abs(randomized - trained)).toBeGreaterThan(1e-3);
});
