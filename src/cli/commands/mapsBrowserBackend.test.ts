import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readNpy } from '../../core/io/npy';
import { runCli } from '../testing/runCli';
import { saveModelFolder } from '../testing/tinyModel';

/**
 * `maps --backend webgl|webgpu` computes in headless Chromium (here on SwiftShader, a GPU emulated
 * on the CPU, hence the small model); its maps must equal the wasm backend's in Node within 1e-3
 * relative (max |difference| over max |wasm map|). The entries must name the backend, so a run that
 * fell back to another one fails.
 */
let root: string;
let modelDir: string;
const METHODS = ['grad', 'gradcam', 'ig'];
const manifest = { id: 'small-s1', architecture: 'small', family: 'small', input: { height: 32, width: 32, channels: 1 }, preprocessing: { scale: 2, offset: -1 }, inputRange: [-1, 1], output: { kind: 'logit', index: 0 } };

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'heatcheck-maps-browser-'));
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const inp = tf.input({ shape: [32, 32, 1] });
  let h = tf.layers.conv2d({ name: 'stem_conv', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1) }).apply(inp) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ name: 'block_conv', filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(2) }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({ name: 'head_gap' }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: inp, outputs: tf.layers.dense({ name: 'logit', units: 1, kernelInitializer: tf.initializers.randomUniform({ minval: 0.1, maxval: 1, seed: 3 }), biasInitializer: tf.initializers.constant({ value: 0.1 }) }).apply(h) as tf.SymbolicTensor });
  modelDir = path.join(root, 'small-s1');
  await saveModelFolder(model, modelDir, manifest);
  model.dispose();
  expect((await runCli(['phantom', '--out', path.join(root, 'study'), '--count', '2', '--seed', '3', '--size', '48'])).code).toBe(0);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** max |b - a| / max |a| of two maps, and max |a|. */
function relDiff(a: Float32Array, b: Float32Array): { rel: number; max: number } {
  let max = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs(a[i]));
    diff = Math.max(diff, Math.abs(b[i] - a[i]));
  }
  return { rel: diff / max, max };
}

/** Positive head weights keep Grad-CAM's map (the ReLU of a weighted sum of feature maps) away from all zeros. Fixed IG steps (no doubling), so every backend integrates the same path. */
const mapsOf = async (backend: string) => {
  const out = path.join(root, backend);
  const r = await runCli(['maps', '--study', path.join(root, 'study'), '--models', modelDir, '--methods', METHODS.join(','), '--preset', 'quick', '--ig-steps', '8', '--ig-max-steps', '8', '--out', out, '--backend', backend]);
  expect(r.code, r.err).toBe(0);
  expect(r.json).toMatchObject({ backend, maps: 2 * METHODS.length, computed: 2 * METHODS.length });
  const entries = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')).maps as Array<{ case: string; method: string; file: string; backend: string }>;
  return new Map(entries.map((e) => [`${e.case}/${e.method}`, { backend: e.backend, ...readNpy(new Uint8Array(readFileSync(path.join(out, e.file)))) }]));
};

describe('heatcheck maps --backend webgl / webgpu', () => {
  let wasm: Awaited<ReturnType<typeof mapsOf>>;
  beforeAll(async () => {
    wasm = await mapsOf('wasm');
  });

  for (const backend of ['webgl', 'webgpu']) {
    it(`${backend} in headless Chromium gives wasm's maps within 1e-3 relative`, async () => {
      const maps = await mapsOf(backend);
      expect([...maps.keys()].sort()).toEqual([...wasm.keys()].sort());
      for (const [key, m] of maps) {
        const w = wasm.get(key)!;
        expect(m.backend).toBe(backend);
        expect(m.shape).toEqual(w.shape);
        expect(m.data).toBeInstanceOf(Float32Array);
        const [a, b] = [w.data as Float32Array, m.data as Float32Array];
        let maxW = 0;
        let maxD = 0;
        for (let i = 0; i < a.length; i++) {
          maxW = Math.max(maxW, Math.abs(a[i]));
          maxD = Math.max(maxD, Math.abs(b[i] - a[i]));
        }
        expect(maxW, `${key}: the wasm map is all zeros`).toBeGreaterThan(0);
        expect(maxD / maxW, `${key} on ${backend}`).toBeLessThanOrEqual(1e-3);
      }
    });
  }

  it('says which Chromium it could not find', async () => {
    const before = process.env.HEATCHECK_CHROMIUM;
    process.env.HEATCHECK_CHROMIUM = path.join(root, 'no-such-chromium');
    try {
      const r = await runCli(['maps', '--study', path.join(root, 'study'), '--models', modelDir, '--methods', 'grad', '--out', path.join(root, 'no-chromium'), '--backend', 'webgl']);
      expect(r.code).not.toBe(0);
      expect(r.err).toContain(`HEATCHECK_CHROMIUM points to ${path.join(root, 'no-such-chromium')}, which does not exist`);
    } finally {
      if (before === undefined) delete process.env.HEATCHECK_CHROMIUM;
      else process.env.HEATCHECK_CHROMIUM = before;
    }
  });

  it('names the backends it knows when given another', async () => {
    const r = await runCli(['maps', '--study', path.join(root, 'study'), '--models', modelDir, '--methods', 'grad', '--out', path.join(root, 'bad'), '--backend', 'metal']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--backend takes one of wasm, cpu, webgl, webgpu, found "metal"/);
  });
});

/**
 * The demo model densenet-compact-s1 (128 x 128): its stem max-pools ReLU'd conv outputs, and a
 * small phantom (48 px) upsampled to 128 has blocks of equal pixels, so many pooling windows hold
 * exactly tied maxima. The backward pass sends each tie to the window's first maximum on every
 * backend (kernels/poolBackprop.ts); with WebGL's own MaxPoolGrad (the last maximum) these two
 * cases differed from wasm by 2.8 % and 1.6 % of the map's maximum. Both backends give wasm's maps
 * exactly (measured); the bound is 1e-3. (Cases where two window values lie within float rounding of
 * each other, a near-tie, can still differ: README, "On a GPU, from the CLI".)
 */
const DEMO = 'public/models/densenet-compact-s1';
describe.skipIf(!existsSync(path.join(DEMO, 'model.json')))('heatcheck maps --backend webgl / webgpu on densenet-compact-s1 (tied max-pool windows)', () => {
  let wasm: Map<string, Float32Array>;
  const study = () => path.join(root, 'study-ties');
  const gradMaps = async (backend: string) => {
    const out = path.join(root, `densenet-${backend}`);
    const r = await runCli(['maps', '--study', study(), '--models', DEMO, '--methods', 'grad', '--out', out, '--backend', backend]);
    expect(r.code, r.err).toBe(0);
    const entries = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')).maps as Array<{ case: string; file: string; backend: string }>;
    expect(entries.map((e) => e.backend)).toEqual([backend, backend]);
    return new Map(entries.map((e) => [e.case, readNpy(new Uint8Array(readFileSync(path.join(out, e.file)))).data as Float32Array]));
  };
  beforeAll(async () => {
    expect((await runCli(['phantom', '--out', study(), '--count', '2', '--seed', '5', '--size', '48'])).code).toBe(0);
    wasm = await gradMaps('wasm');
  });

  for (const backend of ['webgl', 'webgpu']) {
    it(`${backend}: the gradient maps equal wasm's within 1e-3 relative`, async () => {
      const maps = await gradMaps(backend);
      expect([...maps.keys()].sort()).toEqual([...wasm.keys()].sort());
      for (const [c, m] of maps) {
        const { rel, max } = relDiff(wasm.get(c)!, m);
        expect(max, `${c}: the wasm map is all zeros`).toBeGreaterThan(0);
        expect(rel, `${c} on ${backend}`).toBeLessThanOrEqual(1e-3);
      }
    }, 600_000);
  }
});
