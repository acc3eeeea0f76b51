/**
 * Pixel AUPRC (SPEC 5.1): trapezoidal area under the precision-recall curve over the distinct
 * thresholds, ending at (recall 0, precision 1). Matches
 *   sklearn.metrics.auc(recall, precision) with precision, recall = precision_recall_curve(mask, map)
 * of scikit-learn 1.2 (no curve truncation; checked to 1e-9 on the fixtures). Note this is the
 * trapezoidal area, not average_precision_score (which is a step sum).
 *
 * No positive pixel: NaN (sklearn returns 0.5 with a warning, recall being set to 1). All pixels
 * positive: 1 (precision is 1 at every threshold), as sklearn.
 */
import { splitSorted, type SortedClasses } from './auroc';

export function auprcSorted({ pos, neg }: SortedClasses): number {
  const P = pos.length;
  const N = neg.length;
  if (P === 0) return NaN;
  // Walk thresholds from the highest score down; at each distinct value take every pixel >= it.
  let i = P - 1;
  let j = N - 1;
  let tp = 0;
  let fp = 0;
  let prevR = 0;
  let prevP = 1;
  let area = 0;
  while (i >= 0 || j >= 0) {
    const s = i < 0 ? neg[j] : j < 0 ? pos[i] : Math.max(pos[i], neg[j]);
    while (i >= 0 && pos[i] === s) {
      tp++;
      i--;
    }
    while (j >= 0 && neg[j] === s) {
      fp++;
      j--;
    }
    const r = tp / P;
    const p = tp / (tp + fp);
    area += ((r - prevR) * (p + prevP)) / 2;
    prevR = r;
    prevP = p;
  }
  return area;
}

/** Pixel AUPRC of a map against a binary mask (non-zero = positive). NaN when the mask is empty. */
export function auprc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  return auprcSorted(splitSorted(scores, labels));
}
