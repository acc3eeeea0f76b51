import * as tf from '@tensorflow/tfjs';
import type { ModelProbe } from '../saliency/types';
import { ModelError, type ModelManifest } from './manifest';
import { createFastGrad, type FastGrad } from './fastgrad';

/**
 * The TF.js adapter of ModelProbe (DESIGN principle 2) for a LayersModel.
 *
 * The model's symbolic graph is executed eagerly, layer by layer (`layer.apply` on concrete
 * tensors), from a "feed" of known tensors to a wanted tensor. The same executor serves the whole
 * model (feed: the input) and the head above a cut (feed: the activations at a named layer), so
 * Grad-CAM's head is the model's own layers re-applied, never a copy.
 *
 * Target: the abnormal logit by default. For a sigmoid or softmax output the logit is the
 * pre-activation: the input of a final Activation layer, or the last Dense layer's kernel and bias
 * re-applied to that layer's input. `target: 'probability'` takes the model's output (a logit output:
 * its sigmoid for one unit, softmax for several).
 */

export interface TfProbeOptions {
  target?: 'logit' | 'probability';
  /** Largest batch per model call. Default: by backend and input size (see defaultMaxBatch). */
  maxBatch?: number;
  /**
   * Input gradients through the fast path (src/core/model/fastgrad.ts: a backward pass that never
   * computes weight gradients; 7-13x faster on wasm). Default true; false uses tf.grad.
   */
  fastGradients?: boolean;
}

export interface TfProbe extends ModelProbe {
  readonly targetKind: 'logit' | 'probability';
  /** The layer Grad-CAM cuts at by default. */
  readonly defaultLayer: string;
  /** Lowers (or raises) the batch size, for example after an out-of-memory error. */
  setMaxBatch(n: number): void;
  /** Releases the probe's own tensors (never the model's). */
  dispose(): void;
}

type Sym = tf.SymbolicTensor;
interface LayerNode { inputTensors: Sym[]; outputTensors: Sym[]; callArgs?: Record<string, unknown> }
type GraphLayer = tf.layers.Layer & { inboundNodes: LayerNode[] };

/**
 * Default batch sizes: small on cpu, larger on GPU backends; scaled down for big inputs (reference
 * 128x128). wasm: input-gradient images per second rise with the batch up to 4-8 and then stay flat
 * (bench/batchSweep.ts: small CNN 224x224x3 and densenet-compact 128x128), so wasm scales by the
 * fourth root of the size (4 at 224x224x3, was 2), which keeps big models' memory in bounds.
 */
export function defaultMaxBatch(backend: string, inputShape: readonly number[]): number {
  const base = backend === 'webgpu' ? 32 : backend === 'webgl' ? 16 : backend === 'wasm' ? 8 : 4;
  const pixels = inputShape[0] * inputShape[1] * Math.max(1, inputShape[2] ?? 1);
  const scale = Math.max(1, Math.floor(pixels / (128 * 128)));
  return Math.max(1, Math.floor(base / (backend === 'wasm' ? Math.pow(scale, 0.25) : Math.sqrt(scale))));
}

/** Column `index` of a model output ([N] or [N, ...]), one value per example. Inside tf.tidy. */
export function outputColumn(t: tf.Tensor, index: number): tf.Tensor1D {
  const t2 = t.rank === 1 ? t.reshape([-1, 1]) : t.reshape([t.shape[0], -1]);
  return t2.slice([0, index], [-1, 1]).reshape([-1]) as tf.Tensor1D;
}

/** What both TF.js adapters share: the batch size (adjustable after an out-of-memory error) and the input-shape check. */
export function probeBatching(where: string, shape: readonly [number, number, number], requested?: number) {
  const [height, width, channels] = shape;
  let maxBatch = Math.max(1, Math.floor(requested ?? defaultMaxBatch(tf.getBackend() ?? 'cpu', shape)));
  return {
    get maxBatch() {
      return maxBatch;
    },
    setMaxBatch(n: number) {
      maxBatch = Math.max(1, Math.floor(n));
    },
    check(x: tf.Tensor4D, what: string) {
      const [, h, w, c] = x.shape;
      if (x.rank !== 4 || h !== height || w !== width || c !== channels) {
        throw new ModelError('BAD_INPUT_SHAPE', `${where}: ${what} got a batch of shape [${x.shape.join(', ')}]; [N, ${height}, ${width}, ${channels}] is expected`);
      }
    },
  };
}

function activationName(layer: tf.layers.Layer): string | null {
  const a = (layer.getConfig() as { activation?: unknown }).activation;
  return typeof a === 'string' ? a : null;
}

/** The node of `t` in its source layer. */
function nodeOf(t: Sym): LayerNode {
  const layer = t.sourceLayer as GraphLayer;
  return layer.inboundNodes[t.nodeIndex];
}

function isInputLayer(layer: tf.layers.Layer): boolean {
  return layer.getClassName() === 'InputLayer';
}

/** Every symbolic tensor `want` depends on stops at `stop` (ids); returns the first model input reached otherwise. */
function reachesInputPast(want: Sym, stop: Set<number>): Sym | null {
  const seen = new Set<number>();
  const stack = [want];
  while (stack.length) {
    const t = stack.pop()!;
    if (stop.has(t.id) || seen.has(t.id)) continue;
    seen.add(t.id);
    if (isInputLayer(t.sourceLayer)) return t;
    stack.push(...nodeOf(t).inputTensors);
  }
  return null;
}

/** Executes the graph eagerly from the fed tensors to `want`. Call inside tf.tidy (intermediates are not disposed here). */
function executeGraph(feed: Map<number, tf.Tensor>, want: Sym): tf.Tensor {
  const memo = new Map(feed);
  const visit = (t: Sym): tf.Tensor => {
    const known = memo.get(t.id);
    if (known) return known;
    const layer = t.sourceLayer as GraphLayer;
    if (isInputLayer(layer)) {
      throw new ModelError('MODEL_GRAPH_UNFED', `the model graph needs input ${t.name}, which was not given`);
    }
    const node = layer.inboundNodes[t.nodeIndex];
    const ins = node.inputTensors.map(visit);
    const out = layer.apply(ins.length === 1 ? ins[0] : ins, { ...(node.callArgs ?? {}), training: false }) as tf.Tensor | tf.Tensor[];
    const outs = Array.isArray(out) ? out : [out];
    node.outputTensors.forEach((o, i) => memo.set(o.id, outs[i]));
    return memo.get(t.id)!;
  };
  return visit(want);
}

export function createTfProbe(model: tf.LayersModel, manifest: ModelManifest, opts: TfProbeOptions = {}): TfProbe {
  const where = `model "${manifest.id}"`;
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ModelError('BAD_INPUT_MODEL_SHAPE', `${where}: ${model.inputs.length} inputs and ${model.outputs.length} outputs; one image input and one output are expected`);
  }
  const input = model.inputs[0];
  const output = model.outputs[0];
  const { height, width, channels } = manifest.input;
  const inputShape = [height, width, channels] as const;
  const targetKind = opts.target ?? 'logit';
  const index = manifest.output.index;
  const outLayer = output.sourceLayer;
  const outAct = activationName(outLayer);
  const outClass = outLayer.getClassName();

  // The symbolic tensor the target is read from, and how: column `index`, possibly after the last Dense.
  let targetSym: Sym = output;
  let fromTargetSym: (t: tf.Tensor) => tf.Tensor1D;
  const column = (t: tf.Tensor): tf.Tensor1D => outputColumn(t, index);
  const units = output.shape[output.shape.length - 1] ?? 1;
  if (targetKind === 'probability') {
    if (manifest.output.kind === 'logit') {
      fromTargetSym = (t) => (units > 1 ? column(tf.softmax(t.reshape([t.shape[0], -1]))) : tf.sigmoid(column(t)));
    } else {
      fromTargetSym = column;
    }
  } else if (manifest.output.kind === 'logit') {
    fromTargetSym = column;
  } else {
    const kind = manifest.output.kind;
    if (outClass === 'Activation' && outAct === kind) {
      targetSym = nodeOf(output).inputTensors[0];
      fromTargetSym = column;
    } else if (outClass === 'Dense' && (outAct === 'sigmoid' || outAct === 'softmax')) {
      targetSym = nodeOf(output).inputTensors[0];
      const dense = outLayer;
      const useBias = (dense.getConfig() as { useBias?: boolean }).useBias !== false;
      fromTargetSym = (h) => {
        const [kernel, bias] = dense.getWeights();
        const k = kernel.slice([0, index], [-1, 1]);
        let z = tf.matMul(h.reshape([h.shape[0], -1]) as tf.Tensor2D, k as tf.Tensor2D).reshape([-1]);
        if (useBias && bias) z = z.add(bias.slice([index], [1]));
        return z as tf.Tensor1D;
      };
    } else {
      throw new ModelError(
        'BAD_INPUT_NO_LOGIT',
        `${where}: manifest.json says the output is ${kind}, but the last layer "${outLayer.name}" is a ${outClass} with activation ${outAct ?? 'none'}; ` +
          `the logit cannot be recovered. Set output.kind to "logit" if the model outputs logits, or use target "probability"`,
      );
    }
  }

  // Grad-CAM layer: manifest.gradcamLayer, else the last layer with a 4-D output.
  const layerSym = (name: string): Sym => {
    let layer: GraphLayer;
    try {
      layer = model.getLayer(name) as GraphLayer;
    } catch {
      throw new ModelError('BAD_INPUT_LAYER', `${where}: no layer named "${name}"; pick one of the model's 4-D layers (manifest.json "gradcamLayer")`);
    }
    const nodes = layer.inboundNodes;
    if (nodes.length !== 1) throw new ModelError('BAD_INPUT_LAYER', `${where}: layer "${name}" is applied ${nodes.length} times; a layer used once is needed to cut the model`);
    const t = nodes[0].outputTensors[0];
    if (t.shape.length !== 4) throw new ModelError('BAD_INPUT_LAYER', `${where}: layer "${name}" outputs shape [${t.shape.join(', ')}]; Grad-CAM needs a 4-D [batch, h, w, channels] output`);
    return t;
  };
  // Default: the last layer whose output is spatial (4-D, larger than 1x1) and that every path to
  // the target goes through (a global pooling's 1x1 output cannot localise anything; see topology.ts,
  // which applies the same rule to model.json before the model is built).
  const defaultLayer = (() => {
    if (manifest.gradcamLayer) return manifest.gradcamLayer;
    let fallback = '';
    for (let i = model.layers.length - 1; i >= 0; i--) {
      const l = model.layers[i] as GraphLayer;
      if (l.inboundNodes.length !== 1 || isInputLayer(l)) continue;
      const t = l.inboundNodes[0].outputTensors[0];
      if (t.shape.length !== 4 || (t.shape[1] ?? 0) * (t.shape[2] ?? 0) <= 1) continue;
      if (!reachesInputPast(targetSym, new Set([t.id]))) return l.name;
      fallback ||= l.name;
    }
    return fallback;
  })();
  const checkedCuts = new Map<string, Sym>();
  const cut = (name: string | undefined): Sym => {
    const n = name ?? defaultLayer;
    if (!n) throw new ModelError('BAD_INPUT_LAYER', `${where}: the model has no 4-D layer for Grad-CAM`);
    const hit = checkedCuts.get(n);
    if (hit) return hit;
    const t = layerSym(n);
    const leak = reachesInputPast(targetSym, new Set([t.id]));
    if (leak) {
      throw new ModelError(
        'BAD_INPUT_LAYER_CUT',
        `${where}: the layers after "${n}" also use earlier tensors (a skip connection past the cut), so the model cannot be split there; ` +
          `choose a layer that every path to the output goes through (for example the output of the last block)`,
      );
    }
    checkedCuts.set(n, t);
    return t;
  };

  const batching = probeBatching(where, inputShape, opts.maxBatch);
  const checkBatch = batching.check;
  const targetOf = (x: tf.Tensor): tf.Tensor1D => fromTargetSym(executeGraph(new Map([[input.id, x]]), targetSym));
  const slowGradients = (x: tf.Tensor4D) => tf.tidy(() => tf.grad((xx: tf.Tensor) => targetOf(xx).sum())(x) as tf.Tensor4D);

  // The fast input-gradient path, built on first use. When the target is read before the output
  // layer's sigmoid/softmax, the fast path strips that activation (logits: true) and takes the column.
  let fast: FastGrad | null = null;
  let fastFailed = opts.fastGradients === false;
  const fastGrad = (): FastGrad | null => {
    if (fast || fastFailed) return fast;
    try {
      fast = targetSym === output ? createFastGrad(model, fromTargetSym) : createFastGrad(model, column, { logits: true });
    } catch {
      fastFailed = true; // an architecture the fast path cannot compile: tf.grad serves
    }
    return fast;
  };

  return {
    inputShape,
    inputRange: [manifest.inputRange[0], manifest.inputRange[1]] as const,
    get maxBatch() {
      return batching.maxBatch;
    },
    targetKind,
    defaultLayer,
    setMaxBatch: batching.setMaxBatch,
    target(x) {
      checkBatch(x, 'target');
      return tf.tidy(() => targetOf(x));
    },
    inputGradients(x) {
      checkBatch(x, 'inputGradients');
      const f = fastGrad();
      return f ? f.inputGradients(x) : slowGradients(x);
    },
    layerGradients(x, layer) {
      checkBatch(x, 'layerGradients');
      const at = cut(layer);
      return tf.tidy(() => {
        const activations = executeGraph(new Map([[input.id, x]]), at) as tf.Tensor4D;
        const head = (a: tf.Tensor) => fromTargetSym(executeGraph(new Map([[at.id, a]]), targetSym)).sum();
        const gradients = tf.grad(head)(activations) as tf.Tensor4D;
        return { activations, gradients };
      });
    },
    dispose() {
      checkedCuts.clear();
      fast?.dispose();
      fast = null;
    },
  };
}
