import * as tf from '@tensorflow/tfjs';

/**
 * Pooling backprops built from fast forward kernels (stock wasm's MaxPoolGrad is ~80x its forward,
 * AvgPoolGrad ~20x).
 *
 * Max pooling: dy to the first maximum of every window in raster order (the tie rule of tfjs'
 * cpu MaxPoolGrad), on every backend (see maxPoolBackprop).
 *
 * Average pooling (tfjs averages over in-bounds cells only):
 *  - window == stride, no padding: dx = dy / (kh*kw) repeated over each window (nearest-neighbour resize);
 *  - stride 1, no padding: dx = avgPool(dy zero-padded by the window - 1), a box sum over 9 cells / 9;
 *  - stride 1, 'same', odd window: the backward window of a cell is its forward window, so
 *    dx = avgPool(dy / cnt) * cnt where cnt is the in-bounds count of each window;
 *  - anything else: stock AvgPoolGrad on dy rescaled by (kh*kw)/cnt (stock divides by the full
 *    window everywhere, which is not the derivative of tfjs' avgPool at 'same' borders).
 */

export type PoolPad = 'valid' | 'same' | number;

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/** Window, strides, tfjs' padding, input and output sizes of a 2-D pooling of x (NHWC). */
function poolGeometry(x: tf.Tensor4D, filterSize: number | [number, number], strides: number | [number, number], pad: PoolPad) {
  const [kh, kw] = pair(filterSize);
  const [sh, sw] = pair(strides);
  const info = tf.backend_util.computePool2DInfo(x.shape, [kh, kw], [sh, sw], 1, pad);
  const { top, left, bottom, right } = info.padInfo;
  const [n, h, w, c] = x.shape;
  return { kh, kw, sh, sw, top, left, bottom, right, n, h, w, c, oh: info.outHeight, ow: info.outWidth };
}

/** Max pool forward; kept for symmetry with the backprop (which needs only x). */
export function maxPoolForward(
  x: tf.Tensor4D,
  filterSize: number | [number, number],
  strides: number | [number, number],
  pad: PoolPad,
): { y: tf.Tensor4D; argmax: null } {
  return { y: tf.maxPool(x, filterSize, strides, pad), argmax: null };
}

/**
 * Flat position in x (batch included) of the first maximum of every pooling window, in window
 * order as tfjs' MaxPoolGrad picks it on ties (ReLU zeros make ties common; stock wasm's
 * MaxPoolWithArgmax breaks ties otherwise, hence this).
 *
 * The window taps become channels through one depthwise convolution with one-hot filters
 * (channel c*K + k of the result is tap k of channel c, exactly: x*1 plus zeros), a fast XNNPACK
 * kernel; ArgMax over the last axis of [N, OH, OW, C, K] then gives the first maximal tap.
 * (Strided slices, Pack on inner axes and large transposes are all slow on wasm.)
 * 'same' padding uses the most negative float instead of -Infinity (0 * -Infinity is NaN).
 */
export function maxPoolArgmax(x: tf.Tensor4D, filterSize: number | [number, number], strides: number | [number, number], pad: PoolPad): tf.Tensor {
  const { kh, kw, sh, sw, top, left, bottom, right, n, h, w, c, oh, ow } = poolGeometry(x, filterSize, strides, pad);
  const taps = kh * kw;
  return tf.tidy(() => {
    const xp = top || left || bottom || right
      ? tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], -3.4028234663852886e38)
      : x;
    const oneHot = tf.tile(tf.eye(taps).reshape([kh, kw, 1, taps]), [1, 1, c, 1]) as tf.Tensor4D;
    const windows = tf.depthwiseConv2d(xp, oneHot, [sh, sw], 'valid'); // [N, OH, OW, C*K]
    const k = tf.argMax(windows.reshape([n, oh, ow, c, taps]), 4); // int32, first maximum
    // Position of tap k of window (n, i, j, c): ((n*H + i*sh - top + k/kw)*W + j*sw - left + k%kw)*C + c.
    const int = (v: number) => tf.scalar(v, 'int32');
    const kRow = tf.floorDiv(k, int(kw));
    const kCol = tf.sub(k, tf.mul(kRow, int(kw)));
    const base = windowBase(n, h, w, c, oh, ow, sh, sw, top, left);
    return tf.add(base, tf.mul(tf.add(tf.mul(kRow, int(w)), kCol), int(c)));
  });
}

/** ((n*H + i*sh - top)*W + j*sw - left)*C + c for every window, int32 [N, OH, OW, C]. */
function windowBase(n: number, h: number, w: number, c: number, oh: number, ow: number, sh: number, sw: number, top: number, left: number): tf.Tensor {
  const out = new Int32Array(n * oh * ow * c);
  let q = 0;
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    const p = ((b * h + i * sh - top) * w + j * sw - left) * c;
    for (let ch = 0; ch < c; ch++) out[q++] = p + ch;
  }
  return tf.tensor4d(out, [n, oh, ow, c], 'int32');
}

/**
 * dx of max pooling, every window's dy to its first maximum in raster (row-major) order within the
 * window: the rule of tfjs' cpu MaxPoolGrad, of the fused wasm kernel (kernels/fusedBackward.ts)
 * and of PyTorch.
 *
 * On wasm: one ScatterNd into the positions maxPoolArgmax finds (wasm's ArgMax returns the first
 * maximum; the fast path there is the fused kernel, this serves the ONNX importer and checks).
 * Everywhere else (cpu, WebGL, WebGPU): maxPoolBackpropFirstMax, whose result does not depend on
 * how the backend breaks ties, because the backends do not agree: WebGL's MaxPoolGrad takes the
 * last maximum (`>=` in its position shader), WebGPU's ArgMax keeps the first one only below 32
 * taps (a tree reduction from 32 on can keep a later one), and WebGL's ScatterNd loops over every
 * update for each output element (a densenet-compact gradient took 60 s on SwiftShader WebGL).
 */
export function maxPoolBackprop(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  _y: tf.Tensor4D | null,
  _argmax: tf.Tensor | null,
  filterSize: number | [number, number],
  strides: number | [number, number],
  pad: PoolPad,
): tf.Tensor4D {
  if (tf.getBackend() !== 'wasm') return maxPoolBackpropFirstMax(dy, x, filterSize, strides, pad);
  return tf.tidy(() => {
    const idx = maxPoolArgmax(x, filterSize, strides, pad);
    return tf.scatterND(idx.reshape([-1, 1]), dy.reshape([-1]), [x.size]).reshape(x.shape) as tf.Tensor4D;
  });
}

/**
 * dx of max pooling by the first-maximum rule, from ops that are exact on every backend, so that
 * every backend sends each window's gradient to the same cell on ties (flat image regions give
 * equal conv outputs over a whole window):
 *  1. the window taps as channels: a depthwise convolution with one-hot filters (tap k of channel
 *     c is x * 1 plus zeros: exact), [N, OH, OW, C, K];
 *  2. the maxima of each window: tap == max over the taps (max and == are exact);
 *  3. the first of them: each maximal tap scores K - k (small integers, exact in float), and the
 *     one whose score is the window's largest is the first in raster order; no ArgMax, whose tie
 *     rule differs between backends;
 *  4. dy times that one-hot mask, sent back to the cells by the transposed convolution of the
 *     same one-hot filters (per channel: channels go to the batch axis). A cell in several windows
 *     sums their contributions; only that sum's order can differ between backends (rounding).
 * 'same' padding: the input is padded with the most negative float (0 * -Infinity is NaN) and the
 * padding sliced off dx.
 */
export function maxPoolBackpropFirstMax(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  filterSize: number | [number, number],
  strides: number | [number, number],
  pad: PoolPad,
): tf.Tensor4D {
  const { kh, kw, sh, sw, top, left, bottom, right, n, h, w, c, oh, ow } = poolGeometry(x, filterSize, strides, pad);
  const taps = kh * kw;
  const padded = top > 0 || left > 0 || bottom > 0 || right > 0;
  const hp = h + top + bottom;
  const wp = w + left + right;
  return tf.tidy(() => {
    const xp = padded ? tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], -3.4028234663852886e38) : x;
    const tapFilter = tf.eye(taps).reshape([kh, kw, 1, taps]) as tf.Tensor4D; // [r, s, 0, k] = 1 where k = r*kw + s
    const windows = tf.depthwiseConv2d(xp, tf.tile(tapFilter, [1, 1, c, 1]) as tf.Tensor4D, [sh, sw], 'valid').reshape([-1, taps]);
    const isMax = tf.cast(tf.equal(windows, tf.max(windows, 1, true)), 'float32');
    const score = tf.mul(isMax, tf.range(taps, 0, -1, 'float32')); // K - k at the maxima, 0 elsewhere
    const first = tf.mul(isMax, tf.cast(tf.equal(score, tf.max(score, 1, true)), 'float32'));
    const routed = tf.mul(first.reshape([n, oh, ow, c, taps]), dy.reshape([n, oh, ow, c, 1]));
    const perChannel = tf.transpose(routed, [0, 3, 1, 2, 4]).reshape([n * c, oh, ow, taps]) as tf.Tensor4D;
    // Largest padded extent the windows reach; rows and columns past it (a stride that does not
    // divide) get no gradient.
    const he = (oh - 1) * sh + kh;
    const we = (ow - 1) * sw + kw;
    let dxp = tf.conv2dTranspose(perChannel, tapFilter, [n * c, he, we, 1], [sh, sw], 'valid');
    if (he < hp || we < wp) dxp = tf.pad(dxp, [[0, 0], [0, hp - he], [0, wp - we], [0, 0]]);
    const dx = tf.transpose(dxp.reshape([n, c, hp, wp]), [0, 2, 3, 1]);
    return (padded ? tf.slice(dx, [0, top, left, 0], [n, h, w, c]) : dx) as tf.Tensor4D;
  });
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
  const { kh, kw, sh, sw, top, left, bottom, right, n, h, w, c, oh, ow } = poolGeometry(x, filterSize, strides, pad);
  if (kh === sh && kw === sw && top === 0 && left === 0 && bottom === 0 && right === 0) {
    return tf.tidy(() => {
      // Nearest-neighbour upsampling by exactly (kh, kw) repeats every cell over its window.
      let dx = tf.image.resizeNearestNeighbor(tf.mul(dy, 1 / (kh * kw)) as tf.Tensor4D, [oh * kh, ow * kw]);
      if (oh * kh < h || ow * kw < w) dx = tf.pad(dx, [[0, 0], [0, h - oh * kh], [0, w - ow * kw], [0, 0]]);
      return dx;
    });
  }
  if (sh === 1 && sw === 1 && top === 0 && left === 0 && bottom === 0 && right === 0) {
    // Stride 1, no padding: every window has kh*kw cells, and the cells a window of dx collects
    // from are a box again: dx = avgPool of dy zero-padded by (kh-1, kw-1) on each side.
    return tf.tidy(() => tf.avgPool(tf.pad(dy, [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]]), [kh, kw], 1, 'valid') as tf.Tensor4D);
  }
  if (sh === 1 && sw === 1 && kh % 2 === 1 && kw % 2 === 1 && top === (kh - 1) / 2 && left === (kw - 1) / 2 && oh === h && ow === w) {
    return tf.tidy(() => {
      const cnt = windowCounts(h, w, oh, ow, kh, kw, 1, 1, top, left);
      return tf.mul(tf.avgPool(tf.div(dy, cnt) as tf.Tensor4D, [kh, kw], 1, 'same'), cnt) as tf.Tensor4D;
    });
  }
  // Stock AvgPoolGrad spreads dy[o] / (kh*kw) over the window; scaling dy by (kh*kw)/cnt[o] first
  // makes that the count-aware derivative.
  return tf.tidy(() => {
    const cnt = windowCounts(h, w, oh, ow, kh, kw, sh, sw, top, left);
    const scaled = tf.div(tf.mul(dy, kh * kw), cnt);
    return tf.engine().runKernel('AvgPoolGrad', { dy: scaled, input: x }, { filterSize: [kh, kw], strides: [sh, sw], pad } as never) as tf.Tensor4D;
  });
}
