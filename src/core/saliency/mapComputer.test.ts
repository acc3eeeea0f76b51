import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { MapComputer, type MapRequest } from './mapComputer';
import type { LoadedModel } from '../model/load';
import { seededValues } from './testing';

beforeAll(async () => { await tf.setBackend('cpu'); });

/** conv 3x3 (4) + ReLU, conv 3x3 (4) + ReLU, GAP, dense sigmoid: two blocks, so a cascade has steps. */
function tinyModel(seed: number): LoadedModel {
  const input = tf.input({ shape: [12, 12, 1] });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed }) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 1 }) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 2 }) }).apply(x) as tf.SymbolicTensor;
  return {
    manifest: { id: 'tiny', architecture: 'tiny', family: 'tiny', input: { height: 12, width: 12, channels: 1 }, preprocessing: { scale: 1, offset: 0 }, inputRange: [0, 1], output: { kind: 'sigmoid', index: 0 }, weightsSha256: `seed-${seed}` },
    model: tf.model({ inputs: input, outputs: out }),
    weightsHash: `seed-${seed}`,
  };
}

/** Counts the model's predict calls (the forward passes outside the gradient methods' own). */
function countPredicts(lm: LoadedModel): { n: number } {
  const c = { n: 0 };
  const m = lm.model as tf.LayersModel;
  const predict = m.predict.bind(m);
  m.predict = ((...a: Parameters<typeof predict>) => { c.n++; return predict(...a); }) as typeof m.predict;
  return c;
}

const req = (x: Float32Array, method: string, extra: Partial<MapRequest> = {}): MapRequest => ({ model: 'tiny', x, method, preset: 'quick', params: {}, seed: 1, raw: false, ...extra });

describe('MapComputer: what the model says at an input, once per input and model', () => {
  it('gives every method the same maps, logit and probability as a computer that knows nothing, with fewer forward passes', async () => {
    const x = Float32Array.from(seededValues(144, 3), (v) => (v + 1) / 2);
    const lm = tinyModel(7);
    const calls = countPredicts(lm);
    const kept = new MapComputer();
    kept.add('tiny', lm);
    const first = await kept.compute(req(x, 'grad'));
    const firstCalls = calls.n;
    const second = await kept.compute(req(x, 'gradcam'));
    const secondCalls = calls.n - firstCalls;
    // Each fresh computer computes everything for its one request.
    const fresh = async (method: string) => {
      const c = new MapComputer();
      c.add('tiny', tinyModel(7));
      try { return await c.compute(req(x, method)); } finally { c.dispose(); }
    };
    for (const [got, want] of [[first, await fresh('grad')], [second, await fresh('gradcam')]] as const) {
      expect(got.targetLogit).toBe(want.targetLogit);
      expect(got.probability).toBe(want.probability);
      expect(Array.from(got.values)).toEqual(Array.from(want.values));
    }
    // The sigmoid of the logit is the probability: both were read at this input.
    expect(first.probability).toBeCloseTo(1 / (1 + Math.exp(-first.targetLogit)), 6);
    expect(secondCalls).toBeLessThan(firstCalls);
    kept.dispose();
  });

  it('keeps a randomized cascade step, another input and a replaced model apart', async () => {
    const x = Float32Array.from(seededValues(144, 3), (v) => (v + 1) / 2);
    const y = Float32Array.from(seededValues(144, 4), (v) => (v + 1) / 2);
    const c = new MapComputer();
    c.add('tiny', tinyModel(7));
    const trained = await c.compute(req(x, 'grad'));
    const randomized = await c.compute(req(x, 'grad', { step: 1, reinitSeed: 5 }));
    const other = await c.compute(req(y, 'grad'));
    expect(randomized.targetLogit).not.toBe(trained.targetLogit);
    expect(other.targetLogit).not.toBe(trained.targetLogit);
    // Other weights under the same id: what was kept for the old model is not used.
    c.add('tiny', tinyModel(11));
    const replaced = await c.compute(req(x, 'grad'));
    const fresh = new MapComputer();
    fresh.add('tiny', tinyModel(11));
    const want = await fresh.compute(req(x, 'grad'));
    expect(replaced.targetLogit).toBe(want.targetLogit);
    expect(replaced.targetLogit).not.toBe(trained.targetLogit);
    c.dispose();
    fresh.dispose();
  });
});
