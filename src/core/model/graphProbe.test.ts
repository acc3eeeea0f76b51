import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { loadModelFromFiles, type LoadedModel } from './load';
import { attr, graphModelFiles, type FixtureConst, type FixtureNode } from './graphModelFixture';
import { createProbe, isGraphModel } from './createProbe';
import { createTfProbe } from './probe';
import { ModelError } from './manifest';
import { seededValues } from '../saliency/testing';
import { runSaliency } from '../saliency/run';

beforeAll(async () => { await tf.setBackend('cpu'); });

const manifest = (kind: 'logit' | 'sigmoid', h: number, w: number) => ({ id: `graph-${kind}`, input: { height: h, width: w, channels: 1 }, preprocessing: { scale: 2, offset: -1 }, output: { kind, index: 0 } });

// A linear graph: logit = flatten(x) . W + b, output = Identity(Sigmoid(logit)).
const W = Array.from(seededValues(16, 5), (v) => v * 3);
const B = 0.37;
function linearGraph(): Promise<LoadedModel> {
  const consts: FixtureConst[] = [
    { name: 'flat_shape', dtype: 'int32', shape: [2], values: [-1, 16] },
    { name: 'W', dtype: 'float32', shape: [16, 1], values: W },
    { name: 'b', dtype: 'float32', shape: [1], values: [B] },
  ];
  const nodes: FixtureNode[] = [
    { name: 'flat', op: 'Reshape', inputs: ['x', 'flat_shape'], attr: { Tshape: { type: 'DT_INT32' } } },
    { name: 'mm', op: 'MatMul', inputs: ['flat', 'W'], attr: { transpose_a: attr.bool(false), transpose_b: attr.bool(false) } },
    { name: 'logit', op: 'AddV2', inputs: ['mm', 'b'] },
    { name: 'prob', op: 'Sigmoid', inputs: ['logit'] },
    { name: 'output', op: 'Identity', inputs: ['prob'] },
  ];
  return loadModelFromFiles(graphModelFiles([4, 4, 1], consts, nodes, manifest('sigmoid', 4, 4)));
}

// A small CNN: conv 3x3 (2 filters, SAME) + bias + ReLU ("feat"), global average pool, dense to one logit.
const K = Array.from(seededValues(18, 7));
const KB = [0.1, -0.05];
const W2 = [1.5, -0.8];
const B2 = 0.2;
function cnnGraph(skip = false): Promise<LoadedModel> {
  const consts: FixtureConst[] = [
    { name: 'K', dtype: 'float32', shape: [3, 3, 1, 2], values: K },
    { name: 'kb', dtype: 'float32', shape: [2], values: KB },
    { name: 'axes', dtype: 'int32', shape: [2], values: [1, 2] },
    { name: 'W2', dtype: 'float32', shape: [2, 1], values: W2 },
    { name: 'b2', dtype: 'float32', shape: [1], values: [B2] },
  ];
  const nodes: FixtureNode[] = [
    { name: 'conv', op: 'Conv2D', inputs: ['x', 'K'], attr: { strides: attr.ints([1, 1, 1, 1]), padding: attr.str('SAME'), data_format: attr.str('NHWC'), dilations: attr.ints([1, 1, 1, 1]) } },
    { name: 'biased', op: 'BiasAdd', inputs: ['conv', 'kb'], attr: { data_format: attr.str('NHWC') } },
    { name: 'feat', op: 'Relu', inputs: ['biased'] },
    { name: 'gap', op: 'Mean', inputs: ['feat', 'axes'], attr: { keep_dims: attr.bool(false), Tidx: { type: 'DT_INT32' } } },
    { name: 'mm', op: 'MatMul', inputs: ['gap', 'W2'], attr: { transpose_a: attr.bool(false), transpose_b: attr.bool(false) } },
    { name: skip ? 'dense' : 'logit', op: 'AddV2', inputs: ['mm', 'b2'] },
  ];
  // The skip variant adds the input's mean to the logit: a path from x to the output around "feat".
  if (skip) nodes.push({ name: 'xmean', op: 'Mean', inputs: ['x', 'axes'], attr: { keep_dims: attr.bool(false), Tidx: { type: 'DT_INT32' } } }, { name: 'logit', op: 'AddV2', inputs: ['dense', 'xmean'] });
  return loadModelFromFiles(graphModelFiles([6, 6, 1], consts, nodes, manifest('logit', 6, 6)));
}

/** The same CNN as a LayersModel with the same weights: the reference the graph probe must agree with. */
function cnnLayers(): tf.LayersModel {
  const inp = tf.input({ shape: [6, 6, 1] });
  const conv = tf.layers.conv2d({ name: 'feat', filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' });
  const f = conv.apply(inp) as tf.SymbolicTensor;
  const g = tf.layers.globalAveragePooling2d({}).apply(f) as tf.SymbolicTensor;
  const d = tf.layers.dense({ name: 'logit', units: 1 });
  const model = tf.model({ inputs: inp, outputs: d.apply(g) as tf.SymbolicTensor });
  conv.setWeights([tf.tensor4d(K, [3, 3, 1, 2]), tf.tensor1d(KB)]);
  d.setWeights([tf.tensor2d(W2, [2, 1]), tf.tensor1d([B2])]);
  return model;
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  expect(worst).toBeLessThanOrEqual(tol);
};

describe('GraphModel loading', () => {
  it('reads a graph-model model.json as a GraphModel with its manifest', async () => {
    const lm = await linearGraph();
    expect(isGraphModel(lm.model)).toBe(true);
    expect(lm.manifest.id).toBe('graph-sigmoid');
    expect(lm.weightsHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses an input size that differs from the settings, naming the file', async () => {
    const f = graphModelFiles([4, 4, 1], [{ name: 'W', dtype: 'float32', shape: [1], values: [1] }], [{ name: 'y', op: 'Mul', inputs: ['x', 'W'] }], { ...manifest('logit', 5, 5) });
    await expect(loadModelFromFiles(f)).rejects.toThrow(/fixture: the model's input is \[4, 4, 1\] but the settings say 5x5x1/);
  });
});

describe('GraphModel probe on a linear graph (analytic)', () => {
  const x = Array.from(seededValues(32, 9));
  const xb = () => tf.tensor4d(x, [2, 4, 4, 1]);
  const dot = (n: number) => W.reduce((a, w, i) => a + w * x[n * 16 + i], 0);

  it('target is the logit before the Sigmoid (through the Identity), the probability on request', async () => {
    const lm = await linearGraph();
    const t = Array.from(createProbe(lm.model, lm.manifest).target(xb()).dataSync());
    close(t, [dot(0) + B, dot(1) + B], 1e-5);
    const p = Array.from(createProbe(lm.model, lm.manifest, { target: 'probability' }).target(xb()).dataSync());
    close(p, [dot(0) + B, dot(1) + B].map((z) => 1 / (1 + Math.exp(-z))), 1e-6);
  });

  it('input gradients are w; IG is (x - b) * w exactly', async () => {
    const lm = await linearGraph();
    const probe = createProbe(lm.model, lm.manifest);
    const g = probe.inputGradients(xb()).dataSync();
    close(Array.from(g.slice(0, 16)), W, 1e-6);
    close(Array.from(g.slice(16)), W, 1e-6);
    const ig = await runSaliency(probe, Float32Array.from(x.slice(0, 16)), { method: 'ig', preset: 'quick' });
    // Black baseline = input-range minimum, -1.
    close(ig.output.raw, W.map((w, i) => (x[i] - -1) * w), 1e-5);
    expect(ig.baselineLogits).toBeDefined();
  });

  it('a sigmoid manifest on a graph whose output is not a Sigmoid gives BAD_INPUT_NO_LOGIT', async () => {
    const f = graphModelFiles([4, 4, 1], [{ name: 'W', dtype: 'float32', shape: [1], values: [2] }], [{ name: 'y', op: 'Mul', inputs: ['x', 'W'] }, { name: 'out', op: 'Tanh', inputs: ['y'] }], manifest('sigmoid', 4, 4));
    const lm = await loadModelFromFiles(f);
    expect(() => createProbe(lm.model, lm.manifest)).toThrow(ModelError);
    expect(() => createProbe(lm.model, lm.manifest)).toThrow(/comes from a Tanh op, not Sigmoid/);
  });
});

describe('GraphModel probe on a CNN agrees with the same network as a LayersModel', () => {
  const x = Array.from(seededValues(72, 11), (v) => v * 2 - 1);
  const xb = () => tf.tensor4d(x, [2, 6, 6, 1]);

  it('target, input gradients, activations and their gradients at "feat"', async () => {
    const lm = await cnnGraph();
    const g = createProbe(lm.model, lm.manifest);
    const l = createTfProbe(cnnLayers(), lm.manifest, { fastGradients: false });
    expect(g.defaultLayer).toBe('feat');
    close(g.target(xb()).dataSync(), l.target(xb()).dataSync(), 1e-5);
    close(g.inputGradients(xb()).dataSync(), l.inputGradients(xb()).dataSync(), 1e-5);
    const ga = g.layerGradients(xb());
    const la = l.layerGradients(xb(), 'feat');
    close(ga.activations.dataSync(), la.activations.dataSync(), 1e-5);
    close(ga.gradients.dataSync(), la.gradients.dataSync(), 1e-6);
    // d logit / d feat = W2[k] / 36 where feat > 0 (mean pool over 6x6), 0 elsewhere (ReLU's input is not seen here: the gradient is at feat itself).
    const grads = ga.gradients.dataSync();
    for (let i = 0; i < grads.length; i++) expect(grads[i]).toBeCloseTo(W2[i % 2] / 36, 6);
  });

  it('Grad-CAM maps are equal', async () => {
    const lm = await cnnGraph();
    const one = Float32Array.from(x.slice(0, 36));
    const a = await runSaliency(createProbe(lm.model, lm.manifest), one, { method: 'gradcam' });
    const b = await runSaliency(createTfProbe(cnnLayers(), lm.manifest), one, { method: 'gradcam' });
    close(a.output.map, b.output.map, 1e-5);
    expect(Math.max(...a.output.map)).toBeGreaterThan(0);
  });

  it('leaves no tensors behind over repeated calls', async () => {
    const lm = await cnnGraph();
    const probe = createProbe(lm.model, lm.manifest);
    const one = Float32Array.from(x.slice(0, 36));
    await runSaliency(probe, one, { method: 'gradcam' });
    await runSaliency(probe, one, { method: 'ig', preset: 'quick' });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      await runSaliency(probe, one, { method: 'gradcam' });
      await runSaliency(probe, one, { method: 'sg', preset: 'quick', seed: i });
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a cut that a skip connection goes around, and an unknown node', async () => {
    const lm = await cnnGraph(true);
    const probe = createProbe(lm.model, lm.manifest);
    expect(() => probe.layerGradients(xb(), 'feat')).toThrow(/skip connection past the cut/);
    expect(() => probe.layerGradients(xb(), 'nope')).toThrow(/no node named "nope"/);
    expect(() => probe.layerGradients(xb(), 'gap')).toThrow(/Grad-CAM needs a 4-D/);
  });
});
