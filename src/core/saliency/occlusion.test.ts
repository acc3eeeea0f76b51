import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { occlusion, patchStarts } from './occlusion';
import { countingProbe, linearProbe, seededValues } from './testing';
import { createRng } from './rng';

beforeAll(async () => { await tf.setBackend('cpu'); });

describe('patchStarts', () => {
  it('steps by the stride and puts a last patch flush with the far edge', () => {
    expect(patchStarts(128, 16, 8)).toEqual(Array.from({ length: 15 }, (_, i) => 8 * i));
    expect(patchStarts(10, 4, 3)).toEqual([0, 3, 6]);
    expect(patchStarts(11, 4, 3)).toEqual([0, 3, 6, 7]);
    expect(patchStarts(3, 5, 2)).toEqual([0]);
  });
});

describe('occlusion', () => {
  // Linear model f = sum(w x) + c: replacing patch P by the baseline b drops f by sum over P (and channels) of w (x - b).
  const [H, W, C] = [16, 12, 2];
  const w = Float32Array.from(seededValues(H * W * C, 3), (v) => v * 2);
  const xv = Float32Array.from(seededValues(H * W * C, 4), (v) => v * 2);

  it('is the mean drop of the patches covering each pixel (linear model, worked out by loops)', async () => {
    const { probe, calls } = countingProbe(linearProbe(w, [H, W, C], 0.5, { maxBatch: 8 }));
    const x = tf.tensor3d(xv, [H, W, C]);
    const out = await occlusion(probe, x, { patch: 0.25, stride: 0.5, baseline: 'black' }, { rng: createRng(0) });
    x.dispose();
    // patch 4 x 3, strides 2 and 1 (floor of half a patch); starts rows 0,2,..,12; columns 0,1,..,9
    const ph = 4;
    const pw = 3;
    const ys = [0, 2, 4, 6, 8, 10, 12];
    const xs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const sum = new Float64Array(H * W);
    const n = new Float64Array(H * W);
    for (const y0 of ys) {
      for (const x0 of xs) {
        let drop = 0;
        for (let y = y0; y < y0 + ph; y++) for (let xx = x0; xx < x0 + pw; xx++) for (let c = 0; c < C; c++) drop += w[(y * W + xx) * C + c] * (xv[(y * W + xx) * C + c] - -1);
        for (let y = y0; y < y0 + ph; y++) for (let xx = x0; xx < x0 + pw; xx++) { sum[y * W + xx] += drop; n[y * W + xx]++; }
      }
    }
    for (let i = 0; i < H * W; i++) expect(out.raw[i]).toBeCloseTo(sum[i] / n[i], 4);
    expect(out.info).toMatchObject({ patches: 70, patchSize: [4, 3] });
    // the map keeps the drops, divided by the largest: max(raw, 0) / max(raw)
    const top = Math.max(...out.raw);
    expect(top).toBeGreaterThan(0);
    expect(Math.min(...out.raw)).toBeLessThan(0);
    for (let i = 0; i < H * W; i++) expect(out.map[i]).toBeCloseTo(Math.max(0, out.raw[i]) / top, 6);
    // 1 call at the input, then 70 patches in batches of 8
    expect(calls.target).toEqual([1, 8, 8, 8, 8, 8, 8, 8, 8, 6]);
  });

  it('leaves no tensor behind', async () => {
    const probe = linearProbe(w, [H, W, C], 0, { maxBatch: 16 });
    const x = tf.tensor3d(xv, [H, W, C]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await occlusion(probe, x, { patch: 0.125, stride: 0.5, baseline: 'white' }, { rng: createRng(0) });
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
