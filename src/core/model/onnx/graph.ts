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

/**
 * A run's nodes in graph order; the Conv nodes that run fused with their Relu (conv index -> relu
 * index; the relu is not in `order`); and the nodes that read other inputs than the graph says
 * (node index -> input names: a Concat that extends an earlier one).
 */
interface Plan { order: number[]; fused: Map<number, number>; inputs: Map<number, string[]> }

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
  private readonly plans = new Map<string, Plan>();
  /**
   * Conv node index -> the Relu node that is its output's only consumer (the conv output is no
   * graph output). Where a run needs the Relu and not the conv output itself, the pair runs as one
   * fused kernel (bias and ReLU in the convolution's output pass, as the Keras models' fastgrad
   * runs conv -> BN -> ReLU), and its backward is one fused ReLU mask and one transposed convolution.
   */
  private readonly reluAfterConv = new Map<number, number>();
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
    const consumers = new Map<string, number[]>();
    proto.nodes.forEach((n, i) => n.inputs.forEach((x) => x && consumers.set(x, [...(consumers.get(x) ?? []), i])));
    const outputs = new Set(this.outputNames);
    proto.nodes.forEach((n, i) => {
      const y = n.outputs[0];
      if (n.opType !== 'Conv' || !y || outputs.has(y) || this.constants.has(y) || n.outputs.length !== 1) return;
      const users = consumers.get(y) ?? [];
      const r = users.length === 1 ? this.nodes[users[0]] : null;
      if (r && r.opType === 'Relu' && r.inputs[0] === y && r.outputs[0]) this.reluAfterConv.set(i, users[0]);
    });
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

  private contextOf(index: number, fuse?: 'relu'): OpContext {
    const node = this.nodes[index];
    return {
      node,
      opset: this.opset,
      fuse,
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

  private runNode(index: number, ins: Array<Value | undefined>, fuse?: 'relu'): Value[] {
    const node = this.nodes[index];
    const ctx = this.contextOf(index, fuse);
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

  /**
   * Nodes to run, in graph order, to get `wanted` from the fed names and the constants; the
   * Conv -> Relu pairs among them that run fused (the conv output is neither wanted nor fed); and
   * the Concat nodes that extend an earlier concat of the run.
   */
  private plan(fed: string[], wanted: string[]): Plan {
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
    const fused = new Map<number, number>();
    const wantedSet = new Set(wanted);
    for (const i of need) {
      const r = this.reluAfterConv.get(i);
      if (r !== undefined && need.has(r) && !wantedSet.has(this.nodes[i].outputs[0])) fused.set(i, r);
    }
    const skipped = new Set(fused.values());
    const order = [...need].filter((i) => !skipped.has(i)).sort((a, b) => a - b);
    // torchvision's DenseNet concatenates all earlier features at every layer: Concat(f0..fi) after
    // Concat(f0..fi-1) on the same axis. Run as Concat(the earlier concat, fi) it is equal
    // (concatenation is associative) and cheaper both ways: the forward copies two blocks per row,
    // not i + 1 small ones, and the backward is one two-way split whose first part flows into the
    // earlier concat's gradient, instead of i + 1 slices each added to its feature's gradient.
    const inputs = new Map<number, string[]>();
    const concats = new Map<string, number>();
    for (const i of order) {
      const n = this.nodes[i];
      if (n.opType !== 'Concat' || !n.outputs[0] || n.inputs.some((x) => !x)) continue;
      for (let k = n.inputs.length - 1; k >= 2; k--) {
        const j = concats.get(n.inputs.slice(0, k).join('\u0000'));
        if (j === undefined || this.nodes[j].attrs.axis !== n.attrs.axis) continue;
        inputs.set(i, [this.nodes[j].outputs[0], ...n.inputs.slice(k)]);
        break;
      }
      concats.set(n.inputs.join('\u0000'), i);
    }
    const p = { order, fused, inputs };
    this.plans.set(key, p);
    return p;
  }

  /** Runs node i of a plan (fused with its Relu when the plan says so); its outputs go into `memo`. */
  private step(p: Plan, i: number, ins: Array<Value | undefined>, memo: Map<string, Value>): { outs: Value[]; outName: string; fuse?: 'relu' } {
    const n = this.nodes[i];
    const r = p.fused.get(i);
    if (r !== undefined) {
      const outs = this.runNode(i, ins, 'relu');
      const outName = this.nodes[r].outputs[0];
      memo.set(outName, outs[0]);
      return { outs, outName, fuse: 'relu' };
    }
    const outs = this.runNode(i, ins);
    n.outputs.forEach((o, k) => o && outs[k] && memo.set(o, outs[k]));
    return { outs, outName: n.outputs[0] };
  }

  /**
   * Runs the graph from `feed` (value name -> value; the image input channels-last) to `wanted`.
   * Call inside tf.tidy: intermediates are not disposed here.
   */
  execute(feed: Map<string, Value>, wanted: string[]): Value[] {
    const memo = new Map<string, Value>(feed);
    const get = (name: string): Value | undefined => (name ? memo.get(name) ?? this.constants.get(name) : undefined);
    const p = this.plan([...feed.keys()], wanted);
    for (const i of p.order) this.step(p, i, (p.inputs.get(i) ?? this.nodes[i].inputs).map(get), memo);
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
    const p = this.plan([...feed.keys()], [wanted]);
    for (const i of p.order) {
      const n = this.nodes[i];
      const names = p.inputs.get(i) ?? n.inputs;
      const ins = names.map(get);
      const diff = names.map((name, j) => !!name && onPath.has(name) && ins[j]?.kind === 'tensor');
      const { outs, outName, fuse } = this.step(p, i, ins, memo);
      const out = outs[0];
      if (!diff.some(Boolean) || !out || out.kind !== 'tensor' || !outName) continue;
      onPath.add(outName);
      const fast = onnxBackward(n.opType)?.(ins, out, this.contextOf(i, fuse), diff) ?? null;
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
          }), fuse)[0];
          return (again as { t: tf.Tensor }).t;
        };
        back = genericBackward(f, idx.map((j) => (ins[j] as { t: tf.Tensor }).t), out.t);
      }
      nodes.push({ output: outName, inputs: idx.map((j) => names[j]), back });
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
