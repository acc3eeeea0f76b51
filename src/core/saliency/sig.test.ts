import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { smoothIntegratedGradients } from './sig';
import { countingProbe, linearProbe, seededValues } from './testing';
import { createRng, gaussian } from './rng';

beforeAll(async () => { await tf.setBackend('cpu'); });

describe('Smooth IG on the linear probe', () => {
  it('equals mean_s ((x + eps_s - b) * w)^2 with eps_s drawn in sample order from the same seed', async () => {
    const shape: [number, number, number] = [2, 3, 2];
    const n = 12;
    const w = seededValues(n, 21);
    const xv = seededValues(n, 22);
    const samples = 4;
    const steps = 5;
    // maxBatch 3 does not divide 5 steps: chunks span two samples.
    const { probe, calls } = countingProbe(linearProbe(w, shape, 0, { maxBatch: 3, inputRange: [-1, 1] }));
    const x = tf.tensor3d(xv, shape);
    const out = await smoothIntegratedGradients(probe, x, { samples, steps, noise: 0.15, baseline: 'black' }, { rng: createRng(99) });
    x.dispose();

    // Independent computation in plain JS.
    const sigma = 0.15 * (Math.max(...xv) - Math.min(...xv));
    const rng = createRng(99);
    const want = new Float64Array(n);
    for (let s = 0; s < samples; s++) {
      for (let i = 0; i < n; i++) {
        const xn = xv[i] + Math.fround(gaussian(rng)) * sigma;
        const a = (xn - -1) * w[i];
        want[i] += (a * a) / samples;
      }
    }
    for (let i = 0; i < n; i++) expect(out.raw[i]).toBeCloseTo(want[i], 5);
    // 4 samples x 5 steps = 20 rows in batches of 3.
    expect(calls.inputGradients).toEqual([3, 3, 3, 3, 3, 3, 2]);
  });
});
