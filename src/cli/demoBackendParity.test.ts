import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { initNodeBackend } from '../platform/node/backend';
import { loadModelDir } from './modelDir';
import { asLayersModel, createProbe } from '../core/model/createProbe';
import { createFastGrad } from '../core/model/fastgrad';
import { preprocessImage } from '../core/model/preprocess';
import { generatePhantomCase } from '../core/phantom/generate';

/**
 * The gradient map of the demo model densenet-compact-s1 on TF.js's cpu backend equals the one on
 * wasm (the reference, computed here): the backward pass breaks max-pool ties and ReLU's derivative
 * at 0 by one rule on every backend (kernels/fusedBackward.ts on wasm, stock-op compositions with
 * the same rules elsewhere). The model's stem pools ReLU'd conv outputs, which tie in flat regions.
 *
 * What remains is float rounding: the backends sum convolutions in different orders (last bits
 * differ), and a ReLU whose input lies within that rounding of 0 can open on one backend and stay
 * shut on the other. Phantom case 2 of seed 3 at 48 px has one such unit; the second test shows that
 * this, and nothing else, is where the two backward passes part.
 */
const DIR = 'public/models/densenet-compact-s1';
const have = existsSync(`${DIR}/model.json`);

type Case = [seed: number, index: number, size: number];
const inputOf = ([seed, index, size]: Case, manifest: { input: { height: number; width: number; channels: number }; preprocessing: unknown }) => {
  const c = generatePhantomCase(seed, index, { size });
  return preprocessImage({ width: c.width, height: c.height, data: c.image }, manifest as never);
};

async function onBackend<T>(backend: 'wasm' | 'cpu', f: () => Promise<T>): Promise<T> {
  await initNodeBackend('wasm');
  if (backend === 'cpu') await tf.setBackend('cpu');
  try {
    return await f();
  } finally {
    await tf.setBackend('wasm');
  }
}

afterAll(async () => {
  await tf.setBackend('wasm');
});

describe.skipIf(!have)('densenet-compact-s1: the cpu backend gives wasm\'s gradient map', () => {
  const CASES: Case[] = [[2022, 0, 512], [2022, 3, 512], [3, 0, 48]];

  it(`equals wasm's input gradients within 1e-5 of the map's maximum on phantom cases ${CASES.map((c) => c.join('/')).join(', ')}`, async () => {
    const grads = async (): Promise<Float32Array[]> => {
      const lm = await loadModelDir(DIR);
      const probe = createProbe(lm.model, lm.manifest);
      const { height, width, channels } = lm.manifest.input;
      const out = CASES.map((c) => tf.tidy(() => probe.inputGradients(tf.tensor4d(inputOf(c, lm.manifest), [1, height, width, channels])).dataSync() as Float32Array));
      lm.model.dispose();
      return out;
    };
    const wasm = await onBackend('wasm', grads);
    const cpu = await onBackend('cpu', grads);
    CASES.forEach((c, k) => {
      let max = 0;
      let diff = 0;
      for (let i = 0; i < wasm[k].length; i++) {
        max = Math.max(max, Math.abs(wasm[k][i]));
        diff = Math.max(diff, Math.abs(cpu[k][i] - wasm[k][i]));
      }
      expect(max, `case ${c.join('/')}: wasm's map is all zeros`).toBeGreaterThan(0);
      expect(diff / max, `case ${c.join('/')}`).toBeLessThanOrEqual(1e-5);
    });
  }, 300_000);

  it('where the maps differ (case 3/1/48), the backward passes part at a ReLU whose input is within rounding of 0, and nowhere before', async () => {
    const c: Case = [3, 1, 48];
    type Trace = { order: string[]; grad: Map<string, Float32Array>; out: Map<string, Float32Array>; map: Float32Array };
    const trace = async (): Promise<Trace> => {
      const lm = await loadModelDir(DIR);
      const t: Trace = { order: [], grad: new Map(), out: new Map(), map: new Float32Array() };
      const fg = createFastGrad(asLayersModel(lm.model, 'this test', 'densenet-compact-s1'), (o) => o.reshape([-1]) as tf.Tensor1D, {
        trace: {
          forward: (name, out) => { t.out.set(name, out.dataSync() as Float32Array); },
          backward: (name, g) => { t.order.push(name); t.grad.set(name, g.dataSync() as Float32Array); },
        },
      });
      const { height, width, channels } = lm.manifest.input;
      t.map = tf.tidy(() => fg.inputGradients(tf.tensor4d(inputOf(c, lm.manifest), [1, height, width, channels])).dataSync() as Float32Array);
      fg.dispose();
      lm.model.dispose();
      return t;
    };
    const w = await onBackend('wasm', trace);
    const p = await onBackend('cpu', trace);
    const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    // Ops in backward order; the first whose upstream gradient differs by more than 1e-5 of its maximum.
    const parts = w.order.findIndex((name) => {
      const a = w.grad.get(name)!;
      const b = p.grad.get(name)!;
      const m = maxAbs(a);
      return a.some((v, i) => Math.abs(v - b[i]) > 1e-5 * m);
    });
    expect(parts, 'the two backward passes never part').toBeGreaterThan(0);
    const relu = w.order[parts - 1];
    const pre = w.order[parts];
    expect(relu).toMatch(/relu/);
    // Where the gradient below the ReLU differs, its input (the op `pre`'s output) is within 1e-5 of
    // 0 on both backends: open on one, shut on the other.
    const a = w.grad.get(pre)!;
    const b = p.grad.get(pre)!;
    const m = maxAbs(a);
    const flips = [...a.keys()].filter((i) => Math.abs(a[i] - b[i]) > 1e-5 * m);
    expect(flips.length).toBeGreaterThan(0);
    for (const i of flips) {
      const [vw, vp] = [w.out.get(pre)![i], p.out.get(pre)![i]];
      expect(Math.abs(vw), `${pre}[${i}] on wasm`).toBeLessThan(1e-5);
      expect(Math.abs(vp), `${pre}[${i}] on cpu`).toBeLessThan(1e-5);
      expect(vw > 0, `${pre}[${i}]: opens the ReLU on one backend only`).not.toBe(vp > 0);
    }
    console.log(`case ${c.join('/')}: backward passes part at ${relu} (${flips.length} unit${flips.length > 1 ? 's' : ''}, input ${flips.map((i) => `${w.out.get(pre)![i]} on wasm, ${p.out.get(pre)![i]} on cpu`).join('; ')}); map differs by ${(Math.max(...w.map.map((v, i) => Math.abs(v - p.map[i]))) / maxAbs(w.map)).toExponential(2)} of its maximum`);
  }, 300_000);
});
