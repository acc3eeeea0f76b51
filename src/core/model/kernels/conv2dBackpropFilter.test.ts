import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../../platform/node/backend';
import { conv2dBackpropFilterIm2col } from './conv2dBackpropFilter';

/** Seeded values so every run uses the same tensors. */
function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

async function onBackend<T>(name: string, fn: () => T): Promise<T> {
  await tf.setBackend(name);
  return fn();
}

/** Direct definition, for dilations (which the cpu kernel does not take). */
function naiveFilterGrad(x: Float32Array, xs: number[], dy: Float32Array, dys: number[], fs: number[], s: [number, number], d: [number, number], top: number, left: number): Float32Array {
  const [n, h, w, c] = xs;
  const [, oh, ow, co] = dys;
  const [kh, kw] = fs;
  const out = new Float32Array(kh * kw * c * co);
  for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) for (let ci = 0; ci < c; ci++) for (let o = 0; o < co; o++) {
    let acc = 0;
    for (let b0 = 0; b0 < n; b0++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
      const y = i * s[0] + a * d[0] - top;
      const xq = j * s[1] + b * d[1] - left;
      if (y < 0 || y >= h || xq < 0 || xq >= w) continue;
      acc += x[((b0 * h + y) * w + xq) * c + ci] * dy[((b0 * oh + i) * ow + j) * co + o];
    }
    out[((a * kw + b) * c + ci) * co + o] = acc;
  }
  return out;
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-12);
}

type Case = { x: number[]; f: number[]; strides: number | [number, number]; pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]] };
const cases: Case[] = [
  { x: [1, 8, 8, 3], f: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 9, 7, 2], f: [3, 3, 2, 5], strides: 2, pad: 'same' },
  { x: [2, 10, 10, 4], f: [3, 3, 4, 2], strides: 1, pad: 'valid' },
  { x: [1, 11, 13, 3], f: [5, 3, 3, 3], strides: [2, 3], pad: 'valid' },
  { x: [1, 12, 12, 3], f: [7, 7, 3, 8], strides: 2, pad: 'same' },
  { x: [3, 6, 6, 5], f: [1, 1, 5, 6], strides: 1, pad: 'valid' },
  { x: [1, 8, 9, 2], f: [3, 3, 2, 3], strides: 1, pad: 1 },
  { x: [1, 8, 8, 2], f: [3, 2, 2, 3], strides: [1, 2], pad: [[0, 0], [2, 1], [0, 1], [0, 0]] },
];

describe('Conv2DBackpropFilter on wasm (im2col + matMul)', () => {
  beforeAll(async () => {
    await initNodeBackend('wasm');
  });

  it('is registered for wasm after the backend starts', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  for (const c of cases) {
    it(`matches cpu for x ${c.x} filter ${c.f} strides ${c.strides} pad ${JSON.stringify(c.pad)}`, async () => {
      const xv = seeded(c.x.reduce((a, b) => a * b), 7);
      const fv = seeded(c.f.reduce((a, b) => a * b), 11);
      const run = () => tf.tidy(() => {
        const x = tf.tensor4d(xv, c.x as [number, number, number, number]);
        const f = tf.tensor4d(fv, c.f as [number, number, number, number]);
        const y = tf.conv2d(x, f, c.strides, c.pad);
        const dy = tf.tensor4d(seeded(y.size, 13), y.shape);
        const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f };
        return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as never) as tf.Tensor;
      });
      const wasm = await onBackend('wasm', () => run().dataSync());
      const cpu = await onBackend('cpu', () => run().dataSync());
      await tf.setBackend('wasm');
      expect(wasm.length).toBe(c.f.reduce((a, b) => a * b));
      expect(relErr(wasm, cpu)).toBeLessThan(1e-4);
    });
  }

  for (const dil of [[2, 2], [2, 3]] as Array<[number, number]>) {
    it(`handles dilations ${dil} (checked against the definition)`, async () => {
      await tf.setBackend('wasm');
      const xs = [1, 13, 12, 2];
      const fs = [3, 3, 2, 3];
      const xv = seeded(13 * 12 * 2, 3);
      const x = tf.tensor4d(xv, xs as [number, number, number, number]);
      const info = tf.backend_util.computeConv2DInfo(xs as [number, number, number, number], fs as [number, number, number, number], 1, dil, 'same');
      const dyShape = [1, info.outHeight, info.outWidth, 3];
      const dyv = seeded(dyShape.reduce((a, b) => a * b), 5);
      const dy = tf.tensor4d(dyv, dyShape as [number, number, number, number]);
      const got = conv2dBackpropFilterIm2col(x, dy, fs as [number, number, number, number], 1, 'same', dil);
      const want = naiveFilterGrad(xv, xs, dyv, dyShape, fs, [1, 1], dil, info.padInfo.top, info.padInfo.left);
      expect(relErr(got.dataSync(), want)).toBeLessThan(1e-4);
      tf.dispose([x, dy, got]);
    });
  }

  it('makes tf.grad of a conv + batch-norm + ReLU network work on wasm, matching cpu, without leaking', async () => {
    const build = () => {
      const input = tf.input({ shape: [16, 16, 1] });
      let h = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
      h = tf.layers.batchNormalization({ gammaInitializer: tf.initializers.constant({ value: 1.3 }), betaInitializer: tf.initializers.constant({ value: 0.1 }) }).apply(h) as tf.SymbolicTensor;
      h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
      h = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(h) as tf.SymbolicTensor;
      h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
      const out = tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(h) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: out });
    };
    const xv = seeded(2 * 16 * 16, 21);
    const gradOn = async (name: string) => {
      await tf.setBackend(name);
      const m = build();
      const x = tf.tensor4d(xv, [2, 16, 16, 1]);
      const before = tf.memory().numTensors;
      // Gradients of the weights and the input together: the filter gradient runs through our kernel.
      const { value, grads } = tf.variableGrads(() => (m.predict(x) as tf.Tensor).sum() as tf.Scalar);
      const g = tf.grad((inp: tf.Tensor) => (m.predict(inp) as tf.Tensor).sum())(x);
      const gx = g.dataSync().slice();
      const gw = grads[(m.layers[1].weights[0].read() as tf.Variable).name]?.dataSync().slice();
      tf.dispose([value, ...Object.values(grads)]);
      g.dispose();
      const leaked = tf.memory().numTensors - before;
      x.dispose();
      m.dispose();
      return { gx, gw, leaked };
    };
    const wasm = await gradOn('wasm');
    const cpu = await gradOn('cpu');
    await tf.setBackend('wasm');
    expect(wasm.leaked).toBe(0);
    expect(cpu.leaked).toBe(0);
    expect(relErr(wasm.gx, cpu.gx)).toBeLessThan(1e-4);
    expect(wasm.gw).toBeDefined();
    expect(relErr(wasm.gw!, cpu.gw!)).toBeLessThan(1e-4);
  });
});
