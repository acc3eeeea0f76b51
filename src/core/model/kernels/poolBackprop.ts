import * as tf from '@tensorflow/tfjs';

/**
 * Pooling backprops built from fast forward kernels (stock wasm's MaxPoolGrad is ~80x its forward,
 * AvgPoolGrad ~20x).
 *
 * Max pooling: the forward pass runs MaxPoolWithArgmax (one C++ kernel on wasm, which also records
 * where each maximum came from, the first one in window order on ties, as tfjs' own MaxPoolGrad
 * does); the backward pass is one ScatterNd of dy into those positions, duplicates summed.
 *
 * Average pooling (tfjs averages over in-bounds cells only):
 *  - window == stride, no padding: dx = dy / (kh*kw) repeated over each window (nearest-neighbour resize);
 *  - stride 1, 'same', odd window: the backward window of a cell is its forward window, so
 *    dx = avgPool(dy / cnt) * cnt where cnt is the in-bounds count of each window;
 *  - anything else: stock AvgPoolGrad.
 */

export type PoolPad = 'valid' | 'same' | number;

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

export function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** Max pool that also returns flat argmax positions (batch included) when the backend can. */
export function maxPoolForward(
  x: tf.Tensor4D,
  filterSize: number | [number, number],
  strides: number | [number, number],
  pad: PoolPad,
): { y: tf.Tensor4D; argmax: tf.Tensor | null } {
  if (hasKernel('MaxPoolWithArgmax') && hasKernel('ScatterNd')) {
    const [y, argmax] = tf.engine().runKernel('MaxPoolWithArgmax', { x }, { filterSize, strides, pad, includeBatchInIndex: true } as never) as unknown as [tf.Tensor4D, tf.Tensor];
    return { y, argmax };
  }
  return { y: tf.maxPool(x, filterSize, strides, pad), argmax: null };
}

/** dx of max pooling. With `argmax` (from maxPoolForward): one scatter; otherwise the backend's MaxPoolGrad. */
export function maxPoolBackprop(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  y: tf.Tensor4D,
  argmax: tf.Tensor | null,
  filterSize: number | [number, number],
  strides: number | [number, number],
  pad: PoolPad,
): tf.Tensor4D {
  if (argmax) {
    return tf.tidy(() => tf.scatterND(argmax.reshape([-1, 1]), dy.reshape([-1]), [x.size]).reshape(x.shape) as tf.Tensor4D);
  }
  return tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize, strides, pad } as never) as tf.Tensor4D;
}

/** In-bounds cell count of every pooling window, [1, OH, OW, 1]. */
function windowCounts(h: number, w: number, oh: number, ow: number, kh: number, kw: number, sh: number, sw: number, top: number, left: number): tf.Tensor4D {
  const out = new Float32Array(oh * ow);
  for (let i = 0; i < oh; i++) {
    const r0 = Math.max(0, i * sh - top);
    const r1 = Math.min(h, i * sh - top + kh);
    for (let j = 0; j < ow; j++) {
      const c0 = Math.max(0, j * sw - left);
      const c1 = Math.min(w, j * sw - left + kw);
      out[i * ow + j] = Math.max(0, r1 - r0) * Math.max(0, c1 - c0);
    }
  }
  return tf.tensor4d(out, [1, oh, ow, 1]);
}

/** dx of average pooling (see the file comment for the three cases). */
export function avgPoolBackprop(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  filterSize: number | [number, number],
  strides: number | [number, number],
  pad: PoolPad,
): tf.Tensor4D {
  const [kh, kw] = pair(filterSize);
  const [sh, sw] = pair(strides);
  const info = tf.backend_util.computePool2DInfo(x.shape, [kh, kw], [sh, sw], 1, pad);
  const { top, left, bottom, right } = info.padInfo;
  const [n, h, w, c] = x.shape;
  const oh = info.outHeight;
  const ow = info.outWidth;
  if (kh === sh && kw === sw && top === 0 && left === 0 && bottom === 0 && right === 0) {
    return tf.tidy(() => {
      // Nearest-neighbour upsampling by exactly (kh, kw) repeats every cell over its window.
      let dx = tf.image.resizeNearestNeighbor(tf.mul(dy, 1 / (kh * kw)) as tf.Tensor4D, [oh * kh, ow * kw]);
      if (oh * kh < h || ow * kw < w) dx = tf.pad(dx, [[0, 0], [0, h - oh * kh], [0, w - ow * kw], [0, 0]]);
      return dx;
    });
  }
  if (sh === 1 && sw === 1 && kh % 2 === 1 && kw % 2 === 1 && top === (kh - 1) / 2 && left === (kw - 1) / 2 && oh === h && ow === w) {
    return tf.tidy(() => {
      const cnt = windowCounts(h, w, oh, ow, kh, kw, 1, 1, top, left);
      return tf.mul(tf.avgPool(tf.div(dy, cnt) as tf.Tensor4D, [kh, kw], 1, 'same'), cnt) as tf.Tensor4D;
    });
  }
  return tf.engine().runKernel('AvgPoolGrad', { dy, input: x }, { filterSize: [kh, kw], strides: [sh, sw], pad } as never) as tf.Tensor4D;
}
