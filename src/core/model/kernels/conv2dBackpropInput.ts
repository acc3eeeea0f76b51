import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { cropSpatial } from './fusedBackward';

/**
 * Conv2DBackpropInput (dx of a 2-D convolution, a.k.a. transposed convolution) expressed as
 * *forward* convolutions, so it runs through the backend's fast conv2d (XNNPACK on wasm) instead
 * of stock wasm's direct Conv2DBackpropInput loop (7-12x slower than the forward conv here).
 *
 * Forward: y[o] = sum_k xPad[o*s + k*d] W[k]  (xPad = x with `top` rows in front).
 *
 * Stride 1 (any dilation): dx is a stride-1 correlation of dy, padded (K-1)*d - top in front,
 * with the spatially flipped filter whose in/out channels are swapped.
 *
 * Stride s > 1 (dilation 1), polyphase: an input row at padded position Y = q*s + r only receives
 * taps k = r + m*s from dy[q - m]. So every phase (rh, rw) of dx is a stride-1 'valid' correlation
 * of dy (padded M-1 in front) with the flipped sub-filter W[rh::s, rw::s]; the s*s phase results
 * are interleaved (stack + reshape) and cropped to the input. Same arithmetic as the forward conv.
 */

export interface BackpropInputGeometry {
  /** [N, H, W, Cin] of x. */
  inShape: [number, number, number, number];
  filterHeight: number;
  filterWidth: number;
  strides: [number, number];
  dilations: [number, number];
  top: number;
  left: number;
  outHeight: number;
  outWidth: number;
}

/** The filters a backprop needs: one flipped filter (stride 1) or the s*s flipped phase sub-filters. */
export interface PreparedBackpropFilters {
  strides: [number, number];
  dilations: [number, number];
  filterHeight: number;
  filterWidth: number;
  /**
   * Stride 1: [full]. Stride s: row-major phases [rh * sw + rw], null when the phase gets no tap;
   * or, when `merged`, one filter computing all phases as channels.
   */
  filters: Array<tf.Tensor4D | null>;
  merged: boolean;
}

/** Strided convs whose sh*sw*Cin is at most this compute all phases in one conv (XNNPACK is poor at few output channels). */
const MERGE_MAX_CHANNELS = 32;

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/** Flips the filter spatially and swaps in/out channels: [KH, KW, Cout, Cin]. For stride s, the phase sub-filters. */
export function prepareBackpropInputFilters(
  filter: tf.Tensor4D,
  strides: number | [number, number],
  dilations: number | [number, number] = 1,
): PreparedBackpropFilters {
  const [sh, sw] = pair(strides);
  const [dh, dw] = pair(dilations);
  if ((sh > 1 || sw > 1) && (dh > 1 || dw > 1)) {
    throw Object.assign(new Error(`conv2dBackpropInput: strides ${[sh, sw]} and dilations ${[dh, dw]} are both above 1; tf.conv2d itself does not allow that (src/core/model/kernels/conv2dBackpropInput.ts).`), { code: 'FASTGRAD_CONV_GEOMETRY' });
  }
  const [kh, kw, cin, cout] = filter.shape;
  const built = tf.tidy((): tf.Tensor4D[] => {
    if (sh === 1 && sw === 1) return [tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D];
    if (cin * sh * sw <= MERGE_MAX_CHANNELS) {
      // Few input channels (the stem conv on an RGB or grey image): one conv computes every phase as
      // its own output channels. Each sub-filter is zero-padded in front to the largest phase, so the
      // taps line up: [Mh, Mw, Cout, sh*sw*Cin] with channel order (rh, rw, ci).
      const mh = Math.ceil(kh / sh);
      const mw = Math.ceil(kw / sw);
      const parts: tf.Tensor4D[] = [];
      for (let rh = 0; rh < sh; rh++) {
        for (let rw = 0; rw < sw; rw++) {
          const ph = Math.max(0, Math.ceil((kh - rh) / sh));
          const pw = Math.max(0, Math.ceil((kw - rw) / sw));
          if (ph === 0 || pw === 0) { parts.push(tf.zeros([mh, mw, cout, cin])); continue; }
          const sub = tf.stridedSlice(filter, [rh, rw, 0, 0], [kh, kw, cin, cout], [sh, sw, 1, 1]) as tf.Tensor4D;
          const flipped = tf.transpose(tf.reverse(sub, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
          parts.push(tf.pad(flipped, [[mh - ph, 0], [mw - pw, 0], [0, 0], [0, 0]]));
        }
      }
      return [tf.concat(parts, 3)];
    }
    const out: tf.Tensor4D[] = [];
    for (let rh = 0; rh < sh; rh++) {
      for (let rw = 0; rw < sw; rw++) {
        if (rh >= kh || rw >= kw) continue;
        const sub = tf.stridedSlice(filter, [rh, rw, 0, 0], [kh, kw, cin, cout], [sh, sw, 1, 1]) as tf.Tensor4D;
        out.push(tf.transpose(tf.reverse(sub, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D);
      }
    }
    return out;
  });
  const merged = (sh > 1 || sw > 1) && cin * sh * sw <= MERGE_MAX_CHANNELS;
  let filters: Array<tf.Tensor4D | null> = built;
  if (!merged && (sh > 1 || sw > 1)) {
    // Phases without a tap (window smaller than the stride) are null.
    filters = [];
    let k = 0;
    for (let rh = 0; rh < sh; rh++) for (let rw = 0; rw < sw; rw++) filters.push(rh >= kh || rw >= kw ? null : built[k++]);
  }
  return { strides: [sh, sw], dilations: [dh, dw], filterHeight: kh, filterWidth: kw, filters, merged };
}

export function disposePrepared(p: PreparedBackpropFilters): void {
  for (const f of p.filters) f?.dispose();
}

/** Pads (positive) or crops (negative) rows and columns of an NHWC tensor. */
function padOrCrop(t: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  let r = t;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [n, h, w, c] = r.shape;
    const t0 = Math.max(0, -top);
    const l0 = Math.max(0, -left);
    const hh = h - t0 - Math.max(0, -bottom);
    const ww = w - l0 - Math.max(0, -right);
    r = cropSpatial(r, t0, l0, Math.max(hh, 0), Math.max(ww, 0));
  }
  const pt = Math.max(0, top);
  const pb = Math.max(0, bottom);
  const pl = Math.max(0, left);
  const pr = Math.max(0, right);
  if (pt || pb || pl || pr) r = tf.pad(r, [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
  return r;
}

/** dx from dy with prepared filters. Tensors other than the result are released. */
export function conv2dBackpropInputPrepared(dy: tf.Tensor4D, prepared: PreparedBackpropFilters, g: BackpropInputGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, cin] = g.inShape;
    const [sh, sw] = prepared.strides;
    const [dh, dw] = prepared.dilations;
    const kh = prepared.filterHeight;
    const kw = prepared.filterWidth;
    if (sh === 1 && sw === 1) {
      const pt = (kh - 1) * dh - g.top;
      const pb = h + (kh - 1) * dh - g.outHeight - pt;
      const pl = (kw - 1) * dw - g.left;
      const pr = w + (kw - 1) * dw - g.outWidth - pl;
      const f = prepared.filters[0]!;
      if (pt >= 0 && pb >= 0 && pl >= 0 && pr >= 0) {
        // Explicit padding inside the conv: no padded copy of dy.
        return tf.conv2d(dy, f, 1, [[0, 0], [pt, pb], [pl, pr], [0, 0]], 'NHWC', [dh, dw]);
      }
      return tf.conv2d(padOrCrop(dy, pt, pb, pl, pr), f, 1, 'valid', 'NHWC', [dh, dw]);
    }
    const qh = Math.ceil((g.top + h) / sh);
    const qw = Math.ceil((g.left + w) / sw);
    if (prepared.merged) {
      const f = prepared.filters[0]!;
      const mh = f.shape[0];
      const mw = f.shape[1];
      const pt = mh - 1;
      const pb = qh - g.outHeight;
      const pl = mw - 1;
      const pr = qw - g.outWidth;
      const all = pb >= 0 && pr >= 0
        ? tf.conv2d(dy, f, 1, [[0, 0], [pt, pb], [pl, pr], [0, 0]])
        : tf.conv2d(padOrCrop(dy, pt, pb, pl, pr), f, 1, 'valid');
      // [N, qh, qw, sh, sw*C] -> [N, qh, sh, qw, sw*C] = [N, qh*sh, qw*sw, C]
      const inter = tf.transpose(all.reshape([n, qh, qw, sh, sw * cin]), [0, 1, 3, 2, 4]).reshape([n, qh * sh, qw * sw, cin]) as tf.Tensor4D;
      return cropSpatial(inter, g.top, g.left, h, w);
    }
    const parts: tf.Tensor4D[] = [];
    for (let rh = 0; rh < sh; rh++) {
      for (let rw = 0; rw < sw; rw++) {
        const f = prepared.filters[rh * sw + rw];
        if (!f) { parts.push(tf.zeros([n, qh, qw, cin])); continue; }
        const mh = f.shape[0];
        const mw = f.shape[1];
        const pt = mh - 1;
        const pb = qh - g.outHeight;
        const pl = mw - 1;
        const pr = qw - g.outWidth;
        if (pb >= 0 && pr >= 0) parts.push(tf.conv2d(dy, f, 1, [[0, 0], [pt, pb], [pl, pr], [0, 0]]));
        else parts.push(tf.conv2d(padOrCrop(dy, pt, pb, pl, pr), f, 1, 'valid'));
      }
    }
    // Interleave the phases. Concatenating on axis 0 is a contiguous copy (Pack on an inner axis is
    // slow on wasm): [sh, sw, N*qh, qw, C] -> [N*qh, sh, qw, sw, C] = [N, qh*sh, qw*sw, C].
    const all = tf.concat(parts.map((t) => t.reshape([1, n * qh, qw, cin])), 0).reshape([sh, sw, n * qh, qw, cin]);
    const full = tf.transpose(all, [2, 0, 3, 1, 4]).reshape([n, qh * sh, qw * sw, cin]) as tf.Tensor4D;
    return cropSpatial(full, g.top, g.left, h, w);
  });
}

/** Geometry from conv2d's own arguments (tfjs' computeConv2DInfo decides 'same' padding). */
export function backpropInputGeometry(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
  dilations: number | [number, number] = 1,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): BackpropInputGeometry {
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, dilations, pad as never, dimRoundingMode, false, 'channelsLast');
  return {
    inShape: xShape,
    filterHeight: filterShape[0],
    filterWidth: filterShape[1],
    strides: [info.strideHeight, info.strideWidth],
    dilations: [info.dilationHeight, info.dilationWidth],
    top: info.padInfo.top,
    left: info.padInfo.left,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
  };
}

/** One-shot form: dx of conv2d(x, filter, strides, pad, dilations) given dy. */
export function conv2dBackpropInputFast(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  xShape: [number, number, number, number],
  strides: number | [number, number],
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
  dilations: number | [number, number] = 1,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  const g = backpropInputGeometry(xShape, filter.shape, strides, pad, dilations, dimRoundingMode);
  const p = prepareBackpropInputFilters(filter, g.strides, g.dilations);
  try {
    return conv2dBackpropInputPrepared(dy, p, g);
  } finally {
    disposePrepared(p);
  }
}

/**
 * Kernel config replacing Conv2DBackpropInput on a backend (NHWC only; NCHW is transposed).
 * Used by `registerFastBackpropKernels` so that plain tf.grad (e.g. Grad-CAM) benefits too.
 */
export const conv2dBackpropInputConfig = (backendName: string): KernelConfig => ({
  kernelName: 'Conv2DBackpropInput',
  backendName,
  kernelFunc: ({ inputs, attrs }: { inputs: NamedTensorInfoMap; attrs?: NamedAttrMap }): TensorInfo => {
    const a = (attrs ?? {}) as unknown as {
      strides: number | [number, number];
      pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      inputShape: [number, number, number, number];
      dilations?: number | [number, number];
    };
    const dy = inputs.dy as tf.Tensor4D;
    const filter = inputs.filter as tf.Tensor4D;
    if (a.dataFormat === 'NCHW') {
      const [n, c, h, w] = a.inputShape;
      return tf.tidy(() => tf.transpose(
        conv2dBackpropInputFast(tf.transpose(dy, [0, 2, 3, 1]), filter, [n, h, w, c], a.strides, a.pad, a.dilations ?? 1, a.dimRoundingMode),
        [0, 3, 1, 2],
      ));
    }
    return conv2dBackpropInputFast(dy, filter, a.inputShape, a.strides, a.pad, a.dilations ?? 1, a.dimRoundingMode);
  },
});
