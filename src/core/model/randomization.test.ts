import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { cascadeSteps, randomizeCascade } from './randomization';

beforeAll(async () => { await tf.setBackend('cpu'); });

/** stem (conv + bn) -> dense1 (conv + bn) -> trans1 (conv) -> head (gap) -> logit (dense), the demo naming. */
function blockModel() {
  const inp = tf.input({ shape: [8, 8, 1] });
  const conv = (name: string, seed: number) => tf.layers.conv2d({ name, filters: 2, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed }), biasInitializer: tf.initializers.constant({ value: 0.1 * seed }) });
  let h = conv('stem_conv', 1).apply(inp) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ name: 'stem_bn' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.activation({ name: 'stem_relu', activation: 'relu' }).apply(h) as tf.SymbolicTensor;
  h = conv('dense1_conv', 2).apply(h) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ name: 'dense1_bn' }).apply(h) as tf.SymbolicTensor;
  h = conv('trans1_conv', 3).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({ name: 'head_gap' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'logit', units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: inp, outputs: out });
  // Give the batch norms trained-looking statistics so a reset is visible.
  // Trained-looking biases (the initializers give 0.1 * seed and zeros), so a reset is visible.
  const logit = model.getLayer('logit');
  logit.setWeights([logit.getWeights()[0], tf.tensor1d([0.5])]);
  for (const n of ['stem_conv', 'dense1_conv', 'trans1_conv']) {
    const l = model.getLayer(n);
    l.setWeights([l.getWeights()[0], tf.tensor1d([0.7, -0.7])]);
  }
  for (const n of ['stem_bn', 'dense1_bn']) model.getLayer(n).setWeights([tf.fill([2], 1.5), tf.fill([2], 0.2), tf.fill([2], -0.3), tf.fill([2], 2)]);
  return model;
}

const weightsOf = (m: tf.LayersModel, layer: string) => m.getLayer(layer).getWeights().map((w) => Array.from(w.dataSync()));

describe('cascadeSteps', () => {
  it('groups by the prefix before the first underscore, from the output back to the input', () => {
    expect(cascadeSteps(blockModel())).toEqual([
      { step: 0, block: 'logit', layers: ['logit'] },
      { step: 1, block: 'trans1', layers: ['trans1_conv'] },
      { step: 2, block: 'dense1', layers: ['dense1_bn', 'dense1_conv'] },
      { step: 3, block: 'stem', layers: ['stem_bn', 'stem_conv'] },
    ]);
  });

  it('falls back to one step per weighted layer on TF.js automatic names', () => {
    const m = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 1, kernelSize: 1 }), tf.layers.conv2d({ filters: 1, kernelSize: 1 }), tf.layers.flatten(), tf.layers.dense({ units: 1 })] });
    const steps = cascadeSteps(m);
    expect(steps.map((s) => s.layers.length)).toEqual([1, 1, 1]);
    expect(steps[0].layers[0]).toBe(m.layers[3].name);
    expect(steps[2].layers[0]).toBe(m.layers[0].name);
  });

  it('falls back when a prefix is split by another block', () => {
    const inp = tf.input({ shape: [4, 4, 1] });
    let h = tf.layers.conv2d({ name: 'a_1', filters: 1, kernelSize: 1 }).apply(inp) as tf.SymbolicTensor;
    h = tf.layers.conv2d({ name: 'b_1', filters: 1, kernelSize: 1 }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.conv2d({ name: 'a_2', filters: 1, kernelSize: 1 }).apply(h) as tf.SymbolicTensor;
    expect(cascadeSteps(tf.model({ inputs: inp, outputs: h })).map((s) => s.block)).toEqual(['a_2', 'b_1', 'a_1']);
  });
});

describe('randomizeCascade', () => {
  it('re-initialises blocks 0..step in a new model; the others and the trained model are untouched', () => {
    const model = blockModel();
    const names = ['logit', 'trans1_conv', 'dense1_conv', 'dense1_bn', 'stem_conv', 'stem_bn'];
    const trained = Object.fromEntries(names.map((n) => [n, weightsOf(model, n)]));
    const r = randomizeCascade(model, 1, 7);
    expect(r).not.toBe(model);
    // Touched: logit, trans1 — every weight changed (biases back to their initializers: 0 and 0.3).
    for (const n of ['logit', 'trans1_conv']) {
      const w = weightsOf(r, n);
      w.forEach((arr, i) => expect(arr).not.toEqual(trained[n][i]));
    }
    // Untouched blocks: identical values.
    for (const n of ['dense1_conv', 'dense1_bn', 'stem_conv', 'stem_bn']) expect(weightsOf(r, n)).toEqual(trained[n]);
    // The trained model is unchanged.
    for (const n of names) expect(weightsOf(model, n)).toEqual(trained[n]);
  });

  it('resets batch norm to gamma 1, beta 0, mean 0, variance 1 and draws kernels from the layer initializer', () => {
    const model = blockModel();
    const r = randomizeCascade(model, 3, 1);
    expect(weightsOf(r, 'stem_bn')).toEqual([[1, 1], [0, 0], [0, 0], [1, 1]]);
    // Glorot uniform for a 3x3x2x2 kernel: limit sqrt(6 / (fanIn + fanOut)) = sqrt(6 / 36); bias initializer constant 0.1 * 2.
    const [k, b] = weightsOf(r, 'dense1_conv');
    const limit = Math.sqrt(6 / (18 + 18));
    expect(Math.max(...k.map(Math.abs))).toBeLessThanOrEqual(limit + 1e-6);
    expect(b.map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0.2, 0.2]);
  });

  it('is deterministic for a seed, differs across seeds, and step s+1 extends step s', () => {
    const model = blockModel();
    const a = randomizeCascade(model, 2, 5);
    const b = randomizeCascade(model, 2, 5);
    const c = randomizeCascade(model, 2, 6);
    const d = randomizeCascade(model, 3, 5);
    for (const n of ['logit', 'trans1_conv', 'dense1_conv']) {
      expect(weightsOf(b, n)).toEqual(weightsOf(a, n));
      expect(weightsOf(d, n)).toEqual(weightsOf(a, n));
    }
    expect(weightsOf(c, 'logit')).not.toEqual(weightsOf(a, 'logit'));
    // The copy computes: the untouched step -1 copy predicts like the trained model.
    const x = tf.randomUniform([1, 8, 8, 1], -1, 1, 'float32', 3);
    const same = randomizeCascade(model, -1, 0);
    expect(Array.from((same.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
    expect(() => randomizeCascade(model, 4, 0)).toThrowError(expect.objectContaining({ code: 'BAD_INPUT_RANDOMIZATION_STEP' }));
  });

  it('disposing the copy leaves the trained model usable', () => {
    const model = blockModel();
    const x = tf.ones([1, 8, 8, 1]);
    const before = Array.from((model.predict(x) as tf.Tensor).dataSync());
    const r = randomizeCascade(model, 0, 1);
    r.dispose();
    expect(Array.from((model.predict(x) as tf.Tensor).dataSync())).toEqual(before);
  });
});
