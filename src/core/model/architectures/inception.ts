import * as tf from '@tensorflow/tfjs';
import { Seeds, bn, conv, head, relu, type ConvSpec, type Tensor } from './common';

/**
 * Inception-v3 (Szegedy et al. 2016) with the module layout of the reference implementation
 * (Keras / torchvision InceptionV3): every convolution is Conv (no bias) - BN - ReLU (BN keeps its scale: tfjs 4.22 cannot take gradients through a batch norm without one);
 * a stem of plain convolutions and max pooling; A modules (1x1 | 1x1-5x5 | 1x1-3x3-3x3 |
 * zero-pad + avgpool 3x3 - 1x1), reduction A (3x3/2 | 1x1-3x3-3x3/2 | maxpool), B modules with factorised 1xn / nx1
 * convolutions, reduction B (1x1-3x3/2 | 1x1-1xn-nx1-3x3/2 | maxpool) and C modules with the
 * expanded 1x3 / 3x1 filter bank; branches concatenated on channels. Then global average
 * pooling and `logit`. Layer names: stem_*, mixed<i>_*, head_*, logit.
 */
export type InceptionModule =
  | { type: 'A'; b1: number; b5: [number, number]; dbl: [number, number]; pool: number }
  | { type: 'redA'; b3: number; dbl: [number, number] }
  | { type: 'B'; b1: number; c: number; out: number; n: number }
  | { type: 'redB'; b3: [number, number]; b7: number; n: number }
  | { type: 'C'; b1: number; b3: [number, number]; dbl: [number, number]; pool: number };

export type StemOp = ({ op: 'conv' } & ConvSpec) | { op: 'maxpool' };

export interface InceptionConfig {
  inputShape: [number, number, number];
  stem: StemOp[];
  modules: InceptionModule[];
  classes?: number;
}

const c3 = (filters: number, strides = 1, padding: 'same' | 'valid' = 'valid'): StemOp => ({ op: 'conv', filters, kernel: 3, strides, padding });

export const INCEPTION_V3: InceptionConfig = {
  inputShape: [299, 299, 3],
  stem: [c3(32, 2), c3(32), c3(64, 1, 'same'), { op: 'maxpool' }, { op: 'conv', filters: 80, kernel: 1, padding: 'valid' }, c3(192), { op: 'maxpool' }],
  modules: [
    { type: 'A', b1: 64, b5: [48, 64], dbl: [64, 96], pool: 32 },
    { type: 'A', b1: 64, b5: [48, 64], dbl: [64, 96], pool: 64 },
    { type: 'A', b1: 64, b5: [48, 64], dbl: [64, 96], pool: 64 },
    { type: 'redA', b3: 384, dbl: [64, 96] },
    { type: 'B', b1: 192, c: 128, out: 192, n: 7 },
    { type: 'B', b1: 192, c: 160, out: 192, n: 7 },
    { type: 'B', b1: 192, c: 160, out: 192, n: 7 },
    { type: 'B', b1: 192, c: 192, out: 192, n: 7 },
    { type: 'redB', b3: [192, 320], b7: 192, n: 7 },
    { type: 'C', b1: 320, b3: [384, 384], dbl: [448, 384], pool: 192 },
    { type: 'C', b1: 320, b3: [384, 384], dbl: [448, 384], pool: 192 },
  ],
};

/** Demo configuration: 128x128x1, the same module sequence shortened (A, A, redA, B, B, redB, C) and narrowed; Grad-CAM grid 6x6. */
export const INCEPTION_COMPACT: InceptionConfig = {
  inputShape: [128, 128, 1],
  stem: [c3(16, 2), c3(16), { op: 'maxpool' }, { op: 'conv', filters: 24, kernel: 1, padding: 'valid' }, c3(48)],
  modules: [
    { type: 'A', b1: 16, b5: [12, 16], dbl: [16, 24], pool: 8 },
    { type: 'A', b1: 16, b5: [12, 16], dbl: [16, 24], pool: 16 },
    { type: 'redA', b3: 72, dbl: [16, 24] },
    { type: 'B', b1: 48, c: 32, out: 48, n: 5 },
    { type: 'B', b1: 48, c: 40, out: 48, n: 5 },
    { type: 'redB', b3: [48, 80], b7: 48, n: 5 },
    { type: 'C', b1: 64, b3: [64, 64], dbl: [80, 64], pool: 32 },
  ],
};

export function inceptionGradcamLayer(cfg: InceptionConfig): string {
  return `mixed${cfg.modules.length - 1}_concat`;
}

export function buildInception(name: string, cfg: InceptionConfig, seed = 0): tf.LayersModel {
  const seeds = new Seeds(seed);
  /** Conv (no bias) - BN - ReLU, named <p>_conv, <p>_bn, <p>_relu. */
  const cbr = (x: Tensor, p: string, s: ConvSpec): Tensor => relu(bn(conv(x, `${p}_conv`, s, seeds), `${p}_bn`), `${p}_relu`);
  const maxPool = (x: Tensor, n: string) => tf.layers.maxPooling2d({ name: n, poolSize: 3, strides: 2, padding: 'valid' }).apply(x) as Tensor;
  // Zero pad + 'valid' 3x3 average (torchvision's count_include_pad): tfjs 4.22's AvgPoolGrad
  // divides by the full window at 'same' borders while its forward divides by the real pixels,
  // so a 'same' average pool would give input gradients inconsistent with the forward pass.
  const avgPool = (x: Tensor, n: string) => {
    const padded = tf.layers.zeroPadding2d({ name: `${n}pad`, padding: 1 }).apply(x) as Tensor;
    return tf.layers.averagePooling2d({ name: n, poolSize: 3, strides: 1, padding: 'valid' }).apply(padded) as Tensor;
  };
  const cat = (xs: Tensor[], n: string) => tf.layers.concatenate({ name: n, axis: -1 }).apply(xs) as Tensor;

  const input = tf.input({ shape: cfg.inputShape, name: 'input' });
  let x: Tensor = input;
  cfg.stem.forEach((op, i) => {
    x = op.op === 'maxpool' ? maxPool(x, `stem_pool${i + 1}`) : cbr(x, `stem_c${i + 1}`, op);
  });
  cfg.modules.forEach((m, i) => {
    const p = `mixed${i}`;
    const k1 = (f: number): ConvSpec => ({ filters: f, kernel: 1 });
    const k3 = (f: number, strides = 1): ConvSpec => ({ filters: f, kernel: 3, strides, padding: strides === 2 ? 'valid' : 'same' });
    const kr = (f: number, kh: number, kw: number): ConvSpec => ({ filters: f, kernel: [kh, kw] });
    switch (m.type) {
      case 'A': {
        const b1 = cbr(x, `${p}_b1`, k1(m.b1));
        const b5 = cbr(cbr(x, `${p}_b5a`, k1(m.b5[0])), `${p}_b5b`, { filters: m.b5[1], kernel: 5 });
        let d = cbr(x, `${p}_dbla`, k1(m.dbl[0]));
        d = cbr(cbr(d, `${p}_dblb`, k3(m.dbl[1])), `${p}_dblc`, k3(m.dbl[1]));
        const bp = cbr(avgPool(x, `${p}_pool`), `${p}_bpool`, k1(m.pool));
        x = cat([b1, b5, d, bp], `${p}_concat`);
        break;
      }
      case 'redA': {
        const b3 = cbr(x, `${p}_b3`, k3(m.b3, 2));
        let d = cbr(x, `${p}_dbla`, k1(m.dbl[0]));
        d = cbr(cbr(d, `${p}_dblb`, k3(m.dbl[1])), `${p}_dblc`, k3(m.dbl[1], 2));
        x = cat([b3, d, maxPool(x, `${p}_pool`)], `${p}_concat`);
        break;
      }
      case 'B': {
        const b1 = cbr(x, `${p}_b1`, k1(m.b1));
        let b7 = cbr(x, `${p}_b7a`, k1(m.c));
        b7 = cbr(cbr(b7, `${p}_b7b`, kr(m.c, 1, m.n)), `${p}_b7c`, kr(m.out, m.n, 1));
        let d = cbr(x, `${p}_dbla`, k1(m.c));
        d = cbr(d, `${p}_dblb`, kr(m.c, m.n, 1));
        d = cbr(d, `${p}_dblc`, kr(m.c, 1, m.n));
        d = cbr(d, `${p}_dbld`, kr(m.c, m.n, 1));
        d = cbr(d, `${p}_dble`, kr(m.out, 1, m.n));
        const bp = cbr(avgPool(x, `${p}_pool`), `${p}_bpool`, k1(m.out));
        x = cat([b1, b7, d, bp], `${p}_concat`);
        break;
      }
      case 'redB': {
        const b3 = cbr(cbr(x, `${p}_b3a`, k1(m.b3[0])), `${p}_b3b`, k3(m.b3[1], 2));
        let b7 = cbr(x, `${p}_b7a`, k1(m.b7));
        b7 = cbr(b7, `${p}_b7b`, kr(m.b7, 1, m.n));
        b7 = cbr(b7, `${p}_b7c`, kr(m.b7, m.n, 1));
        b7 = cbr(b7, `${p}_b7d`, k3(m.b7, 2));
        x = cat([b3, b7, maxPool(x, `${p}_pool`)], `${p}_concat`);
        break;
      }
      case 'C': {
        const b1 = cbr(x, `${p}_b1`, k1(m.b1));
        const b3a = cbr(x, `${p}_b3a`, k1(m.b3[0]));
        const b3 = cat([cbr(b3a, `${p}_b3b`, kr(m.b3[1], 1, 3)), cbr(b3a, `${p}_b3c`, kr(m.b3[1], 3, 1))], `${p}_b3cat`);
        let d = cbr(x, `${p}_dbla`, k1(m.dbl[0]));
        d = cbr(d, `${p}_dblb`, k3(m.dbl[1]));
        const dd = cat([cbr(d, `${p}_dblc`, kr(m.dbl[1], 1, 3)), cbr(d, `${p}_dbld`, kr(m.dbl[1], 3, 1))], `${p}_dblcat`);
        const bp = cbr(avgPool(x, `${p}_pool`), `${p}_bpool`, k1(m.pool));
        x = cat([b1, b3, dd, bp], `${p}_concat`);
        break;
      }
    }
  });
  const out = head(x, seeds, cfg.classes ?? 1);
  return tf.model({ name, inputs: input, outputs: out });
}
