import type { ModelManifest } from './manifest';

/**
 * The abnormal class's probability from one output row, as the manifest's output says:
 *  - 'logit': one unit -> sigmoid(row[index]); several units (softmax logits) -> softmax(row)[index];
 *  - 'sigmoid' / 'softmax': the unit at `index` is already the probability.
 *
 * The abnormal *logit* is not derived from the row: it is the saliency probe's target (SPEC section
 * 1, the pre-sigmoid / pre-softmax value logit_index), read with probe.target, so predictions, the
 * classifier AUROC and every map's recorded target logit are one and the same quantity. (For a
 * softmax model logit_index is not the log-odds of its probability; for a sigmoid model it is.)
 */
export function abnormalProbability(row: ArrayLike<number>, output: ModelManifest['output']): number {
  const v = row[output.index];
  if (output.kind !== 'logit') return v;
  if (row.length <= 1) return 1 / (1 + Math.exp(-v));
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  return Math.exp(v - max) / sum;
}
