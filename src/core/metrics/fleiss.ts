/**
 * Fleiss' kappa (Fleiss 1971). General form over an items x categories table of rating counts,
 * allowing the number of raters to vary between items (P_i uses that item's own n_i; the category
 * proportions p_j are pooled over all ratings). With a constant number of raters this is exactly
 * the textbook formula (and statsmodels.stats.inter_rater.fleiss_kappa).
 *
 * Undefined (NaN) when chance agreement P_e is 1, i.e. every rating falls in one category.
 */

/** kappa from a table: table[i][j] = number of raters who put item i in category j. */
export function fleissKappa(table: ArrayLike<number>[]): number {
  const k = table.length > 0 ? table[0].length : 0;
  const catTotals = new Float64Array(k);
  let totalRatings = 0;
  let sumP = 0;
  let items = 0;
  for (const row of table) {
    let n = 0;
    let sq = 0;
    for (let j = 0; j < k; j++) {
      n += row[j];
      sq += row[j] * row[j];
      catTotals[j] += row[j];
    }
    if (n < 2) continue; // an item needs two raters to say anything about agreement
    totalRatings += n;
    sumP += (sq - n) / (n * (n - 1));
    items++;
  }
  return kappaFrom(sumP, items, catTotals, totalRatings);
}

function kappaFrom(sumP: number, items: number, catTotals: Float64Array, totalRatings: number): number {
  if (items === 0 || totalRatings === 0) return NaN;
  const pBar = sumP / items;
  let pe = 0;
  for (let j = 0; j < catTotals.length; j++) {
    const p = catTotals[j] / totalRatings;
    pe += p * p;
  }
  if (1 - pe <= 1e-15) return NaN;
  return (pBar - pe) / (1 - pe);
}

/**
 * Binary (in / out) ratings summarised by a histogram: hist[c] = number of items (pixels) that
 * exactly c of the `raters` raters marked. Several groups (cases with different numbers of
 * readers) can be pooled: pass one {raters, hist} per group.
 */
export interface BinaryCountGroup {
  raters: number;
  hist: ArrayLike<number>;
}

export function fleissKappaBinary(groups: BinaryCountGroup[]): number {
  const cat = new Float64Array(2);
  let sumP = 0;
  let items = 0;
  let totalRatings = 0;
  for (const { raters: n, hist } of groups) {
    if (n < 2) continue;
    for (let c = 0; c <= n && c < hist.length; c++) {
      const m = hist[c];
      if (m === 0) continue;
      const sq = c * c + (n - c) * (n - c);
      sumP += (m * (sq - n)) / (n * (n - 1));
      items += m;
      totalRatings += m * n;
      cat[1] += m * c;
      cat[0] += m * (n - c);
    }
  }
  return kappaFrom(sumP, items, cat, totalRatings);
}
