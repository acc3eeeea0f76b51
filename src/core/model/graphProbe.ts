import * as tf from '@tensorflow/tfjs';
import { ModelError, type ModelManifest } from './manifest';
import { outputColumn, probeBatching, type TfProbe, type TfProbeOptions } from './probe';

/**
 * The TF.js adapter of ModelProbe for a GraphModel (a TensorFlow SavedModel or frozen graph after
 * tensorflowjs_converter; model.json with "format": "graph-model").
 *
 * A GraphModel is a graph of TensorFlow ops, not of layers, so "where the graph allows":
 * - target: the output node's column; for a sigmoid or softmax output, the logit is the input of
 *   the final Sigmoid/Softmax op (Identity nodes are looked through). Anything else, for example a
 *   probability written by other ops, cannot give the logit and says so (BAD_INPUT_NO_LOGIT).
 * - input gradients: tf.grad through GraphModel.execute (no fast path: that one compiles layers).
 * - activations at a named node (Grad-CAM): the graph runs from the input to the node, then from the
 *   node (fed as an intermediate tensor) to the target. A node that does not cut every path from
 *   the input to the output (a skip connection past it) is refused with BAD_INPUT_LAYER_CUT.
 *   Default node: manifest.gradcamLayer, else the first 4-D node met walking back from the target
 *   (the one the global pooling reads).
 * - Control-flow graphs (If, While, ...) are not differentiable in TF.js; they are refused at
 *   creation (BAD_INPUT_GRAPH_CONTROL_FLOW) rather than failing inside a method.
 */

interface GraphNode {
  name: string;
  op: string;
  inputs: GraphNode[];
}

/** The graph's nodes by name (TF.js keeps them on the executor; not part of its public typings). */
function graphNodes(model: tf.GraphModel): Record<string, GraphNode> {
  const g = (model as unknown as { executor?: { graph?: { nodes?: Record<string, GraphNode> } } }).executor?.graph?.nodes;
  if (!g) throw new ModelError('BAD_INPUT_MODEL', 'this TF.js version does not expose the GraphModel graph; the probe cannot read its nodes');
  return g;
}

const CONTROL_FLOW = new Set(['If', 'StatelessIf', 'While', 'StatelessWhile', 'Switch', 'Merge', 'Enter', 'Exit', 'NextIteration', 'LoopCond']);
const PASS_THROUGH = new Set(['Identity', 'IdentityN', 'StopGradient', 'Snapshot']);

/** "name:0" -> "name". */
const bare = (n: string) => n.replace(/:\d+$/, '');

export function createGraphProbe(model: tf.GraphModel, manifest: ModelManifest, opts: TfProbeOptions = {}): TfProbe {
  const where = `model "${manifest.id}"`;
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ModelError('BAD_INPUT_MODEL_SHAPE', `${where}: ${model.inputs.length} inputs and ${model.outputs.length} outputs; one image input and one output are expected`);
  }
  const nodes = graphNodes(model);
  const cf = Object.values(nodes).find((n) => CONTROL_FLOW.has(n.op));
  if (cf) {
    throw new ModelError('BAD_INPUT_GRAPH_CONTROL_FLOW', `${where}: the graph has control flow (node "${cf.name}", op ${cf.op}), which TF.js cannot differentiate; export the model without it (or as a Keras LayersModel)`);
  }
  const inputName = bare(model.inputs[0].name);
  const outputName = bare(model.outputs[0].name);
  const { height, width, channels } = manifest.input;
  const inputShape = [height, width, channels] as const;
  const targetKind = opts.target ?? 'logit';
  const index = manifest.output.index;

  const column = (t: tf.Tensor): tf.Tensor1D => outputColumn(t, index);
  const throughIdentity = (n: GraphNode): GraphNode => {
    let m = n;
    while (PASS_THROUGH.has(m.op) && m.inputs.length >= 1) m = m.inputs[0];
    return m;
  };

  // Which node the target is read from, and how.
  let targetNode = outputName;
  let fromTarget: (t: tf.Tensor) => tf.Tensor1D = column;
  if (targetKind === 'probability') {
    if (manifest.output.kind === 'logit') {
      fromTarget = (t) => {
        const t2 = t.reshape([t.shape[0], -1]);
        return (t2.shape[1] ?? 1) > 1 ? column(tf.softmax(t2)) : tf.sigmoid(column(t2));
      };
    }
  } else if (manifest.output.kind !== 'logit') {
    const kind = manifest.output.kind;
    const last = throughIdentity(nodes[outputName]);
    const op = kind === 'sigmoid' ? 'Sigmoid' : 'Softmax';
    if (last.op !== op || last.inputs.length !== 1) {
      throw new ModelError(
        'BAD_INPUT_NO_LOGIT',
        `${where}: manifest.json says the output is ${kind}, but the graph's output "${outputName}" comes from a ${last.op} op, not ${op}; ` +
          'the logit cannot be recovered. Set output.kind to "logit" if the model outputs logits, or use target "probability"',
      );
    }
    targetNode = last.inputs[0].name;
  }

  const run = (feed: tf.NamedTensorMap, node: string): tf.Tensor => model.execute(feed, node) as tf.Tensor;
  const targetOf = (x: tf.Tensor): tf.Tensor1D => fromTarget(run({ [inputName]: x }, targetNode));

  // Grad-CAM node: manifest.gradcamLayer, else the first 4-D node walking back from the target.
  const probeShape = (name: string): number[] =>
    tf.tidy(() => run({ [inputName]: tf.zeros([1, height, width, channels]) }, name).shape);
  let defaultNode: string | null = null;
  const findDefault = (): string => {
    if (manifest.gradcamLayer) return manifest.gradcamLayer;
    if (defaultNode !== null) return defaultNode;
    const seen = new Set<string>();
    const queue = [nodes[targetNode]];
    while (queue.length) {
      const n = queue.shift()!;
      if (!n || seen.has(n.name) || n.op === 'Const' || n.op === 'Placeholder') continue;
      seen.add(n.name);
      if (n.name !== targetNode && probeShape(n.name).length === 4) return (defaultNode = n.name);
      queue.push(...n.inputs);
    }
    return (defaultNode = '');
  };
  const checked = new Set<string>();
  const cut = (name: string | undefined): string => {
    const n = name ?? findDefault();
    if (!n) throw new ModelError('BAD_INPUT_LAYER', `${where}: the graph has no 4-D node for Grad-CAM; name one in manifest.json "gradcamLayer"`);
    if (checked.has(n)) return n;
    if (!nodes[n]) throw new ModelError('BAD_INPUT_LAYER', `${where}: the graph has no node named "${n}"; pick a 4-D node (manifest.json "gradcamLayer")`);
    const shape = probeShape(n);
    if (shape.length !== 4) throw new ModelError('BAD_INPUT_LAYER', `${where}: node "${n}" outputs shape [${shape.join(', ')}]; Grad-CAM needs a 4-D [batch, h, w, channels] output`);
    // Every path from the input to the target must pass the node: walking back from the target and
    // stopping there must never reach the input placeholder.
    const seen = new Set<string>();
    const stack = [nodes[targetNode]];
    while (stack.length) {
      const m = stack.pop()!;
      if (!m || m.name === n || seen.has(m.name)) continue;
      seen.add(m.name);
      if (m.name === inputName) {
        throw new ModelError(
          'BAD_INPUT_LAYER_CUT',
          `${where}: the nodes after "${n}" also use earlier tensors (a skip connection past the cut), so the graph cannot be split there; ` +
            'choose a node that every path to the output goes through (for example the output of the last block)',
        );
      }
      stack.push(...m.inputs);
    }
    checked.add(n);
    return n;
  };

  const batching = probeBatching(where, inputShape, opts.maxBatch);
  const checkBatch = batching.check;

  return {
    inputShape,
    inputRange: [manifest.inputRange[0], manifest.inputRange[1]] as const,
    get maxBatch() {
      return batching.maxBatch;
    },
    targetKind,
    get defaultLayer() {
      return findDefault();
    },
    setMaxBatch: batching.setMaxBatch,
    target(x) {
      checkBatch(x, 'target');
      return tf.tidy(() => targetOf(x));
    },
    inputGradients(x) {
      checkBatch(x, 'inputGradients');
      return tf.tidy(() => tf.grad((xx: tf.Tensor) => targetOf(xx).sum())(x) as tf.Tensor4D);
    },
    layerGradients(x, layer) {
      checkBatch(x, 'layerGradients');
      const at = cut(layer);
      return tf.tidy(() => {
        const activations = run({ [inputName]: x }, at) as tf.Tensor4D;
        const head = (a: tf.Tensor) => fromTarget(run({ [at]: a }, targetNode)).sum();
        const gradients = tf.grad(head)(activations) as tf.Tensor4D;
        return { activations, gradients };
      });
    },
    dispose() {
      checked.clear();
    },
  };
}
