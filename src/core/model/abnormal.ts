import type { ModelManifest } from './manifest';

/**
 * The "abnormal" score of one model output row, as the manifest's output says:
 *  - 'logit': the unit at `index` is the abnormal logit; probability = sigmoid(logit);
 *  - 'sigmoid': the unit is a probability; logit = log(p / (1 - p));
 *  - 'softmax': the unit at `index` is the abnormal class's probability; logit = its log-odds.
 * Probabilities are clamped to [1e-7, 1 - 1e-7] before the log-odds, so the logit stays finite.
 */
export function abnormalScore(row: ArrayLike<number>, output: ModelManifest['output']): { logit: number; probability: number } {
  const v = row[output.index];
  if (output.kind === 'logit') return { logit: v, probability: 1 / (1 + Math.exp(-v)) };
  const p = Math.min(1 - 1e-7, Math.max(1e-7, v));
  return { logit: Math.log(p / (1 - p)), probability: v };
}
