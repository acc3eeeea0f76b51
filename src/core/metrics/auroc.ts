/**
 * Pixel AUROC (SPEC 5.1): Mann-Whitney U / (Npos * Nneg), a tie between a positive and a negative
 * counting 1/2. Equals sklearn.metrics.roc_auc_score(mask, map) (checked to 1e-9 on the fixtures).
 * O(n log n): positives and negatives are sorted separately and merged.
 *
 * Undefined (NaN) when the mask has no positive or no negative pixel (sklearn raises there);
 * `rankingUndefinedReason` says which.
 */
import { assertSameLength, MetricError } from './errors';
import { sortFloat64 } from './sort';

/** Scores split by label and sorted ascending (shared by AUROC and AUPRC). */
export interface SortedClasses {
  pos: Float64Array;
  neg: Float64Array;
}

export function splitSorted(scores: ArrayLike<number>, labels: ArrayLike<number>): SortedClasses {
  assertSameLength(scores, labels, 'auroc/auprc');
  const n = scores.length;
  let np = 0;
  for (let i = 0; i < n; i++) if (labels[i] !== 0) np++;
  const pos = new Float64Array(np);
  const neg = new Float64Array(n - np);
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    const s = scores[i] + 0; // -0 -> +0
    if (s !== s) throw new MetricError('BAD_INPUT_NAN', `auroc/auprc: the map holds NaN at pixel ${i}; expected finite scores`);
    if (labels[i] !== 0) pos[a++] = s;
    else neg[b++] = s;
  }
  sortFloat64(pos);
  sortFloat64(neg);
  return { pos, neg };
}

/** Why a ranking metric is undefined for this mask, or null when it is defined. */
export function rankingUndefinedReason(labels: ArrayLike<number>): string | null {
  let np = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0) np++;
  if (labels.length === 0) return 'no pixels';
  if (np === 0) return 'no positive pixel (empty consensus mask)';
  if (np === labels.length) return 'no negative pixel (the consensus covers the whole image)';
  return null;
}

/** AUROC from presorted classes. */
export function aurocSorted({ pos, neg }: SortedClasses): number {
  const P = pos.length;
  const N = neg.length;
  if (P === 0 || N === 0) return NaN;
  // For each run of equal positive scores: negatives strictly below count 1, equal count 1/2.
  let u = 0; // accumulated as 2U to stay in integers
  let j = 0; // negatives < current score
  let i = 0;
  while (i < P) {
    const s = pos[i];
    let k = i;
    while (k < P && pos[k] === s) k++;
    while (j < N && neg[j] < s) j++;
    let e = j;
    while (e < N && neg[e] === s) e++;
    u += (k - i) * (2 * j + (e - j));
    i = k;
  }
  return u / 2 / P / N;
}

/** Pixel AUROC of a map (scores) against a binary mask (non-zero = positive). NaN when undefined. */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  return aurocSorted(splitSorted(scores, labels));
}
