import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../../platform/node/backend';
import { conv2dBackpropInputFast } from './conv2dBackpropInput';
import { relErr, seeded } from './testUtil';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
type Case = { x: [number, number, number, number]; f: [number, number, number, number]; s: number | [number, number]; pad: Pad };

// Stride 1 and strided; 'same', 'valid', a number and explicit; 1x1 with stride 2 (phases without
// taps); 7x7/2 on 3 channels (all phases in one conv); 3x3/2 on 16 channels (one conv per phase).
const cases: Case[] = [
  { x: [1, 8, 8, 3], f: [3, 3, 3, 4], s: 1, pad: 'same' },
  { x: [2, 9, 7, 5], f: [3, 3, 5, 6], s: 1, pad: 'valid' },
  { x: [1, 10, 9, 2], f: [5, 3, 2, 3], s: 1, pad: 2 },
  { x: [1, 8, 8, 2], f: [3, 2, 2, 3], s: 1, pad: [[0, 0], [2, 1], [0, 1], [0, 0]] },
  { x: [2, 9, 7, 2], f: [3, 3, 2, 5], s: 2, pad: 'same' },
  { x: [1, 16, 16, 3], f: [7, 7, 3, 8], s: 2, pad: 'same' },
  { x: [1, 17, 15, 16], f: [3, 3, 16, 8], s: 2, pad: 'valid' },
  { x: [1, 12, 12, 16], f: [3, 3, 16, 4], s: 2, pad: 'same' },
  { x: [1, 11, 13, 3], f: [5, 3, 3, 3], s: [2, 3], pad: 'valid' },
  { x: [2, 9, 9, 12], f: [1, 1, 12, 5], s: 2, pad: 'valid' },
  { x: [1, 10, 10, 4], f: [3, 3, 4, 4], s: 2, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
  { x: [1, 14, 14, 6], f: [1, 7, 6, 5], s: 1, pad: 'same' },
];

/** Direct definition of dx for dilated stride-1 convs (cpu's conv2dTranspose takes no dilations). */
function naiveInputGrad(dy: Float32Array, dys: number[], w: Float32Array, fs: number[], xs: number[], d: [number, number], top: number, left: number): Float32Array {
  const [n, h, wd, c] = xs;
  const [, oh, ow, co] = dys;
  const [kh, kw] = fs;
  const out = new Float32Array(n * h * wd * c);
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let a = 0; a < kh; a++) for (let e = 0; e < kw; e++) {
    const y = i + a * d[0] - top;
    const x = j + e * d[1] - left;
    if (y < 0 || y >= h || x < 0 || x >= wd) continue;
    for (let ci = 0; ci < c; ci++) {
      let acc = 0;
      for (let o = 0; o < co; o++) acc += dy[((b * oh + i) * ow + j) * co + o] * w[((a * kw + e) * c + ci) * co + o];
      out[((b * h + y) * wd + x) * c + ci] += acc;
    }
  }
  return out;
}

describe('conv2dBackpropInputFast (forward convs with flipped filters)', () => {
  beforeAll(async () => {
    await initNodeBackend('wasm');
  });

  for (const c of cases) {
    it(`matches cpu's Conv2DBackpropInput for x ${c.x} filter ${c.f} strides ${c.s} pad ${JSON.stringify(c.pad)}`, async () => {
      const wv = seeded(c.f.reduce((a, b) => a * b), 11);
      const info = tf.backend_util.computeConv2DInfo(c.x, c.f, c.s, 1, c.pad as never);
      const dyShape: [number, number, number, number] = [c.x[0], info.outHeight, info.outWidth, c.f[3]];
      const dyv = seeded(dyShape.reduce((a, b) => a * b), 13);
      await tf.setBackend('wasm');
      const got = tf.tidy(() => conv2dBackpropInputFast(tf.tensor4d(dyv, dyShape), tf.tensor4d(wv, c.f), c.x, c.s, c.pad).dataSync());
      await tf.setBackend('cpu');
      const want = tf.tidy(() => tf.conv2dTranspose(tf.tensor4d(dyv, dyShape), tf.tensor4d(wv, c.f), c.x, c.s, c.pad as never).dataSync());
      await tf.setBackend('wasm');
      expect(got.length).toBe(c.x.reduce((a, b) => a * b));
      expect(relErr(got, want)).toBeLessThan(1e-4);
    });
  }

  for (const [dil, pad] of [[[2, 2], 'same'], [[2, 3], 'valid'], [[3, 1], 'same']] as Array<[[number, number], 'same' | 'valid']>) {
    it(`handles dilations ${dil} pad ${pad} (checked against the definition)`, async () => {
      await tf.setBackend('wasm');
      const xs: [number, number, number, number] = [1, 13, 12, 3];
      const fs: [number, number, number, number] = [3, 3, 3, 4];
      const info = tf.backend_util.computeConv2DInfo(xs, fs, 1, dil, pad);
      const dys = [1, info.outHeight, info.outWidth, 4];
      const dyv = seeded(dys.reduce((a, b) => a * b), 5);
      const wv = seeded(fs.reduce((a, b) => a * b), 6);
      const got = tf.tidy(() => conv2dBackpropInputFast(tf.tensor4d(dyv, dys as [number, number, number, number]), tf.tensor4d(wv, fs), xs, 1, pad, dil).dataSync());
      const want = naiveInputGrad(dyv, dys, wv, fs, xs, dil, info.padInfo.top, info.padInfo.left);
      expect(relErr(got, want)).toBeLessThan(1e-4);
    });
  }

  it('leaves no tensors behind', async () => {
    await tf.setBackend('wasm');
    const dy = tf.tensor4d(seeded(1 * 5 * 5 * 4, 1), [1, 5, 5, 4]);
    const w = tf.tensor4d(seeded(3 * 3 * 3 * 4, 2), [3, 3, 3, 4]);
    const before = tf.memory().numTensors;
    conv2dBackpropInputFast(dy, w, [1, 10, 10, 3], 2, 'same').dispose();
    conv2dBackpropInputFast(dy, w, [1, 5, 5, 3], 1, 'same').dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([dy, w]);
  });
});

describe('registerFastWasmBackprops', () => {
  it('makes tf.grad of strided and stride-1 convs on wasm use it, matching cpu', async () => {
    const { registerFastWasmBackprops } = await import('./registerWasmKernels');
    await initNodeBackend('wasm');
    registerFastWasmBackprops();
    const xv = seeded(2 * 11 * 10 * 3, 1);
    const w1 = seeded(3 * 3 * 3 * 8, 2);
    const w2 = seeded(5 * 5 * 8 * 4, 3);
    const run = () => tf.tidy(() => {
      const f1 = tf.tensor4d(w1, [3, 3, 3, 8]);
      const f2 = tf.tensor4d(w2, [5, 5, 8, 4]);
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.conv2d(tf.relu(tf.conv2d(x as tf.Tensor4D, f1, 1, 'same')), f2, 2, 'valid'))))(tf.tensor4d(xv, [2, 11, 10, 3]));
      return g.dataSync();
    });
    await tf.setBackend('wasm');
    const got = run();
    await tf.setBackend('cpu');
    const want = run();
    await tf.setBackend('wasm');
    expect(relErr(got, want)).toBeLessThan(1e-4);
  });
});
