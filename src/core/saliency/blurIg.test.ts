import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { blurIntegratedGradients, gaussianBlur, gaussianKernel1d } from './blurIg';
import { countingProbe, linearProbe, worstRelativeError } from './testing';
import { createRng } from './rng';

/**
 * Reference: scripts/blur_ig_reference.py (PAIR saliency v0.2's BlurIG.GetMask ported line for
 * line, scipy.ndimage.gaussian_filter) on an analytic linear model, written to fixtures/.
 */
interface Fixture {
  shape: [number, number, number];
  x: number[];
  w: number[];
  cases: Array<{ maxSigma: number; steps: number; sqrt: boolean; gradStep: number; map: number[] }>;
  blurred: Record<string, number[]>;
}
const fx = JSON.parse(readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'blur_ig_linear.json'), 'utf8')) as Fixture;
const [H, W, C] = fx.shape;

beforeAll(async () => { await tf.setBackend('cpu'); });

const worstRel = worstRelativeError;

describe('gaussianBlur', () => {
  it('is scipy.ndimage.gaussian_filter(x, [s, s, 0], mode="constant"), kernels wider than the image included', () => {
    for (const [s, want] of Object.entries(fx.blurred)) {
      const got = tf.tidy(() => gaussianBlur(tf.tensor4d(fx.x, [1, H, W, C]), Number(s)).dataSync());
      expect(worstRel(got, want), `sigma ${s}`).toBeLessThan(1e-5);
    }
  });

  it('uses scipy\'s kernel: radius int(4 sigma + 0.5), normalised', () => {
    const k = gaussianKernel1d(1);
    expect(k.length).toBe(9);
    const e = [0, 1, 2, 3, 4].map((t) => Math.exp(-t * t / 2));
    const z = e[0] + 2 * (e[1] + e[2] + e[3] + e[4]);
    expect(k[4]).toBeCloseTo(1 / z, 7);
    expect(k[0]).toBeCloseTo(e[4] / z, 9);
  });
});

describe('blur-ig', () => {
  const probe = () => linearProbe(Float32Array.from(fx.w), fx.shape, 0.3, { maxBatch: 4 });

  it('matches PAIR\'s BlurIG (scipy blur) on a linear model', async () => {
    for (const c of fx.cases) {
      const x = tf.tensor3d(fx.x, fx.shape);
      const out = await blurIntegratedGradients(probe(), x, { sigmaMax: c.maxSigma, steps: c.steps, gradStep: c.gradStep, sqrt: c.sqrt, maxSteps: c.steps }, { rng: createRng(0) });
      x.dispose();
      expect(out.rawShape).toEqual(fx.shape);
      expect(worstRel(out.raw, c.map), `sigmaMax ${c.maxSigma}, steps ${c.steps}, sqrt ${c.sqrt}`).toBeLessThan(2e-4);
    }
  });

  it('nearly completes: sum of the map ~ f(x) - f(most blurred x) for a linear model', async () => {
    const x = tf.tensor3d(fx.x, fx.shape);
    const out = await blurIntegratedGradients(probe(), x, { sigmaMax: 5, steps: 100, gradStep: 0.01, sqrt: false }, { rng: createRng(0) });
    x.dispose();
    const info = out.info as { targetAtInput: number; targetAtBaselines: Record<string, number>; attributionSum: number };
    const gap = info.targetAtInput - info.targetAtBaselines['blur 5'];
    expect(Math.abs(info.attributionSum - gap)).toBeLessThan(0.02 * Math.abs(gap));
  });

  it('sends the blurred steps in batches of maxBatch and leaves no tensor behind', async () => {
    const { probe: p, calls } = countingProbe(probe());
    const x = tf.tensor3d(fx.x, fx.shape);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await blurIntegratedGradients(p, x, { sigmaMax: 10, steps: 10, gradStep: 0.01, sqrt: false, maxSteps: 10 }, { rng: createRng(0) });
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    expect(calls.inputGradients.slice(0, 3)).toEqual([4, 4, 2]);
  });
});
