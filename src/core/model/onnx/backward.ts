import * as tf from '@tensorflow/tfjs';
import { batchNormAffine, constConvBackward, poolBackward, type OpContext } from './ops';
import { reluBackward, splitAxis } from '../kernels/fusedBackward';
import { NCHW_TO_NHWC_AXIS, logicalShape, type Value } from './values';

/**
 * Hand-written input-only backward functions of ONNX ops, for the op-graph form (../opgraph.ts).
 *
 * Given a node's input values and its first output (already computed by the op's own forward pass
 * in ops.ts, so forward values never change), each returns dy -> the gradients of the inputs that
 * `diff` marks (gradients of the stored tensors: channels-last for channels-last values), or null
 * when it does not handle that case: the caller then differentiates the node with tf.grads.
 * Covered: the ops of convolutional classifiers (Conv by a constant weight, BatchNormalization,
 * Relu, MaxPool, AveragePool without padding, GlobalAveragePool, channel Concat, Add of equal
 * shapes, Identity, Dropout).
 */
export type OnnxBackward = (ins: Array<Value | undefined>, out: Value, ctx: OpContext, diff: boolean[]) => ((dy: tf.Tensor) => Array<tf.Tensor | null>) | null;

const stored = (v: Value | undefined): tf.Tensor | null => (v && v.kind === 'tensor' ? v.t : null);

/** Only input 0 is differentiated (weights and shapes never are). */
function firstOnly(diff: boolean[]): boolean {
  return diff[0] && diff.slice(1).every((d) => !d);
}

const BACKWARD: Record<string, OnnxBackward> = {
  Conv: (ins, out, ctx, diff) => {
    if (!firstOnly(diff)) return null;
    const b = constConvBackward(ins, ctx);
    const y = stored(out);
    if (!b || !y) return null;
    // With a folded Relu (ctx.fuse) the output is the Relu's: y > 0 ? dy : 0 first (the bias adds nothing to dx).
    return ctx.fuse === 'relu' ? (dy) => [b(reluBackward(dy, y))] : (dy) => [b(dy)];
  },
  BatchNormalization: (ins, out, ctx, diff) => {
    const x = ins[0];
    if (!firstOnly(diff) || !x || x.kind !== 'tensor' || !x.nhwc || out.kind !== 'tensor' || !out.nhwc) return null;
    if (![1, 2, 3, 4].every((i) => ctx.isConst(i))) return null;
    const [a] = batchNormAffine(ins, ctx);
    return (dy) => [tf.mul(dy, a)];
  },
  Relu: (ins, out, _ctx, diff) => {
    const x = stored(ins[0]), y = stored(out);
    if (!diff[0] || !x || !y || x.shape.join() !== y.shape.join()) return null;
    return (dy) => [reluBackward(dy, y)];
  },
  MaxPool: (ins, _out, ctx, diff) => {
    if (!firstOnly(diff)) return null;
    const b = poolBackward('max', ins, ctx);
    return b && ((dy) => [b(dy)]);
  },
  AveragePool: (ins, _out, ctx, diff) => {
    if (!firstOnly(diff)) return null;
    const b = poolBackward('avg', ins, ctx);
    return b && ((dy) => [b(dy)]);
  },
  GlobalAveragePool: (ins, out, _ctx, diff) => {
    const x = ins[0];
    if (!diff[0] || !x || x.kind !== 'tensor' || !x.nhwc || out.kind !== 'tensor' || !out.nhwc) return null;
    const [n, h, w, c] = x.t.shape;
    return (dy) => [tf.broadcastTo(tf.mul(dy, 1 / (h * w)), [n, h, w, c])];
  },
  Concat: (ins, out, ctx, diff) => {
    const vs = ins.filter((v): v is Value => !!v);
    if (vs.length !== ins.length || out.kind !== 'tensor' || !out.nhwc || !vs.every((v) => v.kind === 'tensor' && v.nhwc)) return null;
    const raw = ctx.node.attrs.axis;
    const axis = typeof raw === 'number' ? (raw < 0 ? raw + 4 : raw) : 0;
    const phys = NCHW_TO_NHWC_AXIS[axis];
    const sizes = vs.map((v) => (v as { t: tf.Tensor }).t.shape[phys]);
    // A one-input Concat (torchvision's DenseNet starts each block with one) passes dy through: no split, no copy.
    if (vs.length === 1) return (dy) => [diff[0] ? dy : null];
    return (dy) => {
      const parts = splitAxis(dy, sizes, phys);
      return parts.map((p, j) => {
        if (diff[j]) return p;
        p.dispose();
        return null;
      });
    };
  },
  Add: (ins, out, _ctx, diff) => {
    const [a, b] = ins;
    if (!a || !b || a.kind !== 'tensor' || b.kind !== 'tensor' || out.kind !== 'tensor') return null;
    if (a.nhwc !== out.nhwc || b.nhwc !== out.nhwc || logicalShape(a).join() !== logicalShape(out).join() || logicalShape(b).join() !== logicalShape(out).join()) return null;
    return (dy) => [diff[0] ? dy : null, diff[1] ? dy : null];
  },
  Identity: (ins, out, _ctx, diff) => (diff[0] && ins[0] === out ? (dy) => [dy] : null),
  Dropout: (ins, out, _ctx, diff) => (diff[0] && ins[0] === out ? (dy) => [dy] : null),
};

export function onnxBackward(opType: string): OnnxBackward | undefined {
  return Object.prototype.hasOwnProperty.call(BACKWARD, opType) ? BACKWARD[opType] : undefined;
}
