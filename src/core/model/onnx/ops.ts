import * as tf from '@tensorflow/tfjs';
import type { OnnxAttr, OnnxNode, OnnxTensor } from './decode';
import { backpropInputGeometry, conv2dBackpropInputPrepared, disposePrepared, prepareBackpropInputFilters, type PreparedBackpropFilters } from '../kernels/conv2dBackpropInput';
import { avgPoolBackprop, maxPoolBackprop } from '../kernels/poolBackprop';
import { fusedMaxPoolBackward, maxPoolBackwardFused, reluBackward } from '../kernels/fusedBackward';
import {
  NCHW_TO_NHWC_AXIS, alignChannelsLast, hostBroadcast, hostValue, logical, logicalShape, numbers, physical, tensorValue, type Value,
} from './values';

/**
 * ONNX operators lowered onto TF.js ops (all differentiable by tf.grad). Each takes the node's input
 * values (undefined for an omitted optional input) and returns its outputs. Image tensors stay
 * channels-last where the op allows (see values.ts). Semantics follow the ONNX operator docs for
 * opsets 11 to 18, including the inputs that replaced attributes on the way (Clip min/max at 11,
 * Squeeze/Unsqueeze/ReduceSum axes at 13, ReduceMean axes at 18, Pad pads at 11).
 */

export interface OpContext {
  node: OnnxNode;
  opset: number;
  /** A tensor derived from constants (a transposed filter...), made once and kept until the weights change. */
  cached(key: string, make: () => tf.Tensor): tf.Tensor;
  /** Like cached, for prepared objects holding tensors (freed with `free` when the weights change). */
  cachedObject<T>(key: string, make: () => T, free: (t: T) => void): T;
  /** True when input i is a constant (initializer or folded), so it may be prepared once. */
  isConst(i: number): boolean;
  /**
   * 'relu': this Conv node runs with the Relu node that is its output's only consumer folded in
   * (graph.ts decides when); its output is then the Relu's. Unset for every other node.
   */
  fuse?: 'relu';
}

export class OnnxOpError extends Error {}

type Op = (ins: Array<Value | undefined>, ctx: OpContext) => Value[];

const attrInt = (n: OnnxNode, k: string, d: number): number => (typeof n.attrs[k] === 'number' ? (n.attrs[k] as number) : d);
const attrFloat = attrInt;
const attrInts = (n: OnnxNode, k: string, d: number[] | null): number[] | null => (Array.isArray(n.attrs[k]) ? (n.attrs[k] as number[]) : d);
const attrStr = (n: OnnxNode, k: string, d: string): string => (typeof n.attrs[k] === 'string' ? (n.attrs[k] as string) : d);

function need(v: Value | undefined, ctx: OpContext, i: number): Value {
  if (!v) throw new OnnxOpError(`input ${i} is missing`);
  return v;
}

/** Row-major strides. */
function stridesOf(shape: number[]): number[] {
  const st = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) st[i] = st[i + 1] * shape[i + 1];
  return st;
}

/**
 * A host (integer) tensor indexed per output position: out[idx] = data[source(idx)]. Plain JS, so
 * integers stay exact on every backend (TF.js wasm reads int32 strided slices back as float bits).
 */
function hostMap(v: Value & { kind: 'host' }, outShape: number[], source: (idx: number[]) => number[]): Value {
  const inSt = stridesOf(v.shape), outSt = stridesOf(outShape);
  const n = prod(outShape);
  const data = new Array(n);
  const idx = new Array(outShape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let rem = i;
    for (let k = 0; k < outShape.length; k++) { idx[k] = Math.floor(rem / outSt[k]); rem -= idx[k] * outSt[k]; }
    const src = source(idx);
    let off = 0;
    for (let k = 0; k < src.length; k++) off += src[k] * inSt[k];
    data[i] = v.data[off];
  }
  return hostValue(data, outShape);
}

/** The tensor of a value (host values as float32). */
const tensorOf = (v: Value): tf.Tensor => (v.kind === 'host' ? tf.tensor(v.data, v.shape, 'float32') : v.t);

/** Axes from the attribute (older opsets) or the input (newer ones). */
function axesOf(ins: Array<Value | undefined>, ctx: OpContext, inputIndex: number, fromOpset: number): number[] | null {
  if (ctx.opset >= fromOpset) return ins[inputIndex] ? numbers(ins[inputIndex]!) : null;
  return attrInts(ctx.node, 'axes', null);
}

const norm = (a: number, rank: number) => (a < 0 ? a + rank : a);
const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

function unary(f: (t: tf.Tensor, ctx: OpContext) => tf.Tensor): Op {
  return (ins, ctx) => {
    const v = need(ins[0], ctx, 0);
    if (v.kind === 'host') return [tensorValue(f(tensorOf(v), ctx))];
    return [tensorValue(f(v.t, ctx), v.nhwc)];
  };
}

function binary(f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, h: (x: number, y: number) => number): Op {
  return (ins, ctx) => {
    const a = need(ins[0], ctx, 0), b = need(ins[1], ctx, 1);
    if (a.kind === 'host' && b.kind === 'host') return [hostBroadcast(a, b, h)];
    const aN = a.kind === 'tensor' && a.nhwc, bN = b.kind === 'tensor' && b.nhwc;
    if (aN || bN) return [tensorValue(f(alignChannelsLast(a), alignChannelsLast(b)), true)];
    return [tensorValue(f(logical(a), logical(b)))];
  };
}

/** Explicit [top, bottom], [left, right] pads of a 2-D window op (pads or auto_pad). */
function windowPads(n: OnnxNode, inHW: number[], kernel: number[], strides: number[], dilations: number[]): number[][] {
  const auto = attrStr(n, 'auto_pad', 'NOTSET');
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    return inHW.map((len, i) => {
      const out = Math.ceil(len / strides[i]);
      const total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - len);
      const small = Math.floor(total / 2);
      return auto === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    });
  }
  if (auto === 'VALID') return [[0, 0], [0, 0]];
  const p = attrInts(n, 'pads', [0, 0, 0, 0])!;
  return [[p[0], p[2]], [p[1], p[3]]];
}

function twoD(n: OnnxNode, key: string, d: number): [number, number] {
  const v = attrInts(n, key, [d, d])!;
  if (v.length !== 2) throw new OnnxOpError(`${key} [${v.join(', ')}]: only 2-D windows (images) are supported`);
  return [v[0], v[1]];
}

const explicit = (p: number[][]): tf.backend_util.ExplicitPadding => [[0, 0], p[0] as [number, number], p[1] as [number, number], [0, 0]];
const isZero = (p: number[][]) => p.every(([a, b]) => a === 0 && b === 0);

/**
 * A TF.js filter [kh, kw, a, b] with dilation d spelled out as zeros ([(kh-1)d+1, (kw-1)d+1, a, b]):
 * TF.js has no gradient for dilated convolutions, and the dilated filter gives the same output.
 */
function dilateFilter(f: tf.Tensor4D, d: [number, number]): tf.Tensor4D {
  let y: tf.Tensor = f;
  for (const axis of [0, 1]) {
    const k = y.shape[axis];
    if (d[axis] === 1 || k === 1) continue;
    const s = y.shape;
    const spread = y.expandDims(axis + 1).pad(s.map((_, i) => [0, 0] as [number, number]).flatMap((p, i) => (i === axis ? [p, [0, d[axis] - 1] as [number, number]] : [p])));
    const merged = spread.reshape(s.map((v, i) => (i === axis ? v * d[axis] : v)));
    y = merged.slice(s.map(() => 0), s.map((v, i) => (i === axis ? (k - 1) * d[axis] + 1 : v)));
  }
  return y as tf.Tensor4D;
}

/**
 * A convolution by a constant filter whose gradient is the input's only: dx as forward
 * convolutions of dy with the flipped filter (kernels/conv2dBackpropInput.ts, the fast path the
 * Keras models' fastgrad uses; stock TF.js wasm's Conv2DBackpropInput is a direct loop many times
 * slower than the forward convolution). No filter gradient is ever computed.
 */
function convInputGradOnly(x: tf.Tensor4D, f: tf.Tensor4D, strides: [number, number], pad: tf.backend_util.ExplicitPadding, ctx: OpContext, bias: tf.Tensor | null, relu: boolean): tf.Tensor4D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const xx = args[0] as tf.Tensor4D;
    const save = args[1] as tf.GradSaveFunc;
    // A constant bias and a following ReLU ride in the convolution kernel (one pass over the output
    // instead of three), as the Keras models' fastgrad runs its conv -> BN -> ReLU chains.
    const value = bias || relu
      ? tf.fused.conv2d({ x: xx, filter: f, strides, pad, dataFormat: 'NHWC', bias: bias ?? undefined, activation: relu ? 'relu' : 'linear' })
      : tf.conv2d(xx, f, strides, pad, 'NHWC');
    if (relu) save([value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const dpre = relu ? reluBackward(dy as tf.Tensor, saved[0]) : (dy as tf.Tensor);
        return [conv2dBackpropInputPrepared(dpre as tf.Tensor4D, backpropFilters(f, strides, ctx), backpropInputGeometry(xx.shape, f.shape, strides, pad, 1))];
      },
    };
  });
  return op(x) as tf.Tensor4D;
}

/** The flipped filters of a constant convolution, prepared once per weight version (not at every backward pass). */
function backpropFilters(f: tf.Tensor4D, strides: [number, number], ctx: OpContext): PreparedBackpropFilters {
  return ctx.cachedObject('backprop', () => {
    const p = prepareBackpropInputFilters(f, strides, 1);
    p.filters.forEach((t) => t && tf.keep(t));
    return p;
  }, disposePrepared);
}

/** Window geometry of a Conv node on a channels-last input. */
function convGeometry(n: OnnxNode, x: tf.Tensor4D, wShape: number[]): { group: number; strides: [number, number]; dilations: [number, number]; pads: number[][] } {
  const [, , kh, kw] = wShape;
  const strides = twoD(n, 'strides', 1);
  const dilations = twoD(n, 'dilations', 1);
  return { group: attrInt(n, 'group', 1), strides, dilations, pads: windowPads(n, [x.shape[1], x.shape[2]], [kh, kw], strides, dilations) };
}

/** The TF.js filter [kh', kw', in, out] of a group-1 Conv's weight (dilation spelled out), cached when constant. */
function convFilter(wv: Value, dilations: [number, number], ctx: OpContext): tf.Tensor4D {
  const make = () => dilateFilter(logical(wv).transpose([2, 3, 1, 0]) as tf.Tensor4D, dilations);
  return (ctx.isConst(1) ? ctx.cached('filter', make) : make()) as tf.Tensor4D;
}

/**
 * The input-only backward of a group-1 Conv by a constant weight whose input is stored
 * channels-last: dy (channels-last) -> dx, by forward convolutions with the prepared flipped
 * filters. Null for any other Conv (the caller differentiates it with tf.grads).
 */
export function constConvBackward(ins: Array<Value | undefined>, ctx: OpContext): ((dy: tf.Tensor) => tf.Tensor) | null {
  const xv = ins[0], wv = ins[1];
  if (!xv || !wv || xv.kind !== 'tensor' || !xv.nhwc || !ctx.isConst(1)) return null;
  const x = xv.t as tf.Tensor4D;
  const wShape = logicalShape(wv);
  const { group, strides, dilations, pads } = convGeometry(ctx.node, x, wShape);
  if (group !== 1) return null;
  const f = convFilter(wv, dilations, ctx);
  const geom = backpropInputGeometry(x.shape, f.shape, strides, explicit(pads), 1);
  return (dy) => conv2dBackpropInputPrepared(dy as tf.Tensor4D, backpropFilters(f, strides, ctx), geom);
}

const conv: Op = (ins, ctx) => {
  const n = ctx.node;
  const x = physical(need(ins[0], ctx, 0), 'Conv');
  const wv = need(ins[1], ctx, 1);
  const wShape = logicalShape(wv);
  if (wShape.length !== 4) throw new OnnxOpError(`weight of shape [${wShape.join(', ')}]: only 2-D convolutions are supported`);
  const [outC, inPerGroup, kh, kw] = wShape;
  const { group, strides, dilations, pads } = convGeometry(n, x, wShape);
  const inC = x.shape[3];
  if (inPerGroup * group !== inC) throw new OnnxOpError(`weight expects ${inPerGroup * group} input channels, the input has ${inC}`);
  const prep = (key: string, make: () => tf.Tensor4D): tf.Tensor4D => (ctx.isConst(1) ? ctx.cached(key, make) : make()) as tf.Tensor4D;
  let y: tf.Tensor4D;
  if (group === 1) {
    const f = convFilter(wv, dilations, ctx);
    if (ctx.isConst(1) && (!ins[2] || ctx.isConst(2))) {
      const bias = ins[2] ? ctx.cached('bias', () => tensorOf(ins[2]!).reshape([-1])) : null;
      return [tensorValue(convInputGradOnly(x, f, strides, explicit(pads), ctx, bias, ctx.fuse === 'relu'), true)];
    }
    y = tf.conv2d(x, f, strides, explicit(pads), 'NHWC');
  } else if (group === inC && inPerGroup === 1) {
    // Depthwise: sum over the kernel's taps of the shifted input times the tap's per-channel weight
    // (TF.js wasm has no depthwise-convolution input gradient).
    const m = outC / inC;
    const taps = prep('depthwise', () => logical(wv).reshape([inC, m, kh * kw]).transpose([2, 0, 1]).reshape([kh * kw, inC * m]) as tf.Tensor as tf.Tensor4D) as tf.Tensor;
    const views = windowViews(x, [kh, kw], strides, dilations, pads, 0);
    const rows = tf.unstack(taps);
    const rep = (v: tf.Tensor4D) => (m === 1 ? v : tf.tile(v.expandDims(4), [1, 1, 1, 1, m]).reshape([v.shape[0], v.shape[1], v.shape[2], inC * m]));
    y = tf.addN(views.map((v, i) => rep(v).mul(rows[i]))) as tf.Tensor4D;
  } else {
    const per = outC / group;
    const fs = Array.from({ length: group }, (_, g) =>
      prep(`filter${g}`, () => dilateFilter(logical(wv).slice([g * per, 0, 0, 0], [per, -1, -1, -1]).transpose([2, 3, 1, 0]) as tf.Tensor4D, dilations)) as tf.Tensor4D);
    const xs = tf.split(x, group, 3);
    y = tf.concat(xs.map((xi, g) => tf.conv2d(xi as tf.Tensor4D, fs[g], strides, explicit(pads), 'NHWC')), 3);
  }
  if (ins[2]) y = y.add(tensorOf(ins[2]).reshape([-1]));
  if (ctx.fuse === 'relu') y = tf.relu(y);
  return [tensorValue(y, true)];
};

const convTranspose: Op = (ins, ctx) => {
  const n = ctx.node;
  const x = physical(need(ins[0], ctx, 0), 'ConvTranspose');
  const wv = need(ins[1], ctx, 1);
  const [inC, outPerGroup, kh, kw] = logicalShape(wv);
  const group = attrInt(n, 'group', 1);
  if (group !== 1) throw new OnnxOpError(`group ${group}: only group 1 is supported for ConvTranspose`);
  const strides = twoD(n, 'strides', 1);
  const dilations = twoD(n, 'dilations', 1);
  if (dilations[0] !== 1 || dilations[1] !== 1) throw new OnnxOpError('dilations other than 1 are not supported for ConvTranspose');
  if (attrStr(n, 'auto_pad', 'NOTSET') !== 'NOTSET' && attrStr(n, 'auto_pad', 'NOTSET') !== 'VALID') throw new OnnxOpError('auto_pad SAME_* is not supported for ConvTranspose; export with explicit pads');
  if (attrInts(n, 'output_shape', null)) throw new OnnxOpError('the output_shape attribute is not supported for ConvTranspose; export with explicit pads');
  const p = attrInts(n, 'pads', [0, 0, 0, 0])!;
  const outPad = attrInts(n, 'output_padding', [0, 0])!;
  const [N, H, W] = x.shape;
  if (x.shape[3] !== inC) throw new OnnxOpError(`weight expects ${inC} input channels, the input has ${x.shape[3]}`);
  const f = (ctx.isConst(1) ? ctx.cached('filter', () => logical(wv).transpose([2, 3, 1, 0])) : logical(wv).transpose([2, 3, 1, 0])) as tf.Tensor4D;
  const fullH = (H - 1) * strides[0] + kh, fullW = (W - 1) * strides[1] + kw;
  let y = tf.conv2dTranspose(x, f, [N, fullH, fullW, outPerGroup], strides, 'valid');
  if (outPad[0] || outPad[1]) y = tf.pad(y, [[0, 0], [0, outPad[0]], [0, outPad[1]], [0, 0]]);
  const outH = fullH + outPad[0] - p[0] - p[2], outW = fullW + outPad[1] - p[1] - p[3];
  y = y.slice([0, p[0], p[1], 0], [N, outH, outW, outPerGroup]);
  if (ins[2]) y = y.add(tensorOf(ins[2]).reshape([-1]));
  return [tensorValue(y, true)];
};

/** Multiplies/adds per channel (ONNX axis 1) whatever the layout. */
function perChannel(v: Value, a: tf.Tensor, b: tf.Tensor | null): Value {
  if (v.kind === 'tensor' && v.nhwc) return tensorValue(b ? v.t.mul(a).add(b) : v.t.mul(a), true);
  const t = logical(v);
  const s = [t.shape[1], ...Array(Math.max(0, t.rank - 2)).fill(1)];
  const y = t.mul(a.reshape(s));
  return tensorValue(b ? y.add(b.reshape(s)) : y);
}

/** Inference BatchNormalization as y = a x + b per channel: [a, b] stacked, cached when the parameters are constant. */
export function batchNormAffine(ins: Array<Value | undefined>, ctx: OpContext): [tf.Tensor1D, tf.Tensor1D] {
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  const make = () => {
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => tensorOf(need(ins[i], ctx, i)).reshape([-1]));
    const a = scale.div(variance.add(eps).sqrt());
    return tf.stack([a, bias.sub(mean.mul(a))]);
  };
  if (![1, 2, 3, 4].every((i) => ctx.isConst(i))) return tf.unstack(make()) as [tf.Tensor1D, tf.Tensor1D];
  // Each cached on its own: no unstack at every run.
  return [0, 1].map((k) => ctx.cached(`affine${k}`, () => tf.unstack(make())[k])) as [tf.Tensor1D, tf.Tensor1D];
}

const batchNorm: Op = (ins, ctx) => {
  const [a, b] = batchNormAffine(ins, ctx);
  return [perChannel(need(ins[0], ctx, 0), a, b)];
};

const clip: Op = (ins, ctx) => {
  const v = need(ins[0], ctx, 0);
  let lo = -3.4e38, hi = 3.4e38;
  if (ctx.opset >= 11) {
    if (ins[1]) lo = numbers(ins[1])[0];
    if (ins[2]) hi = numbers(ins[2])[0];
  } else {
    lo = attrFloat(ctx.node, 'min', lo);
    hi = attrFloat(ctx.node, 'max', hi);
  }
  return [tensorValue(tf.clipByValue(tensorOf(v), lo, hi), v.kind === 'tensor' && v.nhwc)];
};

const softmaxOp = (log: boolean): Op => (ins, ctx) => {
  const t = logical(need(ins[0], ctx, 0));
  const f = (z: tf.Tensor) => (log ? tf.logSoftmax(z) : tf.softmax(z));
  if (ctx.opset < 13) {
    const axis = norm(attrInt(ctx.node, 'axis', 1), t.rank);
    const s = t.shape;
    return [tensorValue(f(t.reshape([prod(s.slice(0, axis)), prod(s.slice(axis))])).reshape(s))];
  }
  const axis = norm(attrInt(ctx.node, 'axis', -1), t.rank);
  if (axis === t.rank - 1) return [tensorValue(f(t))];
  const perm = [...Array(t.rank).keys()].filter((i) => i !== axis).concat(axis);
  const inv = perm.map((_, i) => perm.indexOf(i));
  return [tensorValue(f(t.transpose(perm)).transpose(inv))];
};

/** ceil_mode: extra end padding so that the last partial window is counted (PyTorch's rule: a window must start inside the input or its left padding). */
function ceilPads(inHW: number[], kernel: number[], strides: number[], pads: number[][]): number[] {
  return inHW.map((len, i) => {
    const span = len + pads[i][0] + pads[i][1] - kernel[i];
    let out = Math.ceil(span / strides[i]) + 1;
    if ((out - 1) * strides[i] >= len + pads[i][0]) out--;
    return Math.max(0, (out - 1) * strides[i] + kernel[i] - (len + pads[i][0] + pads[i][1]));
  });
}

/**
 * The k*k shifted, strided views of x padded with `fill`: view (i, j) holds, for each output
 * position, the input under the window's tap (i, j) (dilation d). Slices and reshapes only, so
 * every backend differentiates them.
 */
function windowViews(x: tf.Tensor4D, kernel: [number, number], strides: [number, number], dil: [number, number], pads: number[][], fill: number): tf.Tensor4D[] {
  const [n, h, w, c] = x.shape;
  const hp = h + pads[0][0] + pads[0][1], wp = w + pads[1][0] + pads[1][1];
  const eh = (kernel[0] - 1) * dil[0] + 1, ew = (kernel[1] - 1) * dil[1] + 1;
  const oh = Math.floor((hp - eh) / strides[0]) + 1, ow = Math.floor((wp - ew) / strides[1]) + 1;
  // Enough rows/columns that every view is oh*stride long.
  const needH = eh - 1 + oh * strides[0], needW = ew - 1 + ow * strides[1];
  const xp = tf.pad(x, [[0, 0], [pads[0][0], pads[0][1] + Math.max(0, needH - hp)], [pads[1][0], pads[1][1] + Math.max(0, needW - wp)], [0, 0]], fill);
  const views: tf.Tensor4D[] = [];
  for (let i = 0; i < kernel[0]; i++) {
    for (let j = 0; j < kernel[1]; j++) {
      const v = xp.slice([0, i * dil[0], j * dil[1], 0], [n, oh * strides[0], ow * strides[1], c]);
      views.push((strides[0] === 1 && strides[1] === 1 ? v : v.reshape([n, oh, strides[0], ow, strides[1], c]).slice([0, 0, 0, 0, 0, 0], [n, oh, 1, ow, 1, c]).reshape([n, oh, ow, c])) as tf.Tensor4D);
    }
  }
  return views;
}

/**
 * Max pooling with PyTorch's gradient. The value is TF.js's maxPool of the input padded with the
 * lowest float32. The gradient goes, as in PyTorch, to the first maximum of each window in
 * row-major order (ties are real after a reflect pad or a ReLU), placed back through each window
 * tap's strided view; TF.js's own max-pool gradient shares ties, and 4.22's wasm MaxPoolGrad is
 * wrong for overlapping windows.
 */
function maxPoolFirstArgmax(x: tf.Tensor4D, kernel: [number, number], strides: [number, number], pads: number[][]): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const hp = h + pads[0][0] + pads[0][1], wp = w + pads[1][0] + pads[1][1];
  const oh = Math.floor((hp - kernel[0]) / strides[0]) + 1, ow = Math.floor((wp - kernel[1]) / strides[1]) + 1;
  const pool = (xx: tf.Tensor4D) => tf.maxPool(tf.pad(xx, [[0, 0], pads[0] as [number, number], pads[1] as [number, number], [0, 0]], -3.4e38) as tf.Tensor4D, kernel, strides, 'valid');
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const xx = args[0] as tf.Tensor4D;
    const save = args[1] as tf.GradSaveFunc;
    const value = pool(xx);
    save([xx, value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [x0, y] = saved as [tf.Tensor4D, tf.Tensor4D];
        const g = dy as tf.Tensor4D;
        const views = windowViews(x0, kernel, strides, [1, 1], pads, -3.4e38);
        let taken: tf.Tensor = tf.zerosLike(y);
        let dx: tf.Tensor = tf.zeros([n, hp + kernel[0] + oh * strides[0], wp + kernel[1] + ow * strides[1], c]);
        views.forEach((v, k) => {
          const i = Math.floor(k / kernel[1]), j = k % kernel[1];
          const sel = tf.equal(v, y).cast('float32').mul(tf.sub(1, taken));
          taken = taken.add(sel);
          // dy at the first maximum, placed at rows i + s*r, columns j + s*q of the padded input.
          const spread = g.mul(sel).reshape([n, oh, 1, ow, 1, c]).pad([[0, 0], [0, 0], [0, strides[0] - 1], [0, 0], [0, strides[1] - 1], [0, 0]]).reshape([n, oh * strides[0], ow * strides[1], c]);
          dx = dx.add(spread.pad([[0, 0], [i, hp + kernel[0] - i], [j, wp + kernel[1] - j], [0, 0]]));
        });
        return [dx.slice([0, pads[0][0], pads[1][0], 0], [n, h, w, c])];
      },
    };
  });
  return f(x) as tf.Tensor4D;
}

/** Window, strides and pads of a MaxPool/AveragePool node on a channels-last input (total: with the ceil_mode overhang). */
function poolGeometry(n: OnnxNode, x: tf.Tensor4D): { kernel: [number, number]; strides: [number, number]; pads: number[][]; extra: number[]; total: number[][] } {
  const kernel = twoD(n, 'kernel_shape', 1);
  const strides = twoD(n, 'strides', 1);
  const dil = twoD(n, 'dilations', 1);
  if (dil[0] !== 1 || dil[1] !== 1) throw new OnnxOpError('dilated pooling is not supported');
  const inHW = [x.shape[1], x.shape[2]];
  const pads = windowPads(n, inHW, kernel, strides, [1, 1]);
  const extra = attrInt(n, 'ceil_mode', 0) ? ceilPads(inHW, kernel, strides, pads) : [0, 0];
  return { kernel, strides, pads, extra, total: pads.map((p, i) => [p[0], p[1] + extra[i]]) };
}

/**
 * The input-only backward of a pool whose input is stored channels-last, from fast forward kernels
 * (kernels/poolBackprop.ts): max pooling scatters dy to each window's first maximum in row-major
 * order (PyTorch's rule, as the forward's own gradient), padded with the lowest float; average
 * pooling without padding upsamples dy. Null for a padded average pool (the caller differentiates
 * it with tf.grads).
 */
export function poolBackward(kind: 'max' | 'avg', ins: Array<Value | undefined>, ctx: OpContext): ((dy: tf.Tensor) => tf.Tensor) | null {
  const xv = ins[0];
  if (!xv || xv.kind !== 'tensor' || !xv.nhwc) return null;
  const x = xv.t as tf.Tensor4D;
  const { kernel, strides, total } = poolGeometry(ctx.node, x);
  if (kind === 'avg') return isZero(total) ? (dy) => avgPoolBackprop(dy as tf.Tensor4D, x, kernel, strides, 'valid') : null;
  const [n, h, w, c] = x.shape;
  if (fusedMaxPoolBackward()) {
    // One pass (kernels/fusedBackward.ts): the same first maximum of each window in row-major order,
    // out-of-range cells skipped (as the lowest float's padding never wins). Equal pads on all four
    // sides are the kernel's own; others (ceil_mode's overhang) pad x with the lowest float.
    const [[t, b], [l, r]] = total;
    if (t === b && l === r && t === l) return (dy) => maxPoolBackwardFused(dy as tf.Tensor4D, x, kernel, strides, t === 0 ? 'valid' : t);
    return (dy) => tf.tidy(() => maxPoolBackwardFused(dy as tf.Tensor4D, tf.pad(x, explicit(total), -3.4e38) as tf.Tensor4D, kernel, strides, 'valid').slice([0, t, l, 0], [n, h, w, c]));
  }
  return (dy) => {
    const xp = isZero(total) ? x : tf.pad(x, explicit(total), -3.4e38) as tf.Tensor4D;
    const dxp = maxPoolBackprop(dy as tf.Tensor4D, xp, null, null, kernel, strides, 'valid');
    return isZero(total) ? dxp : dxp.slice([0, total[0][0], total[1][0], 0], [n, h, w, c]);
  };
}

const pool = (kind: 'max' | 'avg'): Op => (ins, ctx) => {
  const n = ctx.node;
  const x = physical(need(ins[0], ctx, 0), `${kind === 'max' ? 'Max' : 'Average'}Pool`);
  const { kernel, strides, pads, extra, total } = poolGeometry(n, x);
  const inHW = [x.shape[1], x.shape[2]];
  if (kind === 'max') {
    return [tensorValue(maxPoolFirstArgmax(x, kernel, strides, total), true)];
  }
  const include = attrInt(n, 'count_include_pad', 0) === 1;
  if (isZero(total)) return [tensorValue(tf.avgPool(x, kernel, strides, 'valid'), true)];
  // (TF.js's own explicit-padding average pool has the right forward pass but a wrong gradient in 4.22.)
  // Window sums over the zero-padded input, divided by how many positions count: the explicit pads
  // count when count_include_pad = 1; the ceil_mode overhang never does (as in PyTorch).
  const k = kernel[0] * kernel[1];
  const sums = tf.avgPool(tf.pad(x, explicit(total)), kernel, strides, 'valid').mul(k);
  const counts = ctx.cached(`counts${inHW.join('x')}`, () => {
    const ones = tf.ones([1, inHW[0], inHW[1], 1]);
    const inner = include ? tf.pad(ones, explicit(pads), 1) : tf.pad(ones, explicit(pads), 0);
    const withExtra = tf.pad(inner, [[0, 0], [0, extra[0]], [0, extra[1]], [0, 0]]);
    return tf.avgPool(withExtra as tf.Tensor4D, kernel, strides, 'valid').mul(k);
  });
  return [tensorValue(sums.div(counts), true)];
};

const globalAvgPool: Op = (ins, ctx) => [tensorValue(physical(need(ins[0], ctx, 0), 'GlobalAveragePool').mean([1, 2], true), true)];
const globalMaxPool: Op = (ins, ctx) => [tensorValue(physical(need(ins[0], ctx, 0), 'GlobalMaxPool').max([1, 2], true), true)];

const concat: Op = (ins, ctx) => {
  const vs = ins.filter((v): v is Value => !!v);
  // One input: the value itself (no copy; torchvision's DenseNet starts each block with one).
  if (vs.length === 1) return [vs[0]];
  const rank = logicalShape(vs[0]).length;
  const axis = norm(attrInt(ctx.node, 'axis', 0), rank);
  if (vs.every((v) => v.kind === 'host')) {
    const hs = vs as Array<Value & { kind: 'host' }>;
    if (rank !== 1) throw new OnnxOpError('only 1-D integer (shape) tensors are concatenated on the host');
    return [hostValue(hs.flatMap((h) => h.data), [hs.reduce((a, h) => a + h.shape[0], 0)])];
  }
  if (rank === 4 && vs.every((v) => v.kind === 'tensor' && v.nhwc)) {
    return [tensorValue(tf.concat(vs.map((v) => (v as { t: tf.Tensor }).t), NCHW_TO_NHWC_AXIS[axis]), true)];
  }
  return [tensorValue(tf.concat(vs.map(logical), axis))];
};

const gemm: Op = (ins, ctx) => {
  const n = ctx.node;
  let a = logical(need(ins[0], ctx, 0));
  if (a.rank !== 2) a = a.reshape([a.shape[0], -1]);
  const b = logical(need(ins[1], ctx, 1));
  let y = tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, attrInt(n, 'transA', 0) === 1, attrInt(n, 'transB', 0) === 1);
  const alpha = attrFloat(n, 'alpha', 1), beta = attrFloat(n, 'beta', 1);
  if (alpha !== 1) y = y.mul(alpha);
  if (ins[2]) y = y.add(beta === 1 ? logical(ins[2]) : logical(ins[2]).mul(beta));
  return [tensorValue(y)];
};

const matMul: Op = (ins, ctx) => {
  const a = logical(need(ins[0], ctx, 0)), b = logical(need(ins[1], ctx, 1));
  if (a.rank < 2 || b.rank < 2) throw new OnnxOpError('MatMul with a 1-D operand is not supported');
  return [tensorValue(tf.matMul(a, b))];
};

function reshapeTo(v: Value, shape: number[], allowZero: boolean): Value {
  const inShape = logicalShape(v);
  const target = shape.map((d, i) => (d === 0 && !allowZero ? inShape[i] : d));
  if (v.kind === 'host') {
    const known = prod(target.filter((d) => d !== -1));
    return hostValue(v.data, target.map((d) => (d === -1 ? v.data.length / known : d)));
  }
  return tensorValue(logical(v).reshape(target));
}

const flatten: Op = (ins, ctx) => {
  const v = need(ins[0], ctx, 0);
  const s = logicalShape(v);
  const axis = norm(attrInt(ctx.node, 'axis', 1), s.length);
  return [reshapeTo(v, [prod(s.slice(0, axis)), prod(s.slice(axis))], false)];
};

const reshape: Op = (ins, ctx) => [reshapeTo(need(ins[0], ctx, 0), numbers(need(ins[1], ctx, 1)), attrInt(ctx.node, 'allowzero', 0) === 1)];

const transpose: Op = (ins, ctx) => {
  const v = need(ins[0], ctx, 0);
  const rank = logicalShape(v).length;
  const perm = attrInts(ctx.node, 'perm', null) ?? [...Array(rank).keys()].reverse();
  // NCHW -> NHWC of a channels-last tensor is the stored tensor itself.
  if (v.kind === 'tensor' && v.nhwc && perm.join() === '0,2,3,1') return [tensorValue(v.t)];
  if (v.kind === 'host') {
    const shape = logicalShape(v);
    return [hostMap(v, perm.map((p) => shape[p]), (idx) => { const src = new Array(rank); perm.forEach((p, k) => { src[p] = idx[k]; }); return src; })];
  }
  return [tensorValue(logical(v).transpose(perm))];
};

const pad: Op = (ins, ctx) => {
  const n = ctx.node;
  const v = need(ins[0], ctx, 0);
  const rank = logicalShape(v).length;
  const p = ctx.opset >= 11 ? numbers(need(ins[1], ctx, 1)) : attrInts(n, 'pads', [])!;
  const value = ctx.opset >= 11 ? (ins[2] ? numbers(ins[2])[0] : 0) : attrFloat(n, 'value', 0);
  const axes = ctx.opset >= 18 && ins[3] ? numbers(ins[3]).map((a) => norm(a, rank)) : [...Array(rank).keys()];
  const pairs: Array<[number, number]> = Array.from({ length: rank }, () => [0, 0]);
  axes.forEach((a, i) => { pairs[a] = [p[i], p[i + axes.length]]; });
  if (pairs.some(([a, b]) => a < 0 || b < 0)) throw new OnnxOpError('negative pads (cropping) are not supported');
  const mode = attrStr(n, 'mode', 'constant');
  const nhwc = v.kind === 'tensor' && v.nhwc;
  const t = nhwc ? (v as { t: tf.Tensor }).t : logical(v);
  const ps = nhwc ? [pairs[0], pairs[2], pairs[3], pairs[1]] : pairs;
  let y: tf.Tensor;
  if (mode === 'constant') y = tf.pad(t, ps, value);
  else if (mode === 'reflect') {
    // Mirrored slices (tf.mirrorPad's gradient is wrong in TF.js 4.22).
    y = t;
    ps.forEach(([before, after], axis) => {
      if (!before && !after) return;
      const len = y.shape[axis];
      if (before >= len || after >= len) throw new OnnxOpError(`reflect padding of ${Math.max(before, after)} on an axis of length ${len}`);
      const part = (start: number, size: number) => tf.reverse(tf.slice(y, y.shape.map((_, i) => (i === axis ? start : 0)), y.shape.map((d, i) => (i === axis ? size : d))), axis);
      const parts = [...(before ? [part(1, before)] : []), y, ...(after ? [part(len - 1 - after, after)] : [])];
      y = tf.concat(parts, axis);
    });
  }
  else if (mode === 'edge') {
    y = t;
    ps.forEach(([before, after], axis) => {
      if (!before && !after) return;
      const len = y.shape[axis];
      const first = tf.slice(y, y.shape.map((_, i) => (i === axis ? 0 : 0)), y.shape.map((d, i) => (i === axis ? 1 : d)));
      const last = tf.slice(y, y.shape.map((_, i) => (i === axis ? len - 1 : 0)), y.shape.map((d, i) => (i === axis ? 1 : d)));
      const parts = [...Array(before).fill(first), y, ...Array(after).fill(last)];
      y = tf.concat(parts, axis);
    });
  } else throw new OnnxOpError(`pad mode "${mode}" is not supported (constant, reflect and edge are)`);
  return [tensorValue(y, nhwc)];
};

function constantOf(node: OnnxNode): Value {
  const a = node.attrs;
  const t = a.value as OnnxTensor | undefined;
  if (t && typeof t === 'object' && 'dims' in t) return tensorFromOnnx(t);
  if (typeof a.value_float === 'number') return tensorValue(tf.scalar(a.value_float));
  if (Array.isArray(a.value_floats)) return tensorValue(tf.tensor1d(a.value_floats as number[]));
  if (typeof a.value_int === 'number') return hostValue([a.value_int], []);
  if (Array.isArray(a.value_ints)) return hostValue(a.value_ints as number[], [(a.value_ints as number[]).length]);
  throw new OnnxOpError('a Constant without a value, value_float(s) or value_int(s) attribute is not supported');
}

/** An ONNX tensor as a value: floats as a TF.js tensor, integers on the host. */
export function tensorFromOnnx(t: OnnxTensor): Value {
  if (t.dtype === 'int') return hostValue(t.data as number[], t.dims);
  return tensorValue(tf.tensor(t.data as Float32Array, t.dims, 'float32'));
}

const reduce = (kind: 'mean' | 'sum' | 'max'): Op => (ins, ctx) => {
  const n = ctx.node;
  const v = need(ins[0], ctx, 0);
  const shape = logicalShape(v);
  const rank = shape.length;
  const fromOpset = kind === 'sum' ? 13 : 18;
  let axes = axesOf(ins, ctx, 1, fromOpset);
  const keep = attrInt(n, 'keepdims', 1) === 1;
  if (!axes || !axes.length) {
    if (attrInt(n, 'noop_with_empty_axes', 0) === 1) return [v];
    axes = [...Array(rank).keys()];
  }
  axes = axes.map((a) => norm(a, rank));
  const f = (t: tf.Tensor, ax: number[], k: boolean) => (kind === 'mean' ? t.mean(ax, k) : kind === 'sum' ? t.sum(ax, k) : t.max(ax, k));
  if (v.kind === 'tensor' && v.nhwc) {
    const phys = axes.map((a) => NCHW_TO_NHWC_AXIS[a]);
    const y = f(v.t, phys, true);
    if (keep) return [tensorValue(y, true)];
    return [tensorValue(logical(tensorValue(y, true)).reshape(shape.filter((_, i) => !axes!.includes(i))))];
  }
  return [tensorValue(f(logical(v), axes, keep))];
};

const squeeze: Op = (ins, ctx) => {
  const v = need(ins[0], ctx, 0);
  const shape = logicalShape(v);
  const axes = (axesOf(ins, ctx, 1, 13) ?? shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => norm(a, shape.length));
  const out = shape.filter((_, i) => !axes.includes(i));
  return [reshapeTo(v, out, true)];
};

const unsqueeze: Op = (ins, ctx) => {
  const v = need(ins[0], ctx, 0);
  const shape = logicalShape(v);
  const axesRaw = axesOf(ins, ctx, 1, 13);
  if (!axesRaw) throw new OnnxOpError('Unsqueeze needs axes');
  const r = shape.length + axesRaw.length;
  const axes = axesRaw.map((a) => norm(a, r));
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < r; i++) out.push(axes.includes(i) ? 1 : shape[j++]);
  return [reshapeTo(v, out, true)];
};

/**
 * The [in, out] matrix of 1-D linear interpolation under an ONNX coordinate transformation (source
 * coordinates clamped to the input, as ONNX and PyTorch do). Resizing by matrix products keeps the
 * gradient exact (TF.js 4.22's resizeBilinear gradient ignores half-pixel centers).
 */
function linearMatrix(len: number, out: number, scale: number, coord: string): tf.Tensor2D {
  const m = new Float32Array(len * out);
  for (let i = 0; i < out; i++) {
    let src: number;
    if (coord === 'align_corners') src = out > 1 ? (i * (len - 1)) / (out - 1) : 0;
    else if (coord === 'asymmetric') src = i / scale;
    else if (coord === 'pytorch_half_pixel' && out <= 1) src = 0;
    else src = (i + 0.5) / scale - 0.5;
    src = Math.min(Math.max(src, 0), len - 1);
    const i0 = Math.floor(src), i1 = Math.min(i0 + 1, len - 1), f = src - i0;
    m[i0 * out + i] += 1 - f;
    m[i1 * out + i] += f;
  }
  return tf.tensor2d(m, [len, out]);
}

/** x [N, H, W, C] resized by rh [H, oH] and rw [W, oW]: two matrix products. */
function separableResize(x: tf.Tensor4D, rh: tf.Tensor, rw: tf.Tensor): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const [oh, ow] = [rh.shape[1]!, rw.shape[1]!];
  // Rows: [N, H, W*C] -> contract H.
  const a = tf.matMul(x.reshape([n, h, w * c]).transpose([0, 2, 1]).reshape([n * w * c, h]), rh as tf.Tensor2D); // [N*W*C, oH]
  const b = a.reshape([n, w, c, oh]).transpose([0, 3, 2, 1]).reshape([n * oh * c, w]); // [N*oH*C, W]
  const y = tf.matMul(b, rw as tf.Tensor2D); // [N*oH*C, oW]
  return y.reshape([n, oh, c, ow]).transpose([0, 1, 3, 2]) as tf.Tensor4D;
}

const resize: Op = (ins, ctx) => {
  const n = ctx.node;
  const v = need(ins[0], ctx, 0);
  const x = physical(v, 'Resize');
  const [N, C, H, W] = logicalShape(v);
  let outH: number, outW: number;
  const sizes = ins[3] ? numbers(ins[3]) : [];
  const scales = ins[2] ? numbers(ins[2]) : [];
  if (sizes.length === 4) { [outH, outW] = [sizes[2], sizes[3]]; if (sizes[0] !== N || sizes[1] !== C) throw new OnnxOpError('resizing the batch or channel axis is not supported'); }
  else if (scales.length === 4) { outH = Math.floor(H * scales[2]); outW = Math.floor(W * scales[3]); if (scales[0] !== 1 || scales[1] !== 1) throw new OnnxOpError('resizing the batch or channel axis is not supported'); }
  else throw new OnnxOpError('Resize needs 4 scales or 4 sizes');
  const mode = attrStr(n, 'mode', 'nearest');
  const coord = attrStr(n, 'coordinate_transformation_mode', 'half_pixel');
  if (mode === 'linear') {
    if (!['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'].includes(coord)) throw new OnnxOpError(`linear resize with coordinate_transformation_mode "${coord}" is not supported (half_pixel, pytorch_half_pixel, align_corners, asymmetric are)`);
    const sh = scales.length === 4 ? scales[2] : outH / H, sw = scales.length === 4 ? scales[3] : outW / W;
    const key = `linear${H}x${W}->${outH}x${outW}`;
    const rh = ctx.cached(`${key}h`, () => linearMatrix(H, outH, sh, coord));
    const rw = ctx.cached(`${key}w`, () => linearMatrix(W, outW, sw, coord));
    return [tensorValue(separableResize(x, rh, rw), true)];
  }
  if (mode === 'nearest') {
    const nm = attrStr(n, 'nearest_mode', 'round_prefer_floor');
    if (coord === 'asymmetric' && nm === 'floor') return [tensorValue(tf.image.resizeNearestNeighbor(x, [outH, outW], false, false), true)];
    if (coord === 'half_pixel' && nm === 'round_prefer_ceil') return [tensorValue(tf.image.resizeNearestNeighbor(x, [outH, outW], false, true), true)];
    // Integer upscaling: every mode picks the same source pixel (out // factor).
    if (outH % H === 0 && outW % W === 0 && (coord === 'asymmetric' || coord === 'half_pixel' || coord === 'pytorch_half_pixel') && outH > 1) {
      return [tensorValue(tf.image.resizeNearestNeighbor(x, [outH, outW], false, false), true)];
    }
    throw new OnnxOpError(`nearest resize with coordinate_transformation_mode "${coord}" and nearest_mode "${nm}" is not supported (asymmetric + floor as torch exports it, half_pixel + round_prefer_ceil, or integer upscaling)`);
  }
  throw new OnnxOpError(`resize mode "${mode}" is not supported (nearest and linear are)`);
};

const shapeOp: Op = (ins, ctx) => {
  const s = logicalShape(need(ins[0], ctx, 0));
  const start = norm(attrInt(ctx.node, 'start', 0), s.length);
  const endRaw = attrInt(ctx.node, 'end', s.length);
  const end = Math.min(s.length, norm(endRaw, s.length));
  const out = s.slice(start, end);
  return [hostValue(out, [out.length])];
};

const gather: Op = (ins, ctx) => {
  const v = need(ins[0], ctx, 0);
  const idxV = need(ins[1], ctx, 1);
  const shape = logicalShape(v);
  const axis = norm(attrInt(ctx.node, 'axis', 0), shape.length);
  const idx = numbers(idxV).map((i) => norm(i, shape[axis]));
  const idxShape = logicalShape(idxV);
  if (v.kind === 'host') {
    if (shape.length !== 1) {
      const flatIdx = idx;
      const out = [...shape.slice(0, axis), flatIdx.length, ...shape.slice(axis + 1)];
      const g = hostMap(v, out, (i) => i.map((x, k) => (k === axis ? flatIdx[x] : x)));
      return [hostValue((g as { data: number[] }).data, [...shape.slice(0, axis), ...idxShape, ...shape.slice(axis + 1)])];
    }
    return [hostValue(idx.map((i) => v.data[i]), idxShape)];
  }
  const t = logical(v);
  const y = tf.gather(t, tf.tensor1d(idx, 'int32'), axis);
  const out = [...shape.slice(0, axis), ...idxShape, ...shape.slice(axis + 1)];
  return [tensorValue(y.reshape(out))];
};

const slice: Op = (ins, ctx) => {
  const v = need(ins[0], ctx, 0);
  const shape = logicalShape(v);
  const starts = numbers(need(ins[1], ctx, 1)), ends = numbers(need(ins[2], ctx, 2));
  const axes = (ins[3] ? numbers(ins[3]) : starts.map((_, i) => i)).map((a) => norm(a, shape.length));
  const steps = ins[4] ? numbers(ins[4]) : starts.map(() => 1);
  const b = shape.map(() => 0), e = [...shape], st = shape.map(() => 1);
  axes.forEach((a, i) => {
    const d = shape[a];
    const clampS = (x: number) => Math.max(steps[i] > 0 ? 0 : -1, Math.min(steps[i] > 0 ? d : d - 1, x < 0 ? x + d : x));
    b[a] = clampS(starts[i]);
    e[a] = ends[i] >= 2 ** 53 ? (steps[i] > 0 ? d : -1) : ends[i] <= -(2 ** 53) ? -1 : clampS(ends[i]);
    st[a] = steps[i];
  });
  // A negative step running past index 0 ends at "-1", which TF.js would read as the last index: an end mask says "to the start".
  const endMask = e.reduce((m, x, i) => (x === -1 && st[i] < 0 ? m | (1 << i) : m), 0);
  if (v.kind === 'host') {
    const out = shape.map((_, k) => Math.max(0, Math.ceil((e[k] - b[k]) / st[k])));
    return [hostMap(v, out, (idx) => idx.map((x, k) => b[k] + x * st[k]))];
  }
  const t = logical(v);
  if (st.every((s) => s === 1)) return [tensorValue(tf.slice(t, b, e.map((x, i) => Math.max(0, x - b[i]))))];
  return [tensorValue(tf.stridedSlice(t, b, e, st, 0, endMask))];
};

const cast: Op = (ins, ctx) => {
  const v = need(ins[0], ctx, 0);
  const to = attrInt(ctx.node, 'to', 1);
  const toFloat = to === 1 || to === 10 || to === 11;
  if (v.kind === 'host') return [toFloat ? tensorValue(tf.tensor(v.data, v.shape, 'float32')) : v];
  if (toFloat) return [v];
  // Integer results of float tensors (rare in image models) are taken to the host: no gradient flows through a cast to int.
  const d = Array.from(logical(v).dataSync(), (x) => Math.trunc(x));
  return [hostValue(d, logicalShape(v))];
};

const OPS: Record<string, Op> = {
  Conv: conv,
  ConvTranspose: convTranspose,
  BatchNormalization: batchNorm,
  Relu: unary((t) => tf.relu(t)),
  LeakyRelu: unary((t, c) => tf.leakyRelu(t, attrFloat(c.node, 'alpha', 0.01))),
  Clip: clip,
  Sigmoid: unary((t) => tf.sigmoid(t)),
  Tanh: unary((t) => tf.tanh(t)),
  Softmax: softmaxOp(false),
  LogSoftmax: softmaxOp(true),
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: globalAvgPool,
  GlobalMaxPool: globalMaxPool,
  Concat: concat,
  Add: binary((a, b) => tf.add(a, b), (x, y) => x + y),
  Sub: binary((a, b) => tf.sub(a, b), (x, y) => x - y),
  Mul: binary((a, b) => tf.mul(a, b), (x, y) => x * y),
  Div: binary((a, b) => tf.div(a, b), (x, y) => (Number.isInteger(x) && Number.isInteger(y) ? Math.trunc(x / y) : x / y)),
  Gemm: gemm,
  MatMul: matMul,
  Flatten: flatten,
  Reshape: reshape,
  Transpose: transpose,
  Pad: pad,
  Constant: (_ins, ctx) => [constantOf(ctx.node)],
  Identity: (ins, ctx) => [need(ins[0], ctx, 0)],
  Dropout: (ins, ctx) => [need(ins[0], ctx, 0)],
  ReduceMean: reduce('mean'),
  ReduceSum: reduce('sum'),
  ReduceMax: reduce('max'),
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Resize: resize,
  Shape: shapeOp,
  Gather: gather,
  Slice: slice,
  Cast: cast,
  ConstantOfShape: (ins, ctx) => {
    const shape = numbers(need(ins[0], ctx, 0));
    const t = ctx.node.attrs.value as OnnxTensor | undefined;
    const fill = t && typeof t === 'object' && 'data' in t ? Number(t.data[0]) : 0;
    if (!t || t.dtype === 'int') return [hostValue(new Array(prod(shape)).fill(fill), shape)];
    return [tensorValue(tf.fill(shape, fill))];
  },
};

export const SUPPORTED_OPS = Object.keys(OPS).sort();

export function opOf(type: string): Op | undefined {
  return Object.prototype.hasOwnProperty.call(OPS, type) ? OPS[type] : undefined;
}

export type { OnnxAttr };
