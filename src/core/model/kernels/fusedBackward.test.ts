import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../../platform/node/backend';
import { fusedMaxPoolBackward, maxPoolBackwardFused, reluBackward, RELU_BACKWARD } from './fusedBackward';
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
