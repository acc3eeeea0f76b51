import * as tf from '@tensorflow/tfjs';

/**
 * The op-graph form that input gradients are computed on, shared by the Keras LayersModel lowering
 * (fastgrad.ts) and the ONNX lowering (onnx/fastBackward.ts).
 *
 * A lowered model is a list of nodes in topological order. Each node has run its forward pass
 * already (with whatever it needs for the backward pass kept in a closure) and exposes one
 * input-only backward function: from the gradient of its output to the gradients of its inputs
 * (null for an input no gradient flows to: weights, shapes, constants). No weight gradient is ever
 * asked for. Known ops bring hand-written backward functions built on fast forward kernels
 * (kernels/*); an unknown op is differentiated on its own with tf.grads (`genericBackward`), so any
 * model works and the known ops are fast.
 *
 * Why one form for both: the reverse walk (summing gradients where a value has several consumers,
 * freeing each gradient as soon as nothing pending refers to it) is the same for every source
 * format; only the lowering (which ops, which layout, which constants are folded) differs. Each
 * format keeps its own forward semantics, already checked against its reference (Keras layers,
 * PyTorch for ONNX), and gains the same backward engine.
 */

export interface BackwardNode<K> {
  /** The value this node writes (its only differentiable output). */
  output: K;
  /** The values it reads, in the order `back` returns their gradients (null: not a value of the graph). */
  inputs: Array<K | null>;
  /** d output -> d inputs (null where no gradient flows). */
  back: (dy: tf.Tensor) => Array<tf.Tensor | null>;
}

/**
 * Reverse-mode accumulation over `nodes` (topological order) from the seed gradient of one value to
 * the gradient of `wanted` (null when no path leads there). Intermediate gradients are disposed as
 * soon as no pending gradient refers to them; call inside tf.tidy all the same.
 */
export function backpropagate<K>(
  nodes: Array<BackwardNode<K>>,
  seed: { value: K; grad: tf.Tensor },
  wanted: K,
  /** Called with each node's complete upstream gradient just before its backward function runs (for diagnosis: read it synchronously, it may be freed afterwards). */
  onGradient?: (value: K, grad: tf.Tensor) => void,
): tf.Tensor | null {
  const grads = new Map<K, tf.Tensor>([[seed.value, seed.grad]]);
  const keepAlive = new Set<tf.Tensor>([seed.grad]);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    if (node.output === wanted) continue;
    const g = grads.get(node.output);
    if (!g) continue;
    grads.delete(node.output);
    onGradient?.(node.output, g);
    const dins = node.back(g);
    const maybeFree: tf.Tensor[] = [g];
    node.inputs.forEach((i, j) => {
      const d = dins[j];
      if (!d || i === null) return;
      const prev = grads.get(i);
      if (prev) {
        grads.set(i, tf.add(prev, d));
        maybeFree.push(prev, d);
      } else {
        grads.set(i, d);
      }
    });
    // Free what no pending gradient refers to (identity-like backward functions pass dy through).
    const live = new Set(grads.values());
    for (const t of new Set(maybeFree)) if (!live.has(t) && !keepAlive.has(t) && !t.isDisposed) t.dispose();
    for (const t of dins) if (t && !live.has(t) && !keepAlive.has(t) && !t.isDisposed) t.dispose();
  }
  return grads.get(wanted) ?? null;
}

/**
 * The backward function of an op known only by its forward function: tf.grads of `f` at `xs` (the
 * op's differentiable inputs; re-running its forward pass). An op that returns one of them
 * unchanged passes dy through.
 */
export function genericBackward(f: (...ts: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], out: tf.Tensor): (dy: tf.Tensor) => Array<tf.Tensor | null> {
  return (dy) => {
    const same = xs.indexOf(out);
    if (same >= 0) return xs.map((_, j) => (j === same ? dy : null));
    return tf.grads(f)(xs, dy);
  };
}
