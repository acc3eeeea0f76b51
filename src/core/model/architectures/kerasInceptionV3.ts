import * as tf from '@tensorflow/tfjs';
import { BN_EPSILON, BN_MOMENTUM, Seeds, type Tensor } from './common';

/**
 * InceptionV3 exactly as keras.applications.InceptionV3 lays it out (Keras 2, channels last,
 * include_top with one output unit), so its model.json looks like a real converted Keras model:
 * layer names as Keras gives them (conv2d, conv2d_1 ... conv2d_93, batch_normalization_N,
 * activation_N, max_pooling2d_N, average_pooling2d_N, mixed0 ... mixed10, mixed9_0, mixed9_1,
 * concatenate, concatenate_1, avg_pool, predictions), 'same' 3x3 average pools, Keras' filter
 * counts and the model's order of layers. 299x299x3 in; mixed10 is 8x8x2048; avg_pool is global.
 *
 * One deviation: Keras' conv2d_bn uses BatchNormalization(scale=False); here BN keeps a scale
 * (initialised to 1, so the function is the same) because TF.js 4.22 cannot take gradients through
 * a batch norm without one, and the saliency methods need input gradients.
 *
 * For tests and benches (real-model import, model-info): seeded He-normal convolutions and a
 * Glorot-uniform head, never trained. `activation`: the `predictions` unit's ('sigmoid' as a Keras
 * binary classifier writes it, or 'linear' for a logit; 'softmax' with classes > 1).
 */
export function buildKerasInceptionV3(opts: { seed?: number; classes?: number; activation?: 'sigmoid' | 'linear' | 'softmax'; inputShape?: [number, number, number]; name?: string } = {}): tf.LayersModel {
  const seeds = new Seeds(opts.seed ?? 0);
  const counters = new Map<string, number>();
  /** Keras' automatic names: "conv2d", then "conv2d_1", "conv2d_2"... */
  const auto = (base: string) => {
    const n = counters.get(base) ?? 0;
    counters.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  };
  const convBn = (x: Tensor, filters: number, rows: number, cols: number, padding: 'same' | 'valid' = 'same', strides = 1): Tensor => {
    let y = tf.layers.conv2d({ name: auto('conv2d'), filters, kernelSize: [rows, cols], strides, padding, useBias: false, kernelInitializer: seeds.heNormal() }).apply(x) as Tensor;
    y = tf.layers.batchNormalization({ name: auto('batch_normalization'), axis: 3, epsilon: BN_EPSILON, momentum: BN_MOMENTUM, scale: true }).apply(y) as Tensor;
    return tf.layers.activation({ name: auto('activation'), activation: 'relu' }).apply(y) as Tensor;
  };
  const maxPool = (x: Tensor) => tf.layers.maxPooling2d({ name: auto('max_pooling2d'), poolSize: 3, strides: 2, padding: 'valid' }).apply(x) as Tensor;
  const avgPool = (x: Tensor) => tf.layers.averagePooling2d({ name: auto('average_pooling2d'), poolSize: 3, strides: 1, padding: 'same' }).apply(x) as Tensor;
  const cat = (xs: Tensor[], name?: string) => tf.layers.concatenate({ name: name ?? auto('concatenate'), axis: 3 }).apply(xs) as Tensor;

  const input = tf.input({ shape: opts.inputShape ?? [299, 299, 3], name: 'input_1' });
  let x = convBn(input, 32, 3, 3, 'valid', 2);
  x = convBn(x, 32, 3, 3, 'valid');
  x = convBn(x, 64, 3, 3);
  x = maxPool(x);
  x = convBn(x, 80, 1, 1, 'valid');
  x = convBn(x, 192, 3, 3, 'valid');
  x = maxPool(x);

  // mixed0..2: 35x35
  for (const [i, pool] of [[0, 32], [1, 64], [2, 64]] as const) {
    const b1 = convBn(x, 64, 1, 1);
    const b5 = convBn(convBn(x, 48, 1, 1), 64, 5, 5);
    const bd = convBn(convBn(convBn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3);
    const bp = convBn(avgPool(x), pool, 1, 1);
    x = cat([b1, b5, bd, bp], `mixed${i}`);
  }
  // mixed3: 17x17
  {
    const b3 = convBn(x, 384, 3, 3, 'valid', 2);
    const bd = convBn(convBn(convBn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3, 'valid', 2);
    x = cat([b3, bd, maxPool(x)], 'mixed3');
  }
  // mixed4..7
  for (const [i, c] of [[4, 128], [5, 160], [6, 160], [7, 192]] as const) {
    const b1 = convBn(x, 192, 1, 1);
    let b7 = convBn(x, c, 1, 1);
    b7 = convBn(b7, c, 1, 7);
    b7 = convBn(b7, 192, 7, 1);
    let bd = convBn(x, c, 1, 1);
    bd = convBn(bd, c, 7, 1);
    bd = convBn(bd, c, 1, 7);
    bd = convBn(bd, c, 7, 1);
    bd = convBn(bd, 192, 1, 7);
    const bp = convBn(avgPool(x), 192, 1, 1);
    x = cat([b1, b7, bd, bp], `mixed${i}`);
  }
  // mixed8: 8x8
  {
    const b3 = convBn(convBn(x, 192, 1, 1), 320, 3, 3, 'valid', 2);
    let b7 = convBn(x, 192, 1, 1);
    b7 = convBn(b7, 192, 1, 7);
    b7 = convBn(b7, 192, 7, 1);
    b7 = convBn(b7, 192, 3, 3, 'valid', 2);
    x = cat([b3, b7, maxPool(x)], 'mixed8');
  }
  // mixed9, mixed10
  for (const i of [0, 1]) {
    const b1 = convBn(x, 320, 1, 1);
    const b3 = convBn(x, 384, 1, 1);
    const b3c = cat([convBn(b3, 384, 1, 3), convBn(b3, 384, 3, 1)], `mixed9_${i}`);
    let bd = convBn(x, 448, 1, 1);
    bd = convBn(bd, 384, 3, 3);
    const bdc = cat([convBn(bd, 384, 1, 3), convBn(bd, 384, 3, 1)]);
    const bp = convBn(avgPool(x), 192, 1, 1);
    x = cat([b1, b3c, bdc, bp], `mixed${9 + i}`);
  }
  const g = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as Tensor;
  const classes = opts.classes ?? 1;
  const activation = opts.activation ?? (classes > 1 ? 'softmax' : 'sigmoid');
  const out = tf.layers.dense({ name: 'predictions', units: classes, activation, kernelInitializer: seeds.glorot() }).apply(g) as Tensor;
  return tf.model({ name: opts.name ?? 'inception_v3', inputs: input, outputs: out });
}
