import * as tf from '@tensorflow/tfjs';
import {
  backpropInputGeometry,
  conv2dBackpropInputPrepared,
  disposePrepared,
  prepareBackpropInputFilters,
  type PreparedBackpropFilters,
} from './kernels/conv2dBackpropInput';
import { avgPoolBackprop, maxPoolBackprop } from './kernels/poolBackprop';
import { cropSpatial, fusedMaxPoolBackward, maxPoolBackwardFused, reluBackward, splitAxis } from './kernels/fusedBackward';
import { backpropagate, type BackwardNode } from './opgraph';

/**
 * Input gradients without weight gradients.
 *
 * tf.grad through a tf.layers model pays for every weight gradient: Conv2D/Dense with a bias or an
 * activation run through tf.fused.*, whose custom gradient computes dx, dfilter and dbias together
 * whatever is asked. Saliency only needs d target / d input. This module walks the LayersModel's
 * graph itself, runs the forward pass with plain ops (folding inference-mode BatchNorm into the
 * preceding conv and fusing the ReLU after it), keeps what the backward pass needs, and runs a
 * hand-written backward pass that only ever produces input gradients:
 *  - Conv2D: dx as forward convolutions of dy with flipped filters (kernels/conv2dBackpropInput),
 *    filters prepared once per weight version;
 *  - BatchNormalization (inference): dy * gamma / sqrt(var + eps);
 *  - ReLU and other activations: from the saved output;
 *  - max pooling: each window's dy to its first maximum in raster order, the same cell on every
 *    backend (the fused kernel on wasm, exact ops elsewhere); average pooling: upsampling
 *    (kernels/poolBackprop); concatenation: one copy per part (kernels/fusedBackward splitAxis); Dense: dy W^T; padding: a slice.
 * Layers it does not know are differentiated one by one with tf.grads (their weights are never
 * asked for; fused layers may still compute them internally), so any model works, the known ones fast.
 *
 * The forward values equal the model's (inference mode: dropout off, BatchNorm moving statistics).
 */

export type TargetFn = (out: tf.Tensor) => tf.Tensor1D;

export interface FastGradOptions {
  /**
   * Leave out the output layer's final sigmoid/softmax so the target sees logits (the layer's
   * pre-activation). Default false: the target sees exactly model.predict's output.
   */
  logits?: boolean;
  /** Fold inference BatchNorm into the preceding conv (default true; false keeps it a separate op, for checks). */
  foldBatchNorm?: boolean;
  /**
   * Diagnosis only: called with every op's forward output (`forward`) and its complete upstream
   * gradient (`backward`, just before its backward function runs), named by the op's layer (a fused
   * conv -> BN -> ReLU by its conv). Read the tensor synchronously; it is freed afterwards.
   */
  trace?: { forward?: (layer: string, out: tf.Tensor) => void; backward?: (layer: string, dOut: tf.Tensor) => void };
}

export interface FastGrad {
  /** d sum(target(out)) / d x, shape of x. */
  inputGradients(x: tf.Tensor4D): tf.Tensor4D;
  /** Target values [N] and input gradients from one forward pass. */
  valueAndGradients(x: tf.Tensor4D): { value: tf.Tensor1D; grad: tf.Tensor4D };
  /** The model's output through the same compiled graph (logits when `logits`). */
  predict(x: tf.Tensor4D): tf.Tensor;
  /** Layers that take the generic (tf.grads) route, by class name; empty when every layer is fast. */
  readonly genericLayers: string[];
  /** Frees the prepared filters. */
  dispose(): void;
}

type Act = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'softmax' | 'elu' | 'other';

interface Common { id: number; inputs: number[]; name: string }
type Op = Common & (
  | { kind: 'input' }
  | { kind: 'conv'; layer: tf.layers.Layer; strides: [number, number]; padding: 'same' | 'valid'; dilations: [number, number]; bn: tf.layers.Layer | null; act: Act; actLayer: tf.layers.Layer | null }
  | { kind: 'dense'; layer: tf.layers.Layer; act: Act }
  | { kind: 'bn'; layer: tf.layers.Layer }
  | { kind: 'act'; act: Act; actLayer: tf.layers.Layer }
  | { kind: 'zeropad'; pads: [[number, number], [number, number]] }
  | { kind: 'maxpool' | 'avgpool'; pool: [number, number]; strides: [number, number]; padding: 'same' | 'valid' }
  | { kind: 'gap' }
  | { kind: 'concat'; axis: number }
  | { kind: 'add' }
  | { kind: 'flatten' }
  | { kind: 'identity' }
  | { kind: 'generic'; layer: tf.layers.Layer }
);

function fastGradError(code: string, message: string): Error {
  return Object.assign(new Error(`${message} (src/core/model/fastgrad.ts)`), { code });
}

function pair(v: unknown, fallback: number): [number, number] {
  if (Array.isArray(v)) return [Number(v[0]), Number(v[v.length > 1 ? 1 : 0])];
  if (typeof v === 'number') return [v, v];
  return [fallback, fallback];
}

function actName(a: unknown): Act {
  const s = typeof a === 'string' ? a : (a as { getClassName?: () => string } | null)?.getClassName?.() ?? 'linear';
  const n = s.toLowerCase();
  if (n === 'linear' || n === 'relu' || n === 'relu6' || n === 'sigmoid' || n === 'tanh' || n === 'softmax' || n === 'elu') return n;
  return 'other';
}

/** Reads the configuration of one layer into an op (or 'generic'). */
function toOp(layer: tf.layers.Layer, id: number, inputs: number[]): Op {
  const cls = layer.getClassName();
  const cfg = layer.getConfig() as Record<string, unknown>;
  const base = { id, inputs, name: layer.name };
  const channelsLast = cfg.dataFormat === undefined || cfg.dataFormat === 'channelsLast';
  switch (cls) {
    case 'InputLayer':
      return { ...base, kind: 'input' };
    case 'Conv2D': {
      if (!channelsLast) break;
      const act = actName(cfg.activation);
      return {
        ...base, kind: 'conv', layer, strides: pair(cfg.strides, 1), padding: cfg.padding === 'same' ? 'same' : 'valid',
        dilations: pair(cfg.dilationRate, 1), bn: null, act, actLayer: act === 'other' ? layer : null,
      };
    }
    case 'Dense':
      return { ...base, kind: 'dense', layer, act: actName(cfg.activation) };
    case 'BatchNormalization': {
      const axis = cfg.axis as number;
      const rank = (layer.input as tf.SymbolicTensor).shape.length;
      if (axis === -1 || axis === rank - 1) return { ...base, kind: 'bn', layer };
      break;
    }
    case 'Activation':
      return { ...base, kind: 'act', act: actName(cfg.activation), actLayer: layer };
    case 'ReLU':
      if (cfg.maxValue === undefined || cfg.maxValue === null) return { ...base, kind: 'act', act: 'relu', actLayer: layer };
      break;
    case 'ZeroPadding2D': {
      if (!channelsLast) break;
      const p = cfg.padding as number | [number, number] | [[number, number], [number, number]];
      const pads: [[number, number], [number, number]] = typeof p === 'number'
        ? [[p, p], [p, p]]
        : Array.isArray(p[0]) ? [p[0] as [number, number], p[1] as [number, number]] : [[p[0] as number, p[0] as number], [p[1] as number, p[1] as number]];
      return { ...base, kind: 'zeropad', pads };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      if (!channelsLast) break;
      const pool = pair(cfg.poolSize, 2);
      return {
        ...base, kind: cls === 'MaxPooling2D' ? 'maxpool' : 'avgpool', pool,
        strides: cfg.strides == null ? pool : pair(cfg.strides, 1), padding: cfg.padding === 'same' ? 'same' : 'valid',
      };
    }
    case 'GlobalAveragePooling2D':
      if (channelsLast) return { ...base, kind: 'gap' };
      break;
    case 'Concatenate': {
      const rank = (layer.output as tf.SymbolicTensor).shape.length;
      const axis = cfg.axis as number;
      return { ...base, kind: 'concat', axis: axis < 0 ? rank + axis : axis };
    }
    case 'Add':
      return { ...base, kind: 'add' };
    case 'Flatten':
      return { ...base, kind: 'flatten' };
    case 'Dropout':
    case 'SpatialDropout1D':
    case 'SpatialDropout2D':
    case 'GaussianNoise':
    case 'GaussianDropout':
    case 'AlphaDropout':
      return { ...base, kind: 'identity' };
    default:
      break;
  }
  return { ...base, kind: 'generic', layer };
}

/** Topological list of ops from the model's single input to its single output. */
function compileGraph(model: tf.LayersModel): { ops: Op[]; outputId: number } {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw fastGradError('FASTGRAD_MODEL_SHAPE', `fast input gradients expect one input and one output; model "${model.name}" has ${model.inputs.length} inputs and ${model.outputs.length} outputs. Use tf.grad for this model.`);
  }
  const ops: Op[] = [];
  const seen = new Map<number, number>();
  const visit = (st: tf.SymbolicTensor): number => {
    const known = seen.get(st.id);
    if (known !== undefined) return known;
    if ((st.sourceLayer.outboundNodes === undefined) || (st.outputTensorIndex ?? 0) !== 0) {
      throw fastGradError('FASTGRAD_MULTI_OUTPUT_LAYER', `layer "${st.sourceLayer.name}" has several outputs; fast input gradients do not handle that. Use tf.grad for this model.`);
    }
    const inputs = st.inputs.filter((t) => t.id !== st.id).map(visit);
    const id = ops.length;
    const layer = st.sourceLayer;
    if (layer instanceof tf.LayersModel || (layer as unknown as { layers?: unknown }).layers) {
      ops.push({ id, inputs, name: layer.name, kind: 'generic', layer });
    } else {
      ops.push(toOp(layer, id, inputs));
    }
    seen.set(st.id, id);
    return id;
  };
  const outputId = visit(model.outputs[0]);
  const inputOps = ops.filter((o) => o.kind === 'input');
  if (inputOps.length !== 1) throw fastGradError('FASTGRAD_MODEL_SHAPE', `expected one InputLayer on the path to the output of "${model.name}", found ${inputOps.length}.`);
  return { ops, outputId };
}

/** Fuses conv -> BN -> ReLU chains (each link the only consumer of the previous) into the conv. */
function fuse(ops: Op[], outputId: number, foldBatchNorm = true): Op[] {
  const uses = new Map<number, number>();
  for (const o of ops) for (const i of o.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  uses.set(outputId, (uses.get(outputId) ?? 0) + 1);
  const consumer = new Map<number, Op>();
  for (const o of ops) for (const i of o.inputs) consumer.set(i, o);
  const alias = new Map<number, number>();
  const removed = new Set<number>();
  for (const o of ops) {
    if (o.kind !== 'conv' || o.act !== 'linear') continue;
    let tail = o.id;
    let next = uses.get(tail) === 1 && tail !== outputId ? consumer.get(tail) : undefined;
    if (next && next.kind === 'bn' && foldBatchNorm) {
      o.bn = next.layer;
      removed.add(next.id);
      alias.set(next.id, o.id);
      tail = next.id;
      next = uses.get(tail) === 1 && tail !== outputId ? consumer.get(tail) : undefined;
    }
    if (next && next.kind === 'act' && (next.act === 'relu' || next.act === 'relu6')) {
      o.act = next.act;
      removed.add(next.id);
      alias.set(next.id, o.id);
    }
  }
  const resolve = (i: number): number => (alias.has(i) ? resolve(alias.get(i)!) : i);
  return ops.filter((o) => !removed.has(o.id)).map((o) => ({ ...o, inputs: o.inputs.map(resolve) }) as Op);
}

/** A cache entry valid while the weight variables keep their data (assign / setWeights replace it). */
interface Cached<T> { keys: object[]; value: T; release: () => void }

function weightKeys(layer: tf.layers.Layer): object[] {
  return layer.weights.map((w) => (w.read() as unknown as { dataId: object }).dataId);
}

function sameKeys(a: object[], b: object[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

/** BatchNorm in inference as y = x * scale + offset. */
function bnScaleOffset(layer: tf.layers.Layer): { scale: tf.Tensor1D; offset: tf.Tensor1D } {
  const cfg = layer.getConfig() as { epsilon: number; center: boolean; scale: boolean };
  const w = layer.weights.map((v) => v.read());
  let k = 0;
  const gamma = cfg.scale ? w[k++] : null;
  const beta = cfg.center ? w[k++] : null;
  const mean = w[k++];
  const variance = w[k++];
  return tf.tidy(() => {
    let scale = tf.rsqrt(tf.add(variance, cfg.epsilon));
    if (gamma) scale = tf.mul(scale, gamma);
    let offset = tf.neg(tf.mul(mean, scale));
    if (beta) offset = tf.add(offset, beta);
    return { scale: scale as tf.Tensor1D, offset: offset as tf.Tensor1D };
  });
}

interface ConvWeights { filter: tf.Tensor4D; bias: tf.Tensor1D | null; back: PreparedBackpropFilters | null }

function applyAct(act: Act, actLayer: tf.layers.Layer | null, pre: tf.Tensor): tf.Tensor {
  switch (act) {
    case 'linear': return pre;
    case 'relu': return tf.relu(pre);
    case 'relu6': return tf.relu6(pre);
    case 'sigmoid': return tf.sigmoid(pre);
    case 'tanh': return tf.tanh(pre);
    case 'softmax': return tf.softmax(pre);
    case 'elu': return tf.elu(pre);
    default: {
      const a = (actLayer as unknown as { activation: { apply: (t: tf.Tensor) => tf.Tensor } }).activation;
      return a.apply(pre);
    }
  }
}

/** d out / d pre given out (and pre for 'other'). */
function actBackward(act: Act, actLayer: tf.layers.Layer | null, dy: tf.Tensor, out: tf.Tensor, pre: tf.Tensor | null): tf.Tensor {
  switch (act) {
    case 'linear': return dy;
    case 'relu': return reluBackward(dy, out);
    case 'relu6': return tf.mul(dy, tf.mul(tf.step(out), tf.step(tf.sub(6, out))));
    case 'sigmoid': return tf.mul(dy, tf.mul(out, tf.sub(1, out)));
    case 'tanh': return tf.mul(dy, tf.sub(1, tf.square(out)));
    case 'softmax': return tf.mul(out, tf.sub(dy, tf.sum(tf.mul(dy, out), -1, true)));
    case 'elu': return tf.mul(dy, tf.where(tf.greater(out, 0), tf.onesLike(out), tf.add(out, 1)));
    default: return tf.grads((p: tf.Tensor) => applyAct(act, actLayer, p))([pre!], dy)[0];
  }
}

export function createFastGrad(model: tf.LayersModel, target: TargetFn, options: FastGradOptions = {}): FastGrad {
  const { ops: raw, outputId: rawOut } = compileGraph(model);
  const ops = fuse(raw, rawOut, options.foldBatchNorm !== false);
  // The output op comes last in topological order (a fused output stands for the conv it joined).
  const outOp = ops[ops.length - 1];
  const outputId = outOp.id;
  const outAct = outOp.kind === 'dense' || outOp.kind === 'act' || outOp.kind === 'conv' ? outOp.act : 'linear';
  const stripAct = options.logits === true && (outAct === 'sigmoid' || outAct === 'softmax');
  const genericLayers = ops.filter((o) => o.kind === 'generic').map((o) => (o as { layer: tf.layers.Layer }).layer.getClassName());

  const convCache = new Map<number, Cached<ConvWeights>>();
  const bnCache = new Map<number, Cached<{ scale: tf.Tensor1D; offset: tf.Tensor1D }>>();

  const bnOf = (o: Op & { kind: 'bn' }) => {
    const keys = weightKeys(o.layer);
    const c = bnCache.get(o.id);
    if (c && sameKeys(c.keys, keys)) return c.value;
    c?.release();
    const v = bnScaleOffset(o.layer);
    tf.keep(v.scale);
    tf.keep(v.offset);
    bnCache.set(o.id, { keys, value: v, release: () => tf.dispose([v.scale, v.offset]) });
    return v;
  };

  const convOf = (o: Op & { kind: 'conv' }, needBack: boolean): ConvWeights => {
    const keys = [...weightKeys(o.layer), ...(o.bn ? weightKeys(o.bn) : [])];
    const c = convCache.get(o.id);
    if (c && sameKeys(c.keys, keys) && (!needBack || c.value.back)) return c.value;
    c?.release();
    const [filter, bias] = tf.tidy((): tf.Tensor[] => {
      const w = o.layer.weights.map((t) => t.read());
      const useBias = (o.layer.getConfig() as { useBias: boolean }).useBias;
      let f = w[0] as tf.Tensor4D;
      let b = useBias ? (w[1] as tf.Tensor1D) : null;
      if (o.bn) {
        const { scale, offset } = bnScaleOffset(o.bn);
        f = tf.mul(f, scale) as tf.Tensor4D;
        b = (b ? tf.add(tf.mul(b, scale), offset) : offset) as tf.Tensor1D;
      }
      // Own copies: the cache must outlive a reassignment of the variables until its keys change.
      return b ? [f.clone(), b.clone()] : [f.clone()];
    }) as [tf.Tensor4D, tf.Tensor1D | undefined];
    const back = needBack ? prepareBackpropInputFilters(filter, o.strides, o.dilations) : null;
    // Cached across calls: kept out of the caller's tf.tidy.
    tf.keep(filter);
    if (bias) tf.keep(bias);
    back?.filters.forEach((t) => t && tf.keep(t));
    const v: ConvWeights = { filter, bias: bias ?? null, back };
    convCache.set(o.id, { keys, value: v, release: () => { tf.dispose([v.filter, ...(v.bias ? [v.bias] : [])]); if (v.back) disposePrepared(v.back); } });
    return v;
  };

  /** Per op: its output and a backward function from d output to d inputs. */
  type Step = { out: tf.Tensor; back: ((dy: tf.Tensor) => Array<tf.Tensor | null>) | null };

  const forward = (x: tf.Tensor4D, withBack: boolean): Map<number, Step> => {
    const steps = new Map<number, Step>();
    const get = (i: number) => steps.get(i)!.out;
    for (const o of ops) {
      const isOut = o.id === outputId;
      const ins = o.inputs.map(get);
      let step: Step;
      switch (o.kind) {
        case 'input':
          step = { out: x, back: null };
          break;
        case 'conv': {
          const xin = ins[0] as tf.Tensor4D;
          const { filter, bias, back } = convOf(o, withBack);
          const act = isOut && stripAct ? 'linear' : o.act;
          const fusedAct = act === 'relu' || act === 'relu6' || act === 'linear' ? act : 'linear';
          const pre = tf.fused.conv2d({ x: xin, filter, strides: o.strides, pad: o.padding, dilations: o.dilations, bias: bias ?? undefined, activation: fusedAct });
          const out = fusedAct === act ? pre : applyAct(act, o.actLayer, pre);
          const geom = backpropInputGeometry(xin.shape, filter.shape, o.strides, o.padding, o.dilations);
          step = {
            out,
            back: (dy) => {
              const dpre = act === 'linear' ? dy : actBackward(act, o.actLayer, dy, out, pre);
              return [conv2dBackpropInputPrepared(dpre as tf.Tensor4D, back!, geom)];
            },
          };
          break;
        }
        case 'dense': {
          const xin = ins[0];
          const w = o.layer.weights.map((t) => t.read());
          const useBias = (o.layer.getConfig() as { useBias: boolean }).useBias;
          const kernel = w[0] as tf.Tensor2D;
          let pre: tf.Tensor = xin.rank === 2 ? tf.matMul(xin as tf.Tensor2D, kernel) : tf.dot(xin, kernel);
          if (useBias) pre = tf.add(pre, w[1]);
          const act = isOut && stripAct ? 'linear' : o.act;
          const out = applyAct(act, o.layer, pre);
          step = {
            out,
            back: (dy) => {
              const dpre = actBackward(act, o.layer, dy, out, pre);
              const d2 = dpre.reshape([-1, kernel.shape[1]]) as tf.Tensor2D;
              return [tf.matMul(d2, kernel, false, true).reshape(xin.shape)];
            },
          };
          break;
        }
        case 'bn': {
          const { scale, offset } = bnOf(o);
          const out = tf.add(tf.mul(ins[0], scale), offset);
          step = { out, back: (dy) => [tf.mul(dy, scale)] };
          break;
        }
        case 'act': {
          const act = isOut && stripAct ? 'linear' : o.act;
          const out = applyAct(act, o.actLayer, ins[0]);
          step = { out, back: (dy) => [actBackward(act, o.actLayer, dy, out, ins[0])] };
          break;
        }
        case 'zeropad': {
          const [[t, b], [l, r]] = o.pads;
          const xin = ins[0] as tf.Tensor4D;
          step = {
            out: tf.pad(xin, [[0, 0], [t, b], [l, r], [0, 0]]),
            back: (dy) => [cropSpatial(dy as tf.Tensor4D, t, l, xin.shape[1], xin.shape[2])],
          };
          break;
        }
        case 'maxpool': {
          const xin = ins[0] as tf.Tensor4D;
          const y = tf.maxPool(xin, o.pool, o.strides, o.padding);
          step = {
            out: y,
            back: (dy) => [fusedMaxPoolBackward()
              ? maxPoolBackwardFused(dy as tf.Tensor4D, xin, o.pool, o.strides, o.padding)
              : maxPoolBackprop(dy as tf.Tensor4D, xin, y, null, o.pool, o.strides, o.padding)],
          };
          break;
        }
        case 'avgpool': {
          const xin = ins[0] as tf.Tensor4D;
          step = {
            out: tf.avgPool(xin, o.pool, o.strides, o.padding),
            back: (dy) => [avgPoolBackprop(dy as tf.Tensor4D, xin, o.pool, o.strides, o.padding)],
          };
          break;
        }
        case 'gap': {
          const xin = ins[0] as tf.Tensor4D;
          const [n, h, w, c] = xin.shape;
          step = {
            out: tf.mean(xin, [1, 2]),
            back: (dy) => [tf.broadcastTo(tf.mul(dy, 1 / (h * w)).reshape([n, 1, 1, c]), [n, h, w, c])],
          };
          break;
        }
        case 'concat': {
          const sizes = ins.map((t) => t.shape[o.axis]);
          step = {
            out: tf.concat(ins, o.axis),
            back: (dy) => splitAxis(dy, sizes, o.axis),
          };
          break;
        }
        case 'add':
          step = { out: tf.addN(ins), back: (dy) => ins.map(() => dy) };
          break;
        case 'flatten': {
          const shape = ins[0].shape;
          step = { out: ins[0].reshape([shape[0], -1]), back: (dy) => [dy.reshape(shape)] };
          break;
        }
        case 'identity':
          step = { out: ins[0], back: (dy) => [dy] };
          break;
        case 'generic': {
          const layer = o.layer;
          const call = (...a: tf.Tensor[]) => layer.apply(a.length === 1 ? a[0] : a) as tf.Tensor;
          step = { out: call(...ins), back: (dy) => tf.grads(call)(ins, dy) };
          break;
        }
      }
      steps.set(o.id, step);
      options.trace?.forward?.(o.name, step.out);
    }
    return steps;
  };

  const run = (x: tf.Tensor4D): { value: tf.Tensor1D; grad: tf.Tensor4D } => {
    if (x.rank !== 4) throw fastGradError('FASTGRAD_INPUT_RANK', `inputGradients expects a 4-D batch [N, H, W, C]; got shape [${x.shape}].`);
    return tf.tidy(() => {
      const steps = forward(x, true);
      const out = steps.get(outputId)!.out;
      const targetValues = target(out);
      const dOut = tf.grad((o: tf.Tensor) => tf.sum(target(o)))(out);
      // Backward in reverse topological order (opgraph.ts); gradients are summed where a tensor has several consumers.
      const inputOp = ops.find((o) => o.kind === 'input')!;
      const nodes: Array<BackwardNode<number>> = ops.filter((o) => o.kind !== 'input').map((o) => ({ output: o.id, inputs: o.inputs, back: steps.get(o.id)!.back! }));
      const onGradient = options.trace?.backward ? (id: number, g: tf.Tensor) => options.trace!.backward!(ops.find((o) => o.id === id)!.name, g) : undefined;
      const gx = backpropagate(nodes, { value: outputId, grad: dOut }, inputOp.id, onGradient) ?? tf.zerosLike(x);
      return { value: targetValues, grad: (gx === x ? gx.clone() : gx) as tf.Tensor4D };
    });
  };

  return {
    genericLayers,
    inputGradients: (x) => {
      const r = run(x);
      r.value.dispose();
      return r.grad;
    },
    valueAndGradients: run,
    predict: (x) => tf.tidy(() => forward(x, false).get(outputId)!.out),
    dispose: () => {
      for (const c of convCache.values()) c.release();
      for (const c of bnCache.values()) c.release();
      convCache.clear();
      bnCache.clear();
    },
  };
}

/** (x) => d sum(target(model(x))) / d x, with `dispose` for the prepared filters and `fast` for the rest. */
export type InputGradientFn = ((x: tf.Tensor4D) => tf.Tensor4D) & { dispose(): void; fast: FastGrad };

/**
 * The simple form for the probe: no weight gradient is ever computed. The filters it prepares
 * follow weight changes (setWeights, cascading randomization) by themselves; call `dispose()`
 * when the model is dropped.
 */
export function createInputGradientFn(model: tf.LayersModel, target: TargetFn, options: FastGradOptions = {}): InputGradientFn {
  const fg = createFastGrad(model, target, options);
  return Object.assign((x: tf.Tensor4D) => fg.inputGradients(x), { dispose: () => fg.dispose(), fast: fg });
}
