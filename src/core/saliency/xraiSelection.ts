/**
 * XRAI's region selection (SPEC section 2, PAIR saliency v0.2 `XRAI._xrai` and `_xrai_fast`),
 * on a 2-D attribution of n pixels and masks given as sorted pixel-index lists.
 *
 * Full: out = -inf, covered = {}. While the covered fraction <= areaThreshold and masks remain:
 * drop every mask adding fewer than minPixelDiff new pixels; for each remaining mask (in order),
 * gain = mean(attribution over mask minus covered); take the first mask with the largest gain; set
 * out on its new pixels to that gain; cover it; remove it. Pixels never covered get the mean
 * attribution over them.
 * Fast: masks sorted once by their whole-mask mean (descending, stable); each in turn, unless it adds
 * fewer than minPixelDiff new pixels, sets its new pixels to their mean attribution.
 *
 * Means are float64 sums in raster order. The full variant keeps each mask's new-pixel count and
 * recomputes its sum only when a chosen mask touched it (an inverted pixel -> masks index), so a
 * round costs O(masks) plus the pixels of the masks that changed.
 */

export interface XraiSelectionOptions {
  /** Masks adding fewer new pixels than this are dropped (PAIR's experimental min_pixel_diff). Default 50. */
  minPixelDiff?: number;
  /** Full variant: stop once this fraction of the image is covered (PAIR's area_threshold). Default 1.0. */
  areaThreshold?: number;
}

export interface XraiSelection {
  /** XRAI value per pixel (float64, n values). */
  map: Float64Array;
  /** Indices of the chosen masks in the order they were added, with their gains. */
  order: number[];
  gains: number[];
  /** Pixels never covered (they hold the mean attribution over them). */
  uncovered: number;
}

function check(attr: ArrayLike<number>, masks: readonly ArrayLike<number>[]): void {
  const n = attr.length;
  masks.forEach((m, k) => {
    for (let i = 0; i < m.length; i++) {
      const p = m[i];
      if (!(p >= 0 && p < n) || (i > 0 && p <= m[i - 1])) {
        throw new RangeError(`xrai: mask ${k} must list distinct pixel indices in 0..${n - 1} in ascending order (found ${p} at position ${i})`);
      }
    }
  });
}

function fillUncovered(attr: ArrayLike<number>, out: Float64Array): number {
  let s = 0, c = 0;
  for (let i = 0; i < out.length; i++) if (out[i] === -Infinity) { s += attr[i]; c++; }
  if (c > 0) {
    const mean = s / c;
    for (let i = 0; i < out.length; i++) if (out[i] === -Infinity) out[i] = mean;
  }
  return c;
}

/** PAIR's `_xrai` ("full"). */
export function xraiFull(attr: ArrayLike<number>, masks: readonly ArrayLike<number>[], options: XraiSelectionOptions = {}): XraiSelection {
  const minDiff = options.minPixelDiff ?? 50;
  const areaTh = options.areaThreshold ?? 1.0;
  check(attr, masks);
  const n = attr.length;
  const M = masks.length;
  // Inverted index: for each pixel, the masks that contain it (CSR).
  const start = new Int32Array(n + 1);
  for (const m of masks) for (let i = 0; i < m.length; i++) start[m[i] + 1]++;
  for (let p = 0; p < n; p++) start[p + 1] += start[p];
  const owners = new Int32Array(start[n]);
  const fill = start.slice(0, n);
  masks.forEach((m, k) => { for (let i = 0; i < m.length; i++) owners[fill[m[i]]++] = k; });

  const covered = new Uint8Array(n);
  const out = new Float64Array(n).fill(-Infinity);
  const count = new Int32Array(M);
  const sum = new Float64Array(M);
  const dirty = new Uint8Array(M).fill(1);
  let remaining: number[] = Array.from({ length: M }, (_, k) => k);
  let coveredCount = 0;
  const order: number[] = [];
  const gains: number[] = [];

  while (coveredCount / n <= areaTh) {
    let best = -Infinity;
    let bestKey = -1;
    const keep: number[] = [];
    for (const k of remaining) {
      if (dirty[k]) {
        const m = masks[k];
        let c = 0, s = 0;
        for (let i = 0; i < m.length; i++) if (!covered[m[i]]) { c++; s += attr[m[i]]; }
        count[k] = c;
        sum[k] = s;
        dirty[k] = 0;
      }
      if (count[k] < minDiff) continue; // dropped for good (coverage only grows)
      keep.push(k);
      const gain = sum[k] / count[k];
      if (gain > best) { best = gain; bestKey = k; }
    }
    remaining = keep;
    if (remaining.length === 0 || bestKey < 0) break;
    const m = masks[bestKey];
    for (let i = 0; i < m.length; i++) {
      const p = m[i];
      if (covered[p]) continue;
      covered[p] = 1;
      coveredCount++;
      out[p] = best;
      for (let j = start[p]; j < start[p + 1]; j++) dirty[owners[j]] = 1;
    }
    order.push(bestKey);
    gains.push(best);
    remaining = remaining.filter((k) => k !== bestKey);
  }
  const uncovered = fillUncovered(attr, out);
  return { map: out, order, gains, uncovered };
}

/** PAIR's `_xrai_fast`. */
export function xraiFast(attr: ArrayLike<number>, masks: readonly ArrayLike<number>[], options: XraiSelectionOptions = {}): XraiSelection {
  const minDiff = options.minPixelDiff ?? 50;
  check(attr, masks);
  const n = attr.length;
  const whole = masks.map((m) => {
    if (m.length === 0) return -Infinity;
    let s = 0;
    for (let i = 0; i < m.length; i++) s += attr[m[i]];
    return s / m.length;
  });
  const sorted = masks.map((_, k) => k).sort((a, b) => (whole[b] > whole[a] ? 1 : whole[b] < whole[a] ? -1 : a - b));
  const covered = new Uint8Array(n);
  const out = new Float64Array(n).fill(-Infinity);
  const order: number[] = [];
  const gains: number[] = [];
  for (const k of sorted) {
    const m = masks[k];
    let c = 0, s = 0;
    for (let i = 0; i < m.length; i++) if (!covered[m[i]]) { c++; s += attr[m[i]]; }
    if (c < minDiff) continue;
    const gain = s / c;
    for (let i = 0; i < m.length; i++) {
      const p = m[i];
      if (!covered[p]) { covered[p] = 1; out[p] = gain; }
    }
    order.push(k);
    gains.push(gain);
  }
  const uncovered = fillUncovered(attr, out);
  return { map: out, order, gains, uncovered };
}
