import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../manifest';
import { decodeOnnx, type ExternalDataLookup, type OnnxModelProto, type OnnxNode } from './decode';
import { OnnxOpError, SUPPORTED_OPS, opOf, tensorFromOnnx, type OpContext } from './ops';
import { logicalShape, physical, tensorValue, type Value } from './values';
import { onnxBackward } from './backward';
import { backpropagate, genericBackward, type BackwardNode } from '../opgraph';

/**
 * An ONNX graph lowered onto TF.js: initializers become TF.js tensors (integer ones stay on the
 * host), nodes whose inputs are all constant are folded once at load (Constant, Cast, Shape-free
 * arithmetic on weights...), and the rest runs eagerly, node by node, from any set of fed values
 * (the image, or the activations at a cut for Grad-CAM's head) to the wanted ones. Every TF.js op it
 * uses is differentiable, so tf.grad works through `execute`.
 *
 * The Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains torch.onnx.export writes (x.view(x.size(0), -1))
 * compute on small host integer arrays (values.ts): no TF.js tensor, no gradient, no device sync.
 * Their only unknown at load is the batch size, so they are evaluated (microseconds) when the graph runs.
 */

export const MIN_OPSET = 11;
export const MAX_OPSET = 18;

export interface OnnxValueShape {
  /** ONNX (logical) shape, for batch 1. */
  shape: number[];
  /** The node that writes the value. */
  node: string;
  op: string;
}

export class OnnxGraph {
  readonly opset: number;
  readonly producer: string;
  readonly nodes: OnnxNode[];
  readonly inputName: string;
  /** The image input's declared ONNX shape [N, C, H, W] (null: symbolic or unknown). */
  readonly inputDims: Array<number | null>;
  readonly outputNames: string[];
  readonly externalFiles: string[];
  /** Value name -> index of the node that writes it. */
  private readonly producerIndex = new Map<string, number>();
  /** Initializers and folded values. */
  private readonly constants = new Map<string, Value>();
  /** Float initializers as loaded (for re-initialisation). */
  private readonly initializerNames: Set<string>;
  private readonly cache = new Map<string, tf.Tensor>();
  private readonly objects = new Map<string, { value: unknown; free: (v: unknown) => void }>();
  private readonly plans = new Map<string, number[]>();
  private shapes: Map<string, OnnxValueShape> | null = null;

  constructor(readonly proto: OnnxModelProto, readonly where: string) {
    this.opset = proto.opset;
    this.producer = proto.producer;
    this.nodes = proto.nodes;
    this.externalFiles = proto.externalFiles;
    if (proto.opset < MIN_OPSET || proto.opset > MAX_OPSET) {
      throw new ModelError('BAD_INPUT_ONNX_OPSET', `${where}: the model uses ONNX opset ${proto.opset}; the importer reads opsets ${MIN_OPSET} to ${MAX_OPSET} (export with torch.onnx.export(..., opset_version=13) or up to ${MAX_OPSET})`);
    }
    for (const n of proto.nodes) {
      if ((n.domain && n.domain !== 'ai.onnx') || !opOf(n.opType)) {
        const op = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
        throw new ModelError('BAD_INPUT_ONNX_OP', `${where}: node "${n.name}" uses op ${op} (opset ${proto.opset}), which the importer does not support; supported ops: ${SUPPORTED_OPS.join(', ')}`);
      }
    }
    if (proto.inputs.length !== 1) {
      throw new ModelError('BAD_INPUT_MODEL_SHAPE', `${where}: the graph has ${proto.inputs.length} inputs (${proto.inputs.map((i) => i.name).join(', ')}); one image input [N, C, H, W] is expected`);
    }
    const input = proto.inputs[0];
    if (input.shape && input.shape.length !== 4) {
      throw new ModelError('BAD_INPUT_MODEL_SHAPE', `${where}: the graph input "${input.name}" has rank ${input.shape.length}; an image input [N, C, H, W] is expected`);
    }
    this.inputName = input.name;
    this.inputDims = input.shape ?? [null, null, null, null];
    this.outputNames = proto.outputs.map((o) => o.name);
    proto.nodes.forEach((n, i) => n.outputs.forEach((o) => o && this.producerIndex.set(o, i)));
    for (const [name, t] of proto.initializers) this.constants.set(name, keepValue(tensorFromOnnx(t)));
    this.initializerNames = new Set(proto.initializers.keys());
    this.foldConstants();
  }

  /** Runs, once, every node whose inputs are all constants; their outputs become constants. */
  private foldConstants(): void {
    const fed = new Set([this.inputName]);
    this.nodes.forEach((n, i) => {
      if (n.inputs.some((x) => x && (fed.has(x) || !this.constants.has(x)))) return;
      if (n.opType === 'Shape' || n.opType === 'Dropout') return;
      const outs = tf.tidy(() => {
        const vs = this.runNode(i, n.inputs.map((x) => (x ? this.constants.get(x) : undefined)));
        vs.forEach((v) => v.kind === 'tensor' && tf.keep(v.t));
        return vs;
      });
      n.outputs.forEach((o, k) => o && outs[k] && this.constants.set(o, outs[k]));
    });
  }

  isConstant(name: string): boolean {
    return this.constants.has(name);
  }

  /** The node that writes a value (undefined for the input and initializers). */
  producerOf(name: string): OnnxNode | undefined {
    const i = this.producerIndex.get(name);
    return i === undefined ? undefined : this.nodes[i];
  }

  /** Float initializer names with their shapes (weights). */
  weightNames(): string[] {
    return [...this.initializerNames].filter((n) => this.constants.get(n)?.kind === 'tensor');
  }

  getWeight(name: string): tf.Tensor {
    const v = this.constants.get(name);
    if (!v || v.kind !== 'tensor') throw new ModelError('BAD_INPUT_LAYER', `${this.where}: no float initializer named "${name}"`);
    return v.t;
  }

  /** Replaces an initializer's tensor (the graph takes ownership; the old one is disposed). Clears prepared filters. */
  setWeight(name: string, t: tf.Tensor): void {
    const old = this.getWeight(name);
    if (old.shape.join() !== t.shape.join()) throw new ModelError('BAD_INPUT_LAYER', `${this.where}: weight "${name}" has shape [${old.shape.join(', ')}], not [${t.shape.join(', ')}]`);
    this.constants.set(name, tensorValue(tf.keep(t)));
    old.dispose();
    this.clearCaches();
  }

  private clearCaches(): void {
    for (const c of this.cache.values()) c.dispose();
    this.cache.clear();
    for (const o of this.objects.values()) o.free(o.value);
    this.objects.clear();
  }

  private contextOf(index: number): OpContext {
    const node = this.nodes[index];
    return {
      node,
      opset: this.opset,
      isConst: (i) => !!node.inputs[i] && this.constants.has(node.inputs[i]),
      cached: (key, make) => {
        const k = `${index}:${key}`;
        let t = this.cache.get(k);
        if (!t) {
          t = tf.keep(make().clone());
          this.cache.set(k, t);
        }
        return t;
      },
      cachedObject: <T>(key: string, make: () => T, free: (t: T) => void): T => {
        const k = `${index}:${key}`;
        let o = this.objects.get(k);
        if (!o) {
          o = { value: make(), free: free as (v: unknown) => void };
          this.objects.set(k, o);
        }
        return o.value as T;
      },
    };
  }

  private runNode(index: number, ins: Array<Value | undefined>): Value[] {
    const node = this.nodes[index];
    const ctx = this.contextOf(index);
    try {
      return opOf(node.opType)!(ins, ctx);
    } catch (e) {
      if (e instanceof ModelError) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      throw new ModelError(
        e instanceof OnnxOpError ? 'BAD_INPUT_ONNX_NODE' : 'ONNX_NODE_FAILED',
        `${this.where}: node "${node.name}" (op ${node.opType}, opset ${this.opset}) ${e instanceof OnnxOpError ? 'is not supported as written' : 'failed'}: ${msg}`,
      );
    }
  }

  /** Nodes to run, in graph order, to get `wanted` from the fed names and the constants. */
  private plan(fed: string[], wanted: string[]): number[] {
    const key = `${[...fed].sort().join('\u0000')}\u0001${wanted.join('\u0000')}`;
    const hit = this.plans.get(key);
    if (hit) return hit;
    const fedSet = new Set(fed);
    const need = new Set<number>();
    const stack = [...wanted];
    const seen = new Set<string>();
    while (stack.length) {
      const name = stack.pop()!;
      if (!name || seen.has(name) || fedSet.has(name) || this.constants.has(name)) continue;
      seen.add(name);
      const i = this.producerIndex.get(name);
      if (i === undefined) {
        throw new ModelError('MODEL_GRAPH_UNFED', `${this.where}: value "${name}" is needed but neither fed nor computed by any node${name === this.inputName ? ' (the image input)' : ''}`);
      }
      if (need.has(i)) continue;
      need.add(i);
      stack.push(...this.nodes[i].inputs);
    }
    const order = [...need].sort((a, b) => a - b);
    this.plans.set(key, order);
    return order;
  }

  /**
   * Runs the graph from `feed` (value name -> value; the image input channels-last) to `wanted`.
   * Call inside tf.tidy: intermediates are not disposed here.
   */
  execute(feed: Map<string, Value>, wanted: string[]): Value[] {
    const memo = new Map<string, Value>(feed);
    const get = (name: string): Value | undefined => (name ? memo.get(name) ?? this.constants.get(name) : undefined);
    for (const i of this.plan([...feed.keys()], wanted)) {
      const n = this.nodes[i];
      const outs = this.runNode(i, n.inputs.map(get));
      n.outputs.forEach((o, k) => o && outs[k] && memo.set(o, outs[k]));
    }
    return wanted.map((w) => {
      const v = get(w);
      if (!v) throw new ModelError('MODEL_GRAPH_UNFED', `${this.where}: value "${w}" was not computed`);
      return v;
    });
  }

  /** The image [N, H, W, C] through the graph to `wanted`, each as its ONNX (logical) tensor. Inside tf.tidy. */
  run(x: tf.Tensor, wanted: string[]): Value[] {
    return this.execute(new Map([[this.inputName, tensorValue(x, true)]]), wanted);
  }

  /**
   * The target's values and the gradient of their sum with respect to the fed value `from`, by the
   * op-graph backward pass (../opgraph.ts): the plan from `feed` to `wanted` runs forward with each
   * node's own op (values exactly as `execute` gives them); every node on a path from `from` gets
   * its hand-written input-only backward (backward.ts) or, for the others, tf.grads of that node
   * alone. The gradient is of the fed tensor as stored (channels-last for the image). Inside tf.tidy.
   */
  valueAndGradient(feed: Map<string, Value>, from: string, wanted: string, target: (v: Value) => tf.Tensor1D): { value: tf.Tensor1D; grad: tf.Tensor } {
    const memo = new Map<string, Value>(feed);
    const get = (name: string): Value | undefined => (name ? memo.get(name) ?? this.constants.get(name) : undefined);
    const onPath = new Set([from]);
    const nodes: Array<BackwardNode<string>> = [];
    const concats = new Map<string, { value: string; channels: number }>();
    for (const i of this.plan([...feed.keys()], [wanted])) {
      const n = this.nodes[i];
      const ins = n.inputs.map(get);
      const diff = n.inputs.map((name, j) => !!name && onPath.has(name) && ins[j]?.kind === 'tensor');
      const outs = this.runNode(i, ins);
      n.outputs.forEach((o, k) => o && outs[k] && memo.set(o, outs[k]));
      const out = outs[0];
      if (!diff.some(Boolean) || !out || out.kind !== 'tensor' || !n.outputs[0]) continue;
      onPath.add(n.outputs[0]);
      const fast = onnxBackward(n.opType)?.(ins, out, this.contextOf(i), diff) ?? null;
      const idx = diff.flatMap((d, j) => (d ? [j] : []));
      let back: (dy: tf.Tensor) => Array<tf.Tensor | null>;
      if (fast) {
        back = (dy) => {
          const all = fast(dy);
          return idx.map((j) => all[j]);
        };
      } else {
        const f = (...ts: tf.Tensor[]): tf.Tensor => {
          const again = this.runNode(i, ins.map((v, j) => {
            const k = idx.indexOf(j);
            return k < 0 ? v : tensorValue(ts[k], (v as { nhwc: boolean }).nhwc);
          }))[0];
          return (again as { t: tf.Tensor }).t;
        };
        back = genericBackward(f, idx.map((j) => (ins[j] as { t: tf.Tensor }).t), out.t);
      }
      let inputs = idx.map((j) => n.inputs[j]);
      if (fast && n.opType === 'Concat' && idx.length === n.inputs.length && out.nhwc && (n.attrs.axis === 1 || n.attrs.axis === -3)) {
        // torchvision's DenseNet concatenates all earlier features at every layer: Concat(f0..fi)
        // after Concat(f0..fi-1). Read as Concat(the earlier concat, fi), its backward is one
        // two-way split whose first part flows into the earlier concat's gradient (equal values:
        // concatenation is associative), instead of i slices each added to its feature's gradient.
        for (let k = n.inputs.length - 1; k >= 2; k--) {
          const prev = concats.get(n.inputs.slice(0, k).join('\u0000'));
          if (!prev) continue;
          const rest = n.inputs.slice(k);
          const sizes = [prev.channels, ...rest.map((r) => (get(r) as { t: tf.Tensor }).t.shape[3] as number)];
          inputs = [prev.value, ...rest];
          back = (dy) => tf.split(dy, sizes, 3);
          break;
        }
        concats.set(n.inputs.join('\u0000'), { value: n.outputs[0], channels: out.t.shape[3] as number });
      }
      nodes.push({ output: n.outputs[0], inputs, back });
    }
    const v = get(wanted);
    if (!v || v.kind !== 'tensor') throw new ModelError('MODEL_GRAPH_UNFED', `${this.where}: value "${wanted}" was not computed as a tensor`);
    const fed = feed.get(from);
    if (!fed || fed.kind !== 'tensor') throw new ModelError('MODEL_GRAPH_UNFED', `${this.where}: value "${from}" is not fed as a tensor`);
    const nhwc = v.nhwc;
    const value = target(v);
    const seed = tf.grad((t: tf.Tensor) => target(tensorValue(t, nhwc)).sum())(v.t);
    const grad = (onPath.has(wanted) ? backpropagate(nodes, { value: wanted, grad: seed }, from) : null) ?? tf.zerosLike(fed.t);
    return { value, grad: grad === fed.t ? grad.clone() : grad };
  }

  /** Every value's ONNX shape for a batch of one, from one run on zeros (cached). */
  valueShapes(height: number, width: number, channels: number): Map<string, OnnxValueShape> {
    if (this.shapes) return this.shapes;
    const out = new Map<string, OnnxValueShape>();
    const wanted = this.nodes.flatMap((n) => n.outputs.filter((o) => o && !this.constants.has(o)));
    tf.tidy(() => {
      const vs = this.run(tf.zeros([1, height, width, channels]), wanted);
      wanted.forEach((w, i) => {
        const n = this.producerOf(w)!;
        out.set(w, { shape: logicalShape(vs[i]), node: n.name, op: n.opType });
      });
    });
    this.shapes = out;
    return out;
  }

  /** A value as channels-last [N, h, w, k] (Grad-CAM's activations). Inside tf.tidy. */
  static channelsLast(v: Value, what: string): tf.Tensor4D {
    return physical(v, what);
  }

  dispose(): void {
    this.clearCaches();
    for (const v of this.constants.values()) if (v.kind === 'tensor') v.t.dispose();
    this.constants.clear();
  }
}

function keepValue(v: Value): Value {
  if (v.kind === 'tensor') tf.keep(v.t);
  return v;
}

/** Decodes and lowers an ONNX model file. */
export function importOnnx(bytes: Uint8Array, where: string, external?: ExternalDataLookup): OnnxGraph {
  return new OnnxGraph(decodeOnnx(bytes, where, external), where);
}
