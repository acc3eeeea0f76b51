import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../../platform/node/backend';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CROP_SPATIAL, cropSpatial, fusedMaxPoolBackward, maxPoolBackwardFused, reluBackward, RELU_BACKWARD, splitAxis } from './fusedBackward';
import { setSimdKernels, simdKernelStatus } from './simdKernels';
import { KERNELS_SOURCE_SHA256 } from './simd/kernelsWasm';
import { relErr, seeded } from './testUtil';

beforeAll(async () => {
  await initNodeBackend('wasm');
});

/** Stock tf.grad of maxPool on the cpu backend (tfjs' MaxPoolGrad: first maximum of each window). */
async function cpuMaxPoolGrad(xv: Float32Array, xs: [number, number, number, number], dyv: Float32Array, k: [number, number], s: [number, number], pad: 'valid' | 'same') {
  await tf.setBackend('cpu');
  const out = tf.tidy(() => {
    const x = tf.tensor4d(xv, xs);
    const f = (t: tf.Tensor4D) => tf.maxPool(t, k, s, pad);
    const dy = tf.tensor(dyv, f(x).shape);
    return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t as tf.Tensor4D), dy)))(x).dataSync().slice();
  });
  await tf.setBackend('wasm');
  return out;
}

describe('fused backward kernels on wasm', () => {
  it('ReLU backward is dy where y > 0, else 0 (by a direct loop), through the fused kernel', () => {
    expect(tf.getKernel(RELU_BACKWARD, 'wasm')).toBeDefined();
    const yv = seeded(2 * 5 * 7 * 3, 3).map((v) => Math.max(0, v));
    const dyv = seeded(yv.length, 4);
    const want = yv.map((v, i) => (v > 0 ? dyv[i] : 0));
    const got = tf.tidy(() => reluBackward(tf.tensor4d(dyv, [2, 5, 7, 3]), tf.tensor4d(yv, [2, 5, 7, 3])).dataSync().slice());
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(yv.some((v) => v === 0) && yv.some((v) => v > 0)).toBe(true);
  });

  for (const [k, s, pad] of [[[2, 2], [2, 2], 'valid'], [[3, 3], [2, 2], 'valid'], [[3, 3], [1, 1], 'same'], [[3, 3], [2, 2], 'same'], [[2, 3], [1, 2], 'same']] as Array<[[number, number], [number, number], 'valid' | 'same']>) {
    it(`max-pool backward ${k.join('x')} stride ${s.join('x')} ${pad} equals tfjs' MaxPoolGrad on cpu, ties after ReLU included`, async () => {
      expect(fusedMaxPoolBackward()).toBe(true);
      const xs: [number, number, number, number] = [2, 9, 11, 3];
      // ReLU'd values: many zeros, so windows with tied maxima (all zero) occur
      const xv = seeded(xs.reduce((a, b) => a * b), 11).map((v) => Math.max(0, v));
      const ys = tf.tidy(() => tf.maxPool(tf.zeros(xs) as tf.Tensor4D, k, s, pad).shape);
      const dyv = seeded(ys.reduce((a, b) => a * b), 12);
      const got = tf.tidy(() => maxPoolBackwardFused(tf.tensor4d(dyv, ys as [number, number, number, number]), tf.tensor4d(xv, xs), k, s, pad).dataSync().slice());
      const want = await cpuMaxPoolGrad(xv, xs, dyv, k, s, pad);
      expect(relErr(got, want)).toBeLessThan(1e-6);
    });
  }
});

/** Runs f with the SIMD kernels off (the JavaScript loops) and on; returns both results. */
function loopsAndSimd(f: () => Float32Array): { loops: Float32Array; simd: Float32Array } {
  setSimdKernels(false);
  try {
    const loops = f();
    setSimdKernels(true);
    const simd = f();
    expect(simdKernelStatus()).toBe('wasm SIMD (plain memory)');
    return { loops, simd };
  } finally {
    setSimdKernels(true);
  }
}

/** Bit patterns, so -0, +0 and NaN payloads count. */
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('wasm SIMD kernels (simd/kernels.c) against the JavaScript loops and independent references', () => {
  it('the committed wasm was built from the committed kernels.c (scripts/build-simd-kernels.sh)', () => {
    const sha = createHash('sha256').update(readFileSync(new URL('./simd/kernels.c', import.meta.url))).digest('hex');
    expect(KERNELS_SOURCE_SHA256, 'kernels.c changed: run scripts/build-simd-kernels.sh').toBe(sha);
  });

  it('ReLU backward: bit for bit the loop, with NaN, infinities, signed zeros and a length that is not a multiple of 4 or 16', () => {
    const n = 16 * 5 + 4 * 2 + 3;
    const y = seeded(n, 21);
    const dy = seeded(n, 22).map((v) => v * 1e3);
    const specials = [NaN, Infinity, -Infinity, -0, 0, 1e-45, -1e-45];
    for (let i = 0; i < n; i += 5) y[i] = specials[(i / 5) % specials.length];
    for (let i = 2; i < n; i += 7) dy[i] = specials[(i / 7 | 0) % specials.length];
    const run = () => tf.tidy(() => reluBackward(tf.tensor1d(dy), tf.tensor1d(y)).dataSync().slice() as Float32Array);
    const { loops, simd } = loopsAndSimd(run);
    expect(bits(simd)).toEqual(bits(loops));
    // independent: the definition, element by element
    const want = Float32Array.from(y, (v, i) => (v > 0 ? dy[i] : 0));
    expect(bits(simd)).toEqual(bits(want));
  });

  for (const [xs, k, s, pad] of [
    [[2, 9, 11, 8], [2, 2], [2, 2], 'valid'],
    [[1, 12, 10, 7], [3, 3], [2, 2], 'same'],
    [[2, 7, 9, 12], [3, 3], [1, 1], 'same'],
    [[1, 13, 13, 5], [3, 3], [2, 2], 'valid'],
  ] as Array<[[number, number, number, number], [number, number], [number, number], 'valid' | 'same']>) {
    it(`max-pool backward ${xs.join('x')} window ${k.join('x')} stride ${s.join('x')} ${pad}: bit for bit the loop, and tfjs' cpu MaxPoolGrad`, async () => {
      // ReLU'd and rounded to a few levels: many tied windows; one NaN
      const xv = seeded(xs.reduce((a, b) => a * b), 41).map((v) => Math.max(0, Math.round(v * 4) / 4));
      xv[17] = NaN;
      const ys = tf.tidy(() => tf.maxPool(tf.zeros(xs) as tf.Tensor4D, k, s, pad).shape) as [number, number, number, number];
      const dyv = seeded(ys.reduce((a, b) => a * b), 42);
      const run = () => tf.tidy(() => maxPoolBackwardFused(tf.tensor4d(dyv, ys), tf.tensor4d(xv, xs), k, s, pad).dataSync().slice() as Float32Array);
      const { loops, simd } = loopsAndSimd(run);
      expect(bits(simd)).toEqual(bits(loops));
      const clean = xv.map((v) => (Number.isNaN(v) ? 0 : v));
      const want = await cpuMaxPoolGrad(clean, xs, dyv, k, s, pad);
      const got = tf.tidy(() => maxPoolBackwardFused(tf.tensor4d(dyv, ys), tf.tensor4d(clean, xs), k, s, pad).dataSync().slice());
      expect(relErr(got, want)).toBeLessThan(1e-6);
    });
  }

  it('split on the last axis: the parts tf.split gives on cpu, bit for bit, with odd widths and an empty part', async () => {
    const shape = [2, 5, 3, 23];
    const sizes = [8, 0, 5, 7, 3];
    const xv = seeded(shape.reduce((a, b) => a * b), 51);
    const run = () => tf.tidy(() => {
      const parts = splitAxis(tf.tensor(xv, shape), sizes, -1);
      expect(parts.map((p) => p.shape)).toEqual(sizes.map((w) => [2, 5, 3, w]));
      const flat = parts.map((p) => p.dataSync());
      return Float32Array.from(flat.flatMap((a) => Array.from(a)));
    });
    const { loops, simd } = loopsAndSimd(run);
    expect(bits(simd)).toEqual(bits(loops));
    await tf.setBackend('cpu');
    const want = tf.tidy(() => Float32Array.from(tf.split(tf.tensor(xv, shape), sizes, 3).flatMap((p) => Array.from(p.dataSync()))));
    await tf.setBackend('wasm');
    expect(bits(simd)).toEqual(bits(want));
  });

  it('spatial crop: the rows and columns tf.slice gives on cpu, bit for bit; out-of-range crops refused', async () => {
    expect(tf.getKernel(CROP_SPATIAL, 'wasm')).toBeDefined();
    const shape: [number, number, number, number] = [2, 9, 7, 5];
    const xv = seeded(shape.reduce((a, b) => a * b), 61);
    const crops: Array<[number, number, number, number]> = [[1, 2, 6, 4], [0, 0, 9, 7], [3, 1, 0, 5], [8, 6, 1, 1]];
    const got = crops.map((k) => tf.tidy(() => cropSpatial(tf.tensor4d(xv, shape), ...k).dataSync().slice() as Float32Array));
    await tf.setBackend('cpu');
    const want = crops.map(([t, l, h, w]) => tf.tidy(() => tf.slice(tf.tensor4d(xv, shape), [0, t, l, 0], [2, h, w, 5]).dataSync().slice() as Float32Array));
    await tf.setBackend('wasm');
    for (let i = 0; i < crops.length; i++) expect(bits(got[i]), `crop ${crops[i]}`).toEqual(bits(want[i]));
    expect(() => tf.tidy(() => cropSpatial(tf.tensor4d(xv, shape), 5, 0, 5, 7))).toThrow(/outside a 9x7 tensor/);
  });
});
