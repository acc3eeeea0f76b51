import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createTfProbe } from './probe';
import { validateManifest } from './manifest';
import { seededValues } from '../saliency/testing';

beforeAll(async () => { await tf.setBackend('cpu'); });

const manifestFor = (kind: 'logit' | 'sigmoid' | 'softmax', index = 0, h = 3, w = 3, c = 1) =>
  validateManifest({ id: `m-${kind}`, input: { height: h, width: w, channels: c }, preprocessing: { scale: 2, offset: -1 }, output: { kind, index } });

/** flatten -> dense(units, activation) with known weights; z = x . W + b by hand. */
function denseModel(units: number, activation: 'linear' | 'sigmoid' | 'softmax', W: number[][], b: number[]) {
  const inp = tf.input({ shape: [3, 3, 1] });
  const f = tf.layers.flatten({ name: 'head_flat' }).apply(inp) as tf.SymbolicTensor;
  const d = tf.layers.dense({ name: 'logit', units, activation });
  const model = tf.model({ inputs: inp, outputs: d.apply(f) as tf.SymbolicTensor });
  d.setWeights([tf.tensor2d(W), tf.tensor1d(b)]);
  return model;
}

const X = [Array.from(seededValues(9, 1)), Array.from(seededValues(9, 2))];
const xBatch = () => tf.tensor4d(X.flat(), [2, 3, 3, 1]);
const dot = (x: number[], W: number[][], j: number) => x.reduce((a, v, i) => a + v * W[i][j], 0);

describe('TF.js probe target', () => {
  const W1 = Array.from(seededValues(9, 3), (v) => [v * 4]);

  it('for a sigmoid output is the pre-activation x . W + b (not the probability)', () => {
    const probe = createTfProbe(denseModel(1, 'sigmoid', W1, [0.4]), manifestFor('sigmoid'));
    const t = probe.target(xBatch()).arraySync();
    X.forEach((x, n) => expect(t[n]).toBeCloseTo(dot(x, W1, 0) + 0.4, 5));
  });

  it('with target "probability" is the sigmoid of it', () => {
    const probe = createTfProbe(denseModel(1, 'sigmoid', W1, [0.4]), manifestFor('sigmoid'), { target: 'probability' });
    const t = probe.target(xBatch()).arraySync();
    X.forEach((x, n) => expect(t[n]).toBeCloseTo(1 / (1 + Math.exp(-(dot(x, W1, 0) + 0.4))), 5));
  });

  it('for a final Activation("sigmoid") layer is that layer\'s input', () => {
    const inp = tf.input({ shape: [3, 3, 1] });
    const f = tf.layers.flatten().apply(inp) as tf.SymbolicTensor;
    const d = tf.layers.dense({ name: 'logit', units: 1 });
    const z = d.apply(f) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: tf.layers.activation({ activation: 'sigmoid' }).apply(z) as tf.SymbolicTensor });
    d.setWeights([tf.tensor2d(W1), tf.tensor1d([-0.2])]);
    const t = createTfProbe(model, manifestFor('sigmoid')).target(xBatch()).arraySync();
    X.forEach((x, n) => expect(t[n]).toBeCloseTo(dot(x, W1, 0) - 0.2, 5));
  });

  it('for a softmax output index 2 is logit_2', () => {
    const W3 = Array.from({ length: 9 }, (_, i) => [seededValues(27, 4)[i * 3], seededValues(27, 4)[i * 3 + 1], seededValues(27, 4)[i * 3 + 2]]);
    const probe = createTfProbe(denseModel(3, 'softmax', W3, [0.1, 0.2, 0.3]), manifestFor('softmax', 2));
    const t = probe.target(xBatch()).arraySync();
    X.forEach((x, n) => expect(t[n]).toBeCloseTo(dot(x, W3, 2) + 0.3, 5));
  });

  it('input gradients of the logit of a sigmoid model are W, per example', () => {
    const probe = createTfProbe(denseModel(1, 'sigmoid', W1, [0.4]), manifestFor('sigmoid'));
    const g = probe.inputGradients(xBatch()).arraySync() as number[][][][];
    for (let n = 0; n < 2; n++) for (let i = 0; i < 9; i++) expect(g[n][Math.floor(i / 3)][i % 3][0]).toBeCloseTo(W1[i][0], 5);
  });

  it('a sigmoid manifest on a model without a recoverable logit is a clear error', () => {
    const inp = tf.input({ shape: [3, 3, 1] });
    const f = tf.layers.flatten().apply(inp) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: tf.layers.dense({ units: 1, activation: 'tanh' }).apply(f) as tf.SymbolicTensor });
    expect(() => createTfProbe(model, manifestFor('sigmoid'))).toThrowError(expect.objectContaining({ code: 'BAD_INPUT_NO_LOGIT' }));
  });

  it('rejects a batch of the wrong shape with a code', () => {
    const probe = createTfProbe(denseModel(1, 'linear', W1, [0]), manifestFor('logit'));
    expect(() => probe.target(tf.zeros([1, 4, 4, 1]) as tf.Tensor4D)).toThrowError(expect.objectContaining({ code: 'BAD_INPUT_SHAPE' }));
  });
});

describe('TF.js probe layer gradients', () => {
  /** x -> convA -> convB -> add(convA, convB) -> GAP -> logit: a skip connection. */
  function skipModel() {
    const inp = tf.input({ shape: [4, 4, 1] });
    const a = tf.layers.conv2d({ name: 'b1_a', filters: 2, kernelSize: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(inp) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ name: 'b1_b', filters: 2, kernelSize: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(a) as tf.SymbolicTensor;
    const s = tf.layers.add({ name: 'b1_add' }).apply([a, b]) as tf.SymbolicTensor;
    const g = tf.layers.globalAveragePooling2d({ name: 'head_gap' }).apply(s) as tf.SymbolicTensor;
    const out = tf.layers.dense({ name: 'logit', units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(g) as tf.SymbolicTensor;
    return tf.model({ inputs: inp, outputs: out });
  }

  it('defaults to the last 4-D layer and a cut there gives d(logit)/dA = v / (h w) for GAP + dense', () => {
    const model = skipModel();
    const probe = createTfProbe(model, manifestFor('logit', 0, 4, 4, 1));
    expect(probe.defaultLayer).toBe('b1_add');
    const x = tf.tensor4d(seededValues(32, 5), [2, 4, 4, 1]);
    const { activations, gradients } = probe.layerGradients(x);
    expect(activations.shape).toEqual([2, 4, 4, 2]);
    const v = (model.getLayer('logit').getWeights()[0].arraySync() as number[][]).map((r) => r[0]);
    const g = gradients.arraySync() as number[][][][];
    for (let n = 0; n < 2; n++) for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 2; k++) expect(g[n][i][j][k]).toBeCloseTo(v[k] / 16, 6);
    // The activations are the model's own intermediate output.
    const sub = tf.model({ inputs: model.inputs, outputs: model.getLayer('b1_add').output as tf.SymbolicTensor });
    const want = (sub.predict(x) as tf.Tensor).arraySync();
    expect(activations.arraySync()).toEqual(want);
  });

  it('refuses a cut that a skip connection bypasses, with a code', () => {
    const probe = createTfProbe(skipModel(), manifestFor('logit', 0, 4, 4, 1));
    const x = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
    expect(() => probe.layerGradients(x, 'b1_b')).toThrowError(expect.objectContaining({ code: 'BAD_INPUT_LAYER_CUT' }));
    expect(() => probe.layerGradients(x, 'nope')).toThrowError(expect.objectContaining({ code: 'BAD_INPUT_LAYER' }));
    expect(() => probe.layerGradients(x, 'head_gap')).toThrowError(expect.objectContaining({ code: 'BAD_INPUT_LAYER' }));
  });

  it('works on a Sequential model', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [4, 4, 1], name: 'c1_conv', filters: 2, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) }),
        tf.layers.globalAveragePooling2d({ name: 'head_gap' }),
        tf.layers.dense({ name: 'logit', units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }) }),
      ],
    });
    const probe = createTfProbe(model, manifestFor('sigmoid', 0, 4, 4, 1));
    expect(probe.defaultLayer).toBe('c1_conv');
    const x = tf.tensor4d(seededValues(16, 9), [1, 4, 4, 1]);
    const p = (model.predict(x) as tf.Tensor).dataSync()[0];
    const t = probe.target(x).dataSync()[0];
    expect(t).toBeCloseTo(Math.log(p / (1 - p)), 4);
    const { gradients } = probe.layerGradients(x);
    expect(gradients.shape).toEqual([1, 4, 4, 2]);
  });
});

describe('createTfProbe: fast input gradients', () => {
  it('equal tf.grad of the target for logit, sigmoid and softmax outputs', async () => {
    const { initNodeBackend } = await import('../../platform/node/backend');
    await initNodeBackend('wasm');
    const build = (units: number, activation: 'linear' | 'sigmoid' | 'softmax') => {
      const inp = tf.input({ shape: [12, 12, 1] });
      let h = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }).apply(inp) as tf.SymbolicTensor;
      h = tf.layers.batchNormalization({ gammaInitializer: tf.initializers.constant({ value: 1.2 }), betaInitializer: tf.initializers.constant({ value: 0.05 }) }).apply(h) as tf.SymbolicTensor;
      h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
      h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
      h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
      const out = tf.layers.dense({ units, activation, kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }).apply(h) as tf.SymbolicTensor;
      return tf.model({ inputs: inp, outputs: out });
    };
    const cases: Array<[number, 'linear' | 'sigmoid' | 'softmax', 'logit' | 'sigmoid' | 'softmax', number]> = [
      [1, 'linear', 'logit', 0], [1, 'sigmoid', 'sigmoid', 0], [3, 'softmax', 'softmax', 2],
    ];
    const x = tf.randomUniform([3, 12, 12, 1], -1, 1, 'float32', 9) as tf.Tensor4D;
    for (const [units, act, kind, index] of cases) {
      const model = build(units, act);
      const manifest = { id: `m-${kind}`, architecture: 't', family: 't', input: { height: 12, width: 12, channels: 1 }, preprocessing: { scale: 2, offset: -1 }, inputRange: [-1, 1] as [number, number], output: { kind, index }, weightsSha256: '' };
      for (const target of ['logit', 'probability'] as const) {
        const fastProbe = createTfProbe(model, manifest, { target });
        const slowProbe = createTfProbe(model, manifest, { target, fastGradients: false });
        const a = fastProbe.inputGradients(x);
        const b = slowProbe.inputGradients(x);
        const av = a.dataSync();
        const bv = b.dataSync();
        let err = 0;
        let scale = 0;
        for (let i = 0; i < av.length; i++) { err = Math.max(err, Math.abs(av[i] - bv[i])); scale = Math.max(scale, Math.abs(bv[i])); }
        expect(scale).toBeGreaterThan(0);
        expect(err / scale).toBeLessThan(1e-4);
        tf.dispose([a, b]);
        fastProbe.dispose();
        slowProbe.dispose();
      }
      model.dispose();
    }
    x.dispose();
  });
});
