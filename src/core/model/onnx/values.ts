import * as tf from '@tensorflow/tfjs';

/**
 * A value flowing through an imported ONNX graph.
 *
 * - tensor: a TF.js tensor. ONNX images and activations are NCHW; TF.js convolutions and pools are
 *   NHWC-only on the cpu and wasm backends. So a rank-4 tensor may be stored channels-last:
 *   `nhwc: true` means the ONNX (logical) tensor [N, C, H, W] is held as [N, H, W, C]. Convolutions,
 *   pools, batch norm, elementwise ops, channel concat and global pooling keep that layout; ops that
 *   care about the logical axis order (reshape, transpose, gather...) read the logical tensor
 *   (`logical`), which is a transpose (or a free reshape when H*W or C is 1). The graph input is fed
 *   channels-last, so the app's [N, H, W, C] images and Grad-CAM's [N, h, w, k] activations need no
 *   transpose at all.
 * - host: a small integer tensor computed in JavaScript (shapes, axes, indices): what Shape,
 *   Gather, Unsqueeze, Concat... compute for torch.onnx.export's reshape chains. Never on the
 *   gradient path.
 */
export type Value =
  | { kind: 'tensor'; t: tf.Tensor; nhwc: boolean }
  | { kind: 'host'; data: number[]; shape: number[] };

export const tensorValue = (t: tf.Tensor, nhwc = false): Value => ({ kind: 'tensor', t, nhwc: nhwc && t.rank === 4 });
export const hostValue = (data: number[], shape: number[]): Value => ({ kind: 'host', data, shape });

/** NCHW axis -> its axis in the channels-last storage. */
export const NCHW_TO_NHWC_AXIS = [0, 3, 1, 2];

/** The ONNX shape of a value. */
export function logicalShape(v: Value): number[] {
  if (v.kind === 'host') return v.shape;
  if (!v.nhwc) return v.t.shape;
  const [n, h, w, c] = v.t.shape;
  return [n, c, h, w];
}

/** The tensor in ONNX (NCHW) axis order. A host value becomes a float32 tensor. */
export function logical(v: Value): tf.Tensor {
  if (v.kind === 'host') return tf.tensor(v.data, v.shape, 'float32');
  if (!v.nhwc) return v.t;
  const [n, h, w, c] = v.t.shape;
  return h * w === 1 || c === 1 ? v.t.reshape([n, c, h, w]) : v.t.transpose([0, 3, 1, 2]);
}

/** A rank-4 value stored channels-last ([N, H, W, C]). */
export function physical(v: Value, what: string): tf.Tensor4D {
  const t = v.kind === 'host' ? tf.tensor(v.data, v.shape, 'float32') : v.t;
  if (t.rank !== 4) throw new Error(`${what} needs a 4-D [N, C, H, W] input, got shape [${logicalShape(v).join(', ')}]`);
  if (v.kind === 'tensor' && v.nhwc) return t as tf.Tensor4D;
  const [n, c, h, w] = t.shape;
  return (h * w === 1 || c === 1 ? t.reshape([n, h, w, c]) : t.transpose([0, 2, 3, 1])) as tf.Tensor4D;
}

/** Numbers of a value known without the gradient (host values, constants). */
export function numbers(v: Value): number[] {
  if (v.kind === 'host') return v.data;
  return Array.from(logical(v).dataSync());
}

/**
 * `o` aligned for a binary op with a channels-last operand: ONNX broadcasting aligns trailing axes
 * of the logical shapes, so `o` is padded to rank 4 and put in channels-last order too.
 */
export function alignChannelsLast(o: Value): tf.Tensor {
  if (o.kind === 'tensor' && o.nhwc) return o.t;
  const t = logical(o);
  if (t.rank > 4) throw new Error(`cannot broadcast a rank-${t.rank} tensor against a 4-D image tensor`);
  const s = [...Array(4 - t.rank).fill(1), ...t.shape];
  const r = t.reshape(s);
  return s[1] === 1 || s[2] * s[3] === 1 ? r.reshape([s[0], s[2], s[3], s[1]]) : r.transpose([0, 2, 3, 1]);
}

/** Row-major strides of a shape. */
function strides(shape: number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Elementwise op on host values with numpy broadcasting. */
export function hostBroadcast(a: Value & { kind: 'host' }, b: Value & { kind: 'host' }, f: (x: number, y: number) => number): Value {
  const r = Math.max(a.shape.length, b.shape.length);
  const as = [...Array(r - a.shape.length).fill(1), ...a.shape];
  const bs = [...Array(r - b.shape.length).fill(1), ...b.shape];
  const out = as.map((d, i) => (d === 1 ? bs[i] : d));
  const sa = strides(as), sb = strides(bs), so = strides(out);
  const n = out.reduce((x, y) => x * y, 1);
  const data = new Array(n);
  for (let i = 0; i < n; i++) {
    let ia = 0, ib = 0, rem = i;
    for (let k = 0; k < r; k++) {
      const q = Math.floor(rem / so[k]);
      rem -= q * so[k];
      if (as[k] !== 1) ia += q * sa[k];
      if (bs[k] !== 1) ib += q * sb[k];
    }
    data[i] = f(a.data[ia], b.data[ib]);
  }
  return hostValue(data, out);
}
