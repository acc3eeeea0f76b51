import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../platform/node/backend';
import { createFastGrad, createInputGradientFn } from './fastgrad';
import { avgPoolBackprop, maxPoolBackprop } from './kernels/poolBackprop';
import { relErr, seeded } from './kernels/testUtil';

type S = tf.SymbolicTensor;

/**
 * tfjs' own AvgPoolGrad divides by the full window area even where 'same' padding makes the
 * forward pass average fewer cells, so it is not the derivative of its forward pass at the border
 * (checked below by finite differences). The reference gradients here use this direct, count-aware
 * definition for AvgPool instead, written as plain loops.
 */
function trueAvgPoolGrad(dy: Float32Array, xs: number[], ys: number[], k: [number, number], s: [number, number], top: number, left: number): Float32Array {
  const [n, h, w, c] = xs;
  const [, oh, ow] = ys;
  const dx = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    const r0 = Math.max(0, i * s[0] - top), r1 = Math.min(h, i * s[0] - top + k[0]);
    const c0 = Math.max(0, j * s[1] - left), c1 = Math.min(w, j * s[1] - left + k[1]);
    const cnt = (r1 - r0) * (c1 - c0);
    for (let ch = 0; ch < c; ch++) {
      const g = dy[((b * oh + i) * ow + j) * c + ch] / cnt;
      for (let r = r0; r < r1; r++) for (let q = c0; q < c1; q++) dx[((b * h + r) * w + q) * c + ch] += g;
    }
  }
  return dx;
}

/** Runs fn with the AvgPool gradient replaced by the count-aware definition above. */
async function withTrueAvgPoolGrad<T>(fn: () => T): Promise<T> {
  const original = tf.getGradient('AvgPool');
  tf.registerGradient({
    kernelName: 'AvgPool',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as tf.Tensor4D[];
      const a = attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'same' | 'valid' };
      const k = (typeof a.filterSize === 'number' ? [a.filterSize, a.filterSize] : a.filterSize) as [number, number];
      const st = (typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides) as [number, number];
      const info = tf.backend_util.computePool2DInfo(x.shape, k, st, 1, a.pad);
      const d = dy as tf.Tensor;
      return { x: () => tf.tensor(trueAvgPoolGrad(d.dataSync() as Float32Array, x.shape, d.shape, k, st, info.padInfo.top, info.padInfo.left), x.shape) };
    },
  });
  try {
    return fn();
  } finally {
    tf.registerGradient(original);
  }
}

const quiet = { warn: console.warn };
beforeAll(async () => {
  // registerGradient warns when it replaces a gradient; that is the point here.
  console.warn = () => {};
  await initNodeBackend('wasm');
});
afterAll(() => {
  console.warn = quiet.warn;
});

let seedN = 100;
const init = () => tf.initializers.glorotUniform({ seed: seedN++ });
function convBnRelu(x: S, filters: number, k: number | [number, number], strides = 1, padding: 'same' | 'valid' = 'same'): S {
  let h = tf.layers.conv2d({ filters, kernelSize: k, strides, padding, useBias: false, kernelInitializer: init() }).apply(x) as S;
  h = tf.layers.batchNormalization({ epsilon: 1e-3 }).apply(h) as S;
  return tf.layers.activation({ activation: 'relu' }).apply(h) as S;
}

/** DenseNet-style: pad + strided stem, BN-ReLU-Conv dense layers with concat, transition with avg pool. */
function denseNetStyle(): tf.LayersModel {
  const input = tf.input({ shape: [20, 20, 1] });
  let x = tf.layers.zeroPadding2d({ padding: 3 }).apply(input) as S;
  x = convBnRelu(x, 8, 7, 2, 'valid');
  x = tf.layers.zeroPadding2d({ padding: 1 }).apply(x) as S;
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid' }).apply(x) as S;
  for (let b = 0; b < 2; b++) {
    for (let l = 0; l < 2; l++) {
      let y = tf.layers.batchNormalization({ epsilon: 1e-3 }).apply(x) as S;
      y = tf.layers.reLU().apply(y) as S;
      y = tf.layers.conv2d({ filters: 12, kernelSize: 1, useBias: false, kernelInitializer: init() }).apply(y) as S;
      y = tf.layers.batchNormalization({ epsilon: 1e-3 }).apply(y) as S;
      y = tf.layers.activation({ activation: 'relu' }).apply(y) as S;
      y = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init() }).apply(y) as S;
      x = tf.layers.concatenate({ axis: -1 }).apply([x, y]) as S;
    }
    if (b === 0) {
      x = tf.layers.batchNormalization({}).apply(x) as S;
      x = tf.layers.activation({ activation: 'relu' }).apply(x) as S;
      x = tf.layers.conv2d({ filters: 8, kernelSize: 1, useBias: false, kernelInitializer: init() }).apply(x) as S;
      x = tf.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'valid' }).apply(x) as S;
    }
  }
  x = tf.layers.batchNormalization({}).apply(x) as S;
  x = tf.layers.activation({ activation: 'relu' }).apply(x) as S;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as S;
  const out = tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: init() }).apply(x) as S;
  return tf.model({ inputs: input, outputs: out });
}

/** Inception-style: conv-BN-ReLU stem with strided valid convs, a mixed block (1x1, 1x7/7x1, 3x3, avg-pool branch), a reduction block (3x3/2 + max pool), dropout, sigmoid head. */
function inceptionStyle(): tf.LayersModel {
  const input = tf.input({ shape: [23, 23, 3] });
  let x = convBnRelu(input, 8, 3, 2, 'valid');
  x = convBnRelu(x, 8, 3, 1, 'valid');
  const b1 = convBnRelu(x, 4, 1);
  let b2 = convBnRelu(x, 4, 1);
  b2 = convBnRelu(b2, 4, [1, 7]);
  b2 = convBnRelu(b2, 6, [7, 1]);
  let b3 = convBnRelu(x, 4, 1);
  b3 = convBnRelu(b3, 6, 3);
  let b4 = tf.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(x) as S;
  b4 = convBnRelu(b4, 4, 1);
  x = tf.layers.concatenate({}).apply([b1, b2, b3, b4]) as S;
  const r1 = convBnRelu(x, 8, 3, 2, 'valid');
  const r2 = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid' }).apply(x) as S;
  x = tf.layers.concatenate({}).apply([r1, r2]) as S;
  x = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init() }).apply(x) as S;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as S;
  x = tf.layers.dropout({ rate: 0.5 }).apply(x) as S;
  const out = tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: init() }).apply(x) as S;
  return tf.model({ inputs: input, outputs: out });
}

/** Gives every BatchNormalization non-trivial statistics so folding it into convs is exercised. */
function randomizeBatchNorms(m: tf.LayersModel, seed: number): void {
  let k = seed;
  for (const layer of m.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const ws = layer.getWeights();
    const fresh = ws.map((w, i) => {
      const v = seeded(w.size, k++);
      // gamma, beta, mean: around 1 / 0 / 0; variance positive.
      const name = layer.weights[i].name;
      const vals = name.includes('variance') ? v.map((a) => 0.5 + a * a * 4) : name.includes('gamma') ? v.map((a) => 1 + a) : v;
      return tf.tensor(vals, w.shape);
    });
    layer.setWeights(fresh);
    tf.dispose(fresh);
  }
}

function weightsOf(m: tf.LayersModel): Float32Array[] {
  return m.getWeights().map((w) => w.dataSync() as Float32Array);
}

/** Reference: tf.grad of the whole model on the cpu backend (count-aware AvgPool gradient). */
async function referenceGrad(build: () => tf.LayersModel, weights: Float32Array[], xv: Float32Array, xs: [number, number, number, number], target: (o: tf.Tensor) => tf.Tensor1D) {
  await tf.setBackend('cpu');
  const m = build();
  const fresh = m.getWeights().map((w, i) => tf.tensor(weights[i], w.shape));
  m.setWeights(fresh);
  tf.dispose(fresh);
  const r = await withTrueAvgPoolGrad(() => tf.tidy(() => {
    const x = tf.tensor4d(xv, xs);
    const g = tf.grad((t: tf.Tensor) => tf.sum(target(m.predict(t) as tf.Tensor)))(x);
    return { g: g.dataSync().slice(), out: (m.predict(x) as tf.Tensor).dataSync().slice() };
  }));
  m.dispose();
  await tf.setBackend('wasm');
  return r;
}

const pick0: (o: tf.Tensor) => tf.Tensor1D = (o) => tf.squeeze(tf.slice(o, [0, 0], [-1, 1]), [1]) as tf.Tensor1D;

describe('fast input gradients equal tf.grad (cpu) on whole models', () => {
  for (const [name, build, xs] of [
    ['DenseNet-style', denseNetStyle, [3, 20, 20, 1]],
    ['Inception-style', inceptionStyle, [2, 23, 23, 3]],
  ] as Array<[string, () => tf.LayersModel, [number, number, number, number]]>) {
    it(`${name}: gradient and output match, no tensor leaks, no generic layers`, async () => {
      await tf.setBackend('wasm');
      const m = build();
      randomizeBatchNorms(m, 3);
      const weights = weightsOf(m);
      const xv = seeded(xs.reduce((a, b) => a * b), 17).map((v) => v * 4);
      const fg = createFastGrad(m, pick0);
      expect(fg.genericLayers).toEqual([]);
      const x = tf.tensor4d(xv, xs);
      const before = tf.memory().numTensors;
      const { value, grad } = fg.valueAndGradients(x);
      const got = grad.dataSync().slice();
      const val = value.dataSync().slice();
      tf.dispose([value, grad]);
      const afterFirst = tf.memory().numTensors;
      // Second call reuses the prepared filters: no growth at all.
      fg.inputGradients(x).dispose();
      const growth = tf.memory().numTensors - afterFirst;
      const pred = fg.predict(x);
      const predicted = pred.dataSync().slice();
      pred.dispose();
      const ref = await referenceGrad(build, weights, xv, xs, pick0);
      expect(relErr(got, ref.g)).toBeLessThan(1e-4);
      expect(relErr(predicted, ref.out)).toBeLessThan(1e-4);
      expect(relErr(val, ref.out.filter((_, i) => i % (ref.out.length / xs[0]) === 0))).toBeLessThan(1e-4);
      fg.dispose();
      // Only the prepared filters stay between calls; after dispose nothing is left.
      expect(growth).toBe(0);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      m.dispose();
    });
  }

  it('logits option: gradient of the pre-sigmoid output', async () => {
    await tf.setBackend('wasm');
    const m = inceptionStyle();
    randomizeBatchNorms(m, 9);
    const xs: [number, number, number, number] = [2, 23, 23, 3];
    const xv = seeded(2 * 23 * 23 * 3, 5);
    const fg = createFastGrad(m, pick0, { logits: true });
    const { value, grad } = fg.valueAndGradients(tf.tensor4d(xv, xs));
    const got = grad.dataSync().slice();
    const logit = value.dataSync().slice();
    const plain = createFastGrad(m, pick0);
    const { value: p, grad: gp } = plain.valueAndGradients(tf.tensor4d(xv, xs));
    const prob = p.dataSync();
    const gprob = gp.dataSync();
    // sigmoid(logit) is the model output; d sigmoid = s (1 - s) d logit, per example.
    for (let b = 0; b < 2; b++) {
      const s = 1 / (1 + Math.exp(-logit[b]));
      expect(Math.abs(s - prob[b])).toBeLessThan(1e-5);
      const n = 23 * 23 * 3;
      const scaled = got.slice(b * n, (b + 1) * n).map((v) => v * s * (1 - s));
      expect(relErr(scaled, gprob.slice(b * n, (b + 1) * n))).toBeLessThan(1e-4);
    }
    fg.dispose();
    plain.dispose();
    m.dispose();
  });

  it('follows weight changes (setWeights) and routes unknown layers through tf.grads', async () => {
    await tf.setBackend('wasm');
    const build = () => {
      const input = tf.input({ shape: [10, 10, 2] });
      let h = convBnRelu(input, 4, 3);
      h = tf.layers.leakyReLU({ alpha: 0.2 }).apply(h) as S;
      h = tf.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh', kernelInitializer: init() }).apply(h) as S;
      h = tf.layers.flatten().apply(h) as S;
      return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1, kernelInitializer: init() }).apply(h) as S });
    };
    const m = build();
    const fg = createFastGrad(m, (o) => tf.squeeze(o, [1]) as tf.Tensor1D);
    expect(fg.genericLayers).toEqual(['LeakyReLU']);
    const xs: [number, number, number, number] = [2, 10, 10, 2];
    const xv = seeded(400, 8);
    fg.inputGradients(tf.tensor4d(xv, xs)).dispose();
    // New weights after the first call: the prepared filters must be rebuilt.
    randomizeBatchNorms(m, 21);
    m.layers[1].setWeights([tf.tensor(seeded(3 * 3 * 2 * 4, 44), [3, 3, 2, 4])]);
    const got = fg.inputGradients(tf.tensor4d(xv, xs)).dataSync().slice();
    const ref = await referenceGrad(build, weightsOf(m), xv, xs, (o) => tf.squeeze(o, [1]) as tf.Tensor1D);
    expect(relErr(got, ref.g)).toBeLessThan(1e-4);
    const fn = createInputGradientFn(m, (o) => tf.squeeze(o, [1]) as tf.Tensor1D);
    expect(relErr(fn(tf.tensor4d(xv, xs)).dataSync(), ref.g)).toBeLessThan(1e-4);
    fn.dispose();
    fg.dispose();
    m.dispose();
  });
});

describe('pooling backprops', () => {
  const poolCases: Array<{ x: [number, number, number, number]; k: number; s: number; pad: 'same' | 'valid' }> = [
    { x: [2, 9, 9, 3], k: 3, s: 2, pad: 'valid' },
    { x: [1, 10, 10, 4], k: 3, s: 2, pad: 'same' },
    { x: [1, 8, 8, 2], k: 2, s: 2, pad: 'valid' },
    { x: [1, 7, 7, 2], k: 3, s: 1, pad: 'same' },
    { x: [1, 9, 8, 2], k: 2, s: 2, pad: 'valid' },
    { x: [2, 9, 8, 3], k: 3, s: 1, pad: 'valid' },
  ];
  for (const c of poolCases) {
    it(`max pool ${c.k}/${c.s} ${c.pad} on ${c.x} (with ties from ReLU zeros) matches cpu's MaxPoolGrad`, async () => {
      const xv = seeded(c.x.reduce((a, b) => a * b), 3).map((v) => Math.max(v, 0));
      const run = () => tf.tidy(() => {
        const x = tf.tensor4d(xv, c.x);
        const y = tf.maxPool(x, c.k, c.s, c.pad);
        const dy = tf.tensor4d(seeded(y.size, 4), y.shape);
        if (tf.getBackend() === 'cpu') return (tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: c.k, strides: c.s, pad: c.pad } as never) as tf.Tensor).dataSync();
        return maxPoolBackprop(dy, x, y, null, c.k, c.s, c.pad).dataSync();
      });
      await tf.setBackend('wasm');
      const got = run();
      await tf.setBackend('cpu');
      const want = run();
      await tf.setBackend('wasm');
      expect(relErr(got, want)).toBeLessThan(1e-6);
    });
    it(`average pool ${c.k}/${c.s} ${c.pad} on ${c.x} matches the count-aware definition`, async () => {
      await tf.setBackend('wasm');
      const info = tf.backend_util.computePool2DInfo(c.x, c.k, c.s, 1, c.pad);
      const ys = [c.x[0], info.outHeight, info.outWidth, c.x[3]];
      const dyv = seeded(ys.reduce((a, b) => a * b), 9);
      const got = tf.tidy(() => avgPoolBackprop(tf.tensor4d(dyv, ys as [number, number, number, number]), tf.zeros(c.x) as tf.Tensor4D, c.k, c.s, c.pad).dataSync());
      const want = trueAvgPoolGrad(dyv, c.x, ys, [c.k, c.k], [c.s, c.s], info.padInfo.top, info.padInfo.left);
      expect(relErr(got, want)).toBeLessThan(1e-5);
    });
  }

  it('the count-aware average-pool gradient is the derivative of tfjs avgPool (finite differences), stock AvgPoolGrad is not at the border', async () => {
    await tf.setBackend('cpu');
    const xs: [number, number, number, number] = [1, 5, 5, 1];
    const xv = Array.from(seeded(25, 2));
    const dyv = seeded(25, 3);
    const f = (v: number[]) => tf.tidy(() => tf.sum(tf.mul(tf.avgPool(tf.tensor4d(v, xs), 3, 1, 'same'), tf.tensor4d(dyv, xs))).dataSync()[0]);
    const num = xv.map((_, i) => {
      const a = xv.slice(); a[i] += 0.05;
      const b = xv.slice(); b[i] -= 0.05;
      return (f(a) - f(b)) / 0.1;
    });
    const mine = trueAvgPoolGrad(dyv, xs, xs, [3, 3], [1, 1], 1, 1);
    const stock = tf.tidy(() => (tf.engine().runKernel('AvgPoolGrad', { dy: tf.tensor4d(dyv, xs), input: tf.tensor4d(xv, xs) }, { filterSize: 3, strides: 1, pad: 'same' } as never) as tf.Tensor).dataSync());
    await tf.setBackend('wasm');
    expect(relErr(mine, num)).toBeLessThan(1e-3);
    expect(relErr(stock, num)).toBeGreaterThan(0.05);
  });
});
