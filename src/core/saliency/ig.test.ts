import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { integratedGradients, integratedGradientsRaw } from './ig';
import { countingProbe, linearProbe, seededValues } from './testing';
import { createRng } from './rng';
import { createTfProbe } from '../model/probe';
import { validateManifest } from '../model/manifest';

beforeAll(async () => { await tf.setBackend('cpu'); });

const shape: [number, number, number] = [4, 5, 1];
const n = 20;

describe('IG on the analytic linear probe', () => {
  it('equals (x - b) * w for the black, white and a constant baseline', async () => {
    const w = seededValues(n, 3);
    const xv = seededValues(n, 4);
    const x = tf.tensor3d(xv, shape);
    const probe = linearProbe(w, shape, 0, { inputRange: [-1, 1] });
    for (const [baseline, b] of [['black', -1], ['white', 1], [0.25, 0.25]] as const) {
      const raw = await integratedGradientsRaw(probe, x, { steps: 25, baseline });
      for (let i = 0; i < n; i++) expect(raw[i]).toBeCloseTo((xv[i] - b) * w[i], 5);
    }
    x.dispose();
  });

  it('sends 25 steps as batches of maxBatch 8: 4 gradient calls (8, 8, 8, 1)', async () => {
    const { probe, calls } = countingProbe(linearProbe(seededValues(n, 3), shape, 0, { maxBatch: 8 }));
    const x = tf.tensor3d(seededValues(n, 4), shape);
    await integratedGradientsRaw(probe, x, { steps: 25, baseline: 'black' });
    x.dispose();
    expect(calls.inputGradients).toEqual([8, 8, 8, 1]);
  });

  it('records the target at the input and the baseline, and completeness holds', async () => {
    const w = seededValues(n, 5);
    const xv = seededValues(n, 6);
    const x = tf.tensor3d(xv, shape);
    const out = await integratedGradients(linearProbe(w, shape, 0.5), x, { steps: 10, baseline: 'black' }, { rng: createRng(0) });
    x.dispose();
    let fx = 0.5;
    let fb = 0.5;
    for (let i = 0; i < n; i++) { fx += w[i] * xv[i]; fb += -w[i]; }
    const info = out.info as { targetAtInput: number; targetAtBaselines: Record<string, number>; attributionSum: number };
    expect(info.targetAtInput).toBeCloseTo(fx, 5);
    expect(info.targetAtBaselines.black).toBeCloseTo(fb, 5);
    expect(info.attributionSum).toBeCloseTo(fx - fb, 4);
  });
});

describe('IG completeness on a small non-linear model', () => {
  it('sum of raw IG at 200 steps is within 2% of f(x) - f(b)', async () => {
    const inp = tf.input({ shape: [8, 8, 1] });
    let h = tf.layers.conv2d({ name: 'c1_conv', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), biasInitializer: tf.initializers.constant({ value: 0.05 }) }).apply(inp) as tf.SymbolicTensor;
    h = tf.layers.conv2d({ name: 'c2_conv', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(h) as tf.SymbolicTensor;
    const out = tf.layers.dense({ name: 'logit', units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(h) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: out });
    const manifest = validateManifest({ id: 't', input: { height: 8, width: 8, channels: 1 }, preprocessing: { scale: 2, offset: -1 }, output: { kind: 'logit', index: 0 } });
    const probe = createTfProbe(model, manifest, { maxBatch: 16 });
    const xv = seededValues(64, 9).map((v) => v * 2); // in [-1, 1)
    const x = tf.tensor3d(xv, [8, 8, 1]);
    const raw = await integratedGradientsRaw(probe, x, { steps: 200, baseline: 'black' });
    const fx = (model.predict(x.expandDims(0)) as tf.Tensor).dataSync()[0];
    const fb = (model.predict(tf.fill([1, 8, 8, 1], -1)) as tf.Tensor).dataSync()[0];
    const sum = raw.reduce((a, b) => a + b, 0);
    expect(Math.abs(fx - fb)).toBeGreaterThan(1e-3);
    expect(Math.abs(sum - (fx - fb))).toBeLessThan(0.02 * Math.abs(fx - fb));
    x.dispose();
    model.dispose();
  });
});
