import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { guidedIgCore, guidedIntegratedGradients } from './guidedIg';
import type { ModelProbe } from './types';
import { countingProbe, linearProbe, worstRelativeError } from './testing';
import { createRng } from './rng';

/**
 * Reference: scripts/guided_ig_reference.py, an independent NumPy implementation of PAIR's
 * guided_ig_impl, on f(x) = sum(a x^2 + w x) with float32 gradients 2 a x + w.
 */
interface Fixture { shape: [number, number, number]; x: number[]; a: number[]; w: number[]; baseline: number; cases: Array<{ steps: number; fraction: number; maxDist: number; map: number[] }> }
const fx = JSON.parse(readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'guided_ig_quadratic.json'), 'utf8')) as Fixture;
const [H, W, C] = fx.shape;
const n = H * W * C;
const a2 = Float32Array.from(fx.a, (v) => 2 * v);
const w = Float32Array.from(fx.w);

beforeAll(async () => { await tf.setBackend('cpu'); });

const worstRel = worstRelativeError;

/** The quadratic model as a probe: target sum(a x^2 + w x), gradient x * 2a + w in float32. */
function quadraticProbe(): ModelProbe {
  const t = (v: Float32Array) => tf.tensor4d(v, [1, H, W, C]);
  return {
    inputShape: [H, W, C],
    inputRange: [-1, 1],
    maxBatch: 4,
    target: (x) => tf.tidy(() => x.square().mul(t(a2).div(2)).add(x.mul(t(w))).sum([1, 2, 3]) as tf.Tensor1D),
    inputGradients: (x) => tf.tidy(() => x.mul(t(a2)).add(t(w)) as tf.Tensor4D),
    layerGradients: () => { throw new Error('not used'); },
  };
}

describe('guided-ig', () => {
  it('the path algorithm equals the NumPy reference (quadratic model, three settings)', async () => {
    const grad = async (x: Float64Array) => Float64Array.from(x, (v, i) => Math.fround(Math.fround(Math.fround(v) * a2[i]) + w[i]));
    for (const c of fx.cases) {
      const got = await guidedIgCore(Float64Array.from(Float32Array.from(fx.x)), new Float64Array(n).fill(fx.baseline), grad, c);
      expect(worstRel(got, c.map), `steps ${c.steps}, fraction ${c.fraction}, maxDist ${c.maxDist}`).toBeLessThan(1e-9);
    }
  });

  it('the method on a TF.js probe gives the same maps, one gradient per step at batch 1', async () => {
    for (const c of fx.cases) {
      const { probe, calls } = countingProbe(quadraticProbe());
      const x = tf.tensor3d(fx.x, fx.shape);
      const out = await guidedIntegratedGradients(probe, x, { steps: c.steps, fraction: c.fraction, maxDist: c.maxDist, baseline: 'black', maxSteps: c.steps }, { rng: createRng(0) });
      x.dispose();
      expect(worstRel(out.raw, c.map)).toBeLessThan(1e-5);
      expect(calls.inputGradients).toEqual(new Array(c.steps).fill(1));
    }
  });

  it('on a linear model with maxDist 0 it is IG: (x - b) * w', async () => {
    const probe = linearProbe(w, [H, W, C]);
    const x = tf.tensor3d(fx.x, fx.shape);
    const out = await guidedIntegratedGradients(probe, x, { steps: 16, fraction: 0.25, maxDist: 0, baseline: 'black' }, { rng: createRng(0) });
    expect(worstRel(out.raw, fx.x.map((v, i) => (Math.fround(v) + 1) * w[i]))).toBeLessThan(1e-6);
    // completeness holds for any path: the sum is f(x) - f(b)
    const info = out.info as { targetAtInput: number; targetAtBaselines: Record<string, number>; attributionSum: number };
    expect(info.attributionSum).toBeCloseTo(info.targetAtInput - info.targetAtBaselines.black, 4);
    const before = tf.memory().numTensors;
    await guidedIntegratedGradients(probe, x, { steps: 8, fraction: 0.25, maxDist: 0.02, baseline: 'black', maxSteps: 8 }, { rng: createRng(0) });
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
