import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../../platform/node/backend';
import { fusedMaxPoolBackward, maxPoolBackwardFused, reluBackward } from './fusedBackward';
import { maxPoolBackprop, maxPoolBackpropFirstMax } from './poolBackprop';
import { relErr, seeded } from './testUtil';

/**
 * One rule for ReLU's derivative at 0 and one tie rule for the max-pool backward on every backend: each window's gradient goes to its first
 * maximum in raster order (the fused wasm kernel's rule). maxPoolBackpropFirstMax (cpu, WebGL,
 * WebGPU) finds that cell with exact ops only, so a tie ends in the same cell whatever the backend.
 */
beforeAll(async () => {
  await initNodeBackend('wasm');
});

type Geometry = { k: [number, number]; s: [number, number]; pad: 'valid' | 'same' };

/** Every route of the max-pool backward on (backend, implementation). */
async function allRoutes(xv: number[] | Float32Array, xs: [number, number, number, number], dyv: number[] | Float32Array, g: Geometry): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  const ys = tf.tidy(() => tf.maxPool(tf.zeros(xs) as tf.Tensor4D, g.k, g.s, g.pad).shape) as [number, number, number, number];
  const run = (f: (dy: tf.Tensor4D, x: tf.Tensor4D) => tf.Tensor) => tf.tidy(() => f(tf.tensor4d(dyv, ys), tf.tensor4d(xv, xs)).dataSync() as Float32Array);
  await tf.setBackend('wasm');
  expect(fusedMaxPoolBackward()).toBe(true);
  out['wasm fused kernel'] = run((dy, x) => maxPoolBackwardFused(dy, x, g.k, g.s, g.pad));
  out['wasm argmax + scatter'] = run((dy, x) => maxPoolBackprop(dy, x, null, null, g.k, g.s, g.pad));
  out['wasm first-max ops'] = run((dy, x) => maxPoolBackpropFirstMax(dy, x, g.k, g.s, g.pad));
  await tf.setBackend('cpu');
  out['cpu maxPoolBackprop'] = run((dy, x) => maxPoolBackprop(dy, x, null, null, g.k, g.s, g.pad));
  await tf.setBackend('wasm');
  return out;
}

describe('max-pool backward: ties go to the first maximum on every backend', () => {
  it('hand-worked 4x4, 2x2 windows, stride 2: tied maxima send dy to the first one in raster order', async () => {
    const x = [
      1, 3, 0, 2,
      3, 2, 2, 2,
      5, 4, 7, 7,
      4, 5, 7, 1,
    ];
    const dy = [10, 20, 30, 40];
    // Top-left window {1,3,3,2}: 3 at (0,1) and (1,0), first (0,1). Top-right {0,2,2,2}: 2 at (0,3),
    // (1,2), (1,3), first (0,3). Bottom-left {5,4,4,5}: (2,0) before (3,1). Bottom-right {7,7,7,1}: (2,2).
    const want = [
      0, 10, 0, 20,
      0, 0, 0, 0,
      30, 0, 40, 0,
      0, 0, 0, 0,
    ];
    const got = await allRoutes(x, [1, 4, 4, 1], dy, { k: [2, 2], s: [2, 2], pad: 'valid' });
    for (const [route, v] of Object.entries(got)) expect(Array.from(v), route).toEqual(want);
  });

  it('hand-worked flat 4x4 (one value everywhere), 3x3 windows, stride 1: each window sends dy to its top-left cell, overlaps summed', async () => {
    const x = new Array(16).fill(0.25);
    const dy = [1, 2, 4, 8];
    // Window (i, j) covers rows i..i+2, columns j..j+2, all equal: its first cell is (i, j).
    // (The last-maximum rule would instead give cells (2,2), (2,3), (3,2), (3,3).)
    const want = [
      1, 2, 0, 0,
      4, 8, 0, 0,
      0, 0, 0, 0,
      0, 0, 0, 0,
    ];
    const got = await allRoutes(x, [1, 4, 4, 1], dy, { k: [3, 3], s: [1, 1], pad: 'valid' });
    for (const [route, v] of Object.entries(got)) expect(Array.from(v), route).toEqual(want);
  });

  it("hand-worked 'same' padding, 3x3 stride 2 on a flat 3x3: the padding never wins, overlapping windows sum on the shared cell", async () => {
    // Pads: 'same' at stride 2 on 3 cells gives out 2, total pad 2 -> 1 top/left, 1 bottom/right.
    // Window (0,0) covers rows -1..1, columns -1..1: first in-bounds cell (0,0). Window (0,1) covers
    // columns 1..3: first cell (0,1). Window (1,0): rows 1..3, first (1,0). Window (1,1): (1,1).
    const x = new Array(9).fill(-2);
    const dy = [1, 2, 4, 8];
    const want = [
      1, 2, 0,
      4, 8, 0,
      0, 0, 0,
    ];
    const got = await allRoutes(x, [1, 3, 3, 1], dy, { k: [3, 3], s: [2, 2], pad: 'same' });
    for (const [route, v] of Object.entries(got)) expect(Array.from(v), route).toEqual(want);
  });

  const geometries: Geometry[] = [
    { k: [2, 2], s: [2, 2], pad: 'valid' },
    { k: [3, 3], s: [2, 2], pad: 'valid' },
    { k: [3, 3], s: [1, 1], pad: 'same' },
    { k: [3, 3], s: [2, 2], pad: 'same' },
    { k: [2, 3], s: [1, 2], pad: 'same' },
    { k: [3, 2], s: [2, 1], pad: 'valid' },
    { k: [6, 6], s: [2, 2], pad: 'same' }, // 36 taps: WebGPU's ArgMax would reduce these in a tree
  ];
  for (const g of geometries) {
    it(`${g.k.join('x')} stride ${g.s.join('x')} ${g.pad}, quantized values (many ties): every route equals the fused wasm kernel`, async () => {
      const xs: [number, number, number, number] = [2, 9, 11, 3];
      // ReLU'd values on a coarse grid: zeros and equal positive values tie in many windows.
      const xv = seeded(xs.reduce((a, b) => a * b), 21).map((v) => Math.max(0, Math.round(v * 6) / 6));
      const ys = tf.tidy(() => tf.maxPool(tf.zeros(xs) as tf.Tensor4D, g.k, g.s, g.pad).shape);
      const dyv = seeded(ys.reduce((a, b) => a * b), 22);
      const got = await allRoutes(xv, xs, dyv, g);
      const ref = got['wasm fused kernel'];
      for (const [route, v] of Object.entries(got)) expect(relErr(v, ref), `${route} vs the fused kernel`).toBeLessThan(1e-6);
    });
  }
});

describe('ReLU backward: y > 0 ? dy : 0 on every backend', () => {
  it('at y = 0, -0, tiny positive, negative, and with an infinite dy: the stock-op route equals the fused wasm kernel', async () => {
    const y = [0, -0, 1e-30, 4.76837158203125e-7, -1e-30, -3, 2, 0, 5];
    const dy = [1, 2, 3, 4, 5, 6, 7, Infinity, -Infinity];
    const want = [0, 0, 3, 4, 0, 0, 7, 0, -Infinity];
    const run = () => tf.tidy(() => Array.from(reluBackward(tf.tensor1d(dy), tf.tensor1d(y)).dataSync()));
    await tf.setBackend('wasm');
    const wasm = run();
    await tf.setBackend('cpu');
    const cpu = run();
    await tf.setBackend('wasm');
    expect(wasm).toEqual(want);
    expect(cpu).toEqual(want);
  });
});
