import * as tf from '@tensorflow/tfjs';
import { ModelError, type ModelManifest } from '../manifest';
import { outputColumn, probeBatching, type TfProbe, type TfProbeOptions } from '../probe';
import type { OnnxGraph } from './graph';
import type { OnnxModel } from './model';
import { logical, physical, tensorValue } from './values';

/**
 * The ModelProbe of an imported ONNX model (see onnx/graph.ts).
 * - target: column `output.index` of the graph's output; for a sigmoid or softmax output the logit
 *   is the input of the final Sigmoid/Softmax node (Identity looked through).
 * - input gradients: the op-graph backward pass of the lowered graph (OnnxGraph.valueAndGradient:
 *   hand-written input-only backward functions for the usual ops, tf.grads node by node for the
 *   rest; no weight gradient); the image goes in channels-last, so the gradient comes back
 *   [N, H, W, C] like a TF.js model's.
 * - Grad-CAM: the activations at a named value (a node's output, or a node's name for its first
 *   output), channels-last [N, h, w, k], and the target's gradient with respect to them, from the
 *   graph's own nodes re-run from the cut. Default: the last node output (graph order) whose spatial
 *   extent is larger than 1x1 and that every path from the image to the target goes through; the
 *   same rule as for TF.js models (topology.ts).
 */

export interface OnnxCandidate {
  /** The value name (node output) to cut at. */
  name: string;
  node: string;
  op: string;
  /** Channels-last [1, h, w, k], as Grad-CAM sees it. */
  shape: [number, number, number, number];
  /** Every path from the image to the target goes through it. */
  cut: boolean;
}

const PASS = new Set(['Identity', 'Dropout']);

/** Walks from `to` back towards the image, stopping at `cut`: true when the image is never reached. */
function cutsGraph(graph: OnnxGraph, cut: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [to];
  while (stack.length) {
    const v = stack.pop()!;
    if (!v || v === cut || seen.has(v) || graph.isConstant(v)) continue;
    seen.add(v);
    if (v === graph.inputName) return false;
    const n = graph.producerOf(v);
    if (n) stack.push(...n.inputs);
  }
  return true;
}

/** The value the logit is read from: the output, or the input of a final Sigmoid/Softmax. */
export function onnxTargetValue(graph: OnnxGraph, kind: ModelManifest['output']['kind'], where: string): string {
  const out = graph.outputNames[0];
  if (kind === 'logit') return out;
  let v = out;
  let n = graph.producerOf(v);
  while (n && PASS.has(n.opType)) { v = n.inputs[0]; n = graph.producerOf(v); }
  const op = kind === 'sigmoid' ? 'Sigmoid' : 'Softmax';
  if (!n || n.opType !== op) {
    throw new ModelError('BAD_INPUT_NO_LOGIT', `${where}: the output is said to be ${kind}, but the graph's output "${out}" comes from ${n ? `a ${n.opType} node ("${n.name}")` : 'no node'}, not ${op}; the logit cannot be recovered. Set output.kind to "logit" if the model outputs logits, or use target "probability"`);
  }
  return n.inputs[0];
}

/** Grad-CAM candidates (values with a spatial output larger than 1x1) and the default, for a batch-1 run on zeros. */
export function onnxGradcamCandidates(graph: OnnxGraph, input: { height: number; width: number; channels: number }, target: string): { candidates: OnnxCandidate[]; defaultLayer: string | null } {
  const shapes = graph.valueShapes(input.height, input.width, input.channels);
  const candidates: OnnxCandidate[] = [];
  for (const [name, s] of shapes) {
    if (s.shape.length !== 4 || s.shape[2] * s.shape[3] <= 1 || PASS.has(s.op)) continue;
    const [n, c, h, w] = s.shape;
    candidates.push({ name, node: s.node, op: s.op, shape: [n, h, w, c], cut: cutsGraph(graph, name, target) });
  }
  let defaultLayer: string | null = null;
  for (let i = candidates.length - 1; i >= 0; i--) if (candidates[i].cut) { defaultLayer = candidates[i].name; break; }
  return { candidates, defaultLayer: defaultLayer ?? candidates[candidates.length - 1]?.name ?? null };
}

export function createOnnxProbe(model: OnnxModel, manifest: ModelManifest, opts: TfProbeOptions = {}): TfProbe {
  const graph = model.graph;
  const where = `model "${manifest.id}"`;
  const { height, width, channels } = manifest.input;
  const inputShape = [height, width, channels] as const;
  const targetKind = opts.target ?? 'logit';
  const index = manifest.output.index;
  const column = (t: tf.Tensor): tf.Tensor1D => outputColumn(t, index);
  let targetName = graph.outputNames[0];
  let fromTarget = column;
  if (targetKind === 'probability') {
    if (manifest.output.kind === 'logit') {
      fromTarget = (t) => {
        const t2 = t.reshape([t.shape[0], -1]);
        return (t2.shape[1] ?? 1) > 1 ? column(tf.softmax(t2)) : tf.sigmoid(column(t2));
      };
    }
  } else {
    targetName = onnxTargetValue(graph, manifest.output.kind, where);
  }

  // A node name stands for its first output.
  const valueName = (name: string): string => {
    if (graph.producerOf(name)) return name;
    const n = graph.nodes.find((m) => m.name === name);
    if (n) return n.outputs[0];
    throw new ModelError('BAD_INPUT_LAYER', `${where}: the graph has no node or value named "${name}"; pick one of the Grad-CAM candidates (heatcheck model-info lists them)`);
  };
  let defaults: { candidates: OnnxCandidate[]; defaultLayer: string | null } | null = null;
  const gradcam = () => (defaults ??= onnxGradcamCandidates(graph, manifest.input, targetName));
  const defaultLayer = (): string => manifest.gradcamLayer ?? gradcam().defaultLayer ?? '';
  const checked = new Set<string>();
  const cut = (layer: string | undefined): string => {
    const raw = layer ?? defaultLayer();
    if (!raw) throw new ModelError('BAD_INPUT_LAYER', `${where}: the graph has no value with a spatial output larger than 1x1 for Grad-CAM`);
    const name = valueName(raw);
    if (checked.has(name)) return name;
    if (!cutsGraph(graph, name, targetName)) {
      throw new ModelError('BAD_INPUT_LAYER_CUT', `${where}: the nodes after "${raw}" also use earlier values (a skip connection past the cut), so the graph cannot be split there; choose a value that every path to the output goes through (for example the output of the last block)`);
    }
    checked.add(name);
    return name;
  };

  const batching = probeBatching(where, inputShape, opts.maxBatch);
  const targetOf = (x: tf.Tensor): tf.Tensor1D => fromTarget(logical(graph.run(x, [targetName])[0]));

  return {
    inputShape,
    inputRange: [manifest.inputRange[0], manifest.inputRange[1]] as const,
    get maxBatch() {
      return batching.maxBatch;
    },
    targetKind,
    get defaultLayer() {
      return defaultLayer();
    },
    setMaxBatch: batching.setMaxBatch,
    target(x) {
      batching.check(x, 'target');
      return tf.tidy(() => targetOf(x));
    },
    inputGradients(x) {
      batching.check(x, 'inputGradients');
      return tf.tidy(() => graph.valueAndGradient(new Map([[graph.inputName, tensorValue(x, true)]]), graph.inputName, targetName, (v) => fromTarget(logical(v))).grad as tf.Tensor4D);
    },
    layerGradients(x, layer) {
      batching.check(x, 'layerGradients');
      const at = cut(layer);
      return tf.tidy(() => {
        const v = graph.run(x, [at])[0];
        if (v.kind !== 'tensor' || v.t.rank !== 4) throw new ModelError('BAD_INPUT_LAYER', `${where}: "${at}" has shape [${v.kind === 'tensor' ? v.t.shape.join(', ') : v.shape.join(', ')}]; Grad-CAM needs a 4-D [N, C, H, W] value`);
        const activations = physical(v, 'Grad-CAM');
        // Fed channels-last, so the gradient comes back channels-last too.
        const gradients = graph.valueAndGradient(new Map([[at, tensorValue(activations, true)]]), at, targetName, (t) => fromTarget(logical(t))).grad as tf.Tensor4D;
        return { activations, gradients };
      });
    },
    dispose() {
      checked.clear();
    },
  };
}
