/**
 * Otsu's threshold exactly as skimage.filters.threshold_otsu (scikit-image 0.19) on float64 maps:
 * 256 bins over [min, max] binned as numpy.histogram does (edges = linspace(min, max, 257), the
 * last bin closed), threshold = the centre of the bin that maximises the between-class variance
 * w1 w2 (m1 - m2)^2 (first maximum), computed with the same cumulative sums in the same order.
 * A constant map returns its value (as skimage). The segmentation keeps pixels STRICTLY above.
 * NaN values are ignored.
 */
import { MetricError } from './errors';

export function otsuThreshold(map: ArrayLike<number>, nbins = 256): number {
  let lo = Infinity;
  let hi = -Infinity;
  let first = NaN;
  for (let i = 0; i < map.length; i++) {
    const v = map[i];
    if (v !== v) continue;
    if (first !== first) first = v;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (first !== first) throw new MetricError('BAD_INPUT_EMPTY', 'otsu: the map holds no finite value');
  if (lo === hi) return first;
  // numpy.histogram: edges by linspace, index by (x - lo) * (nbins / (hi - lo)), then corrected
  // against the edges.
  const step = (hi - lo) / nbins;
  const edges = new Float64Array(nbins + 1);
  for (let k = 0; k < nbins; k++) edges[k] = k * step + lo;
  edges[nbins] = hi;
  const norm = nbins / (hi - lo);
  const counts = new Float64Array(nbins);
  for (let i = 0; i < map.length; i++) {
    const v = map[i];
    if (v !== v) continue;
    let k = Math.trunc((v - lo) * norm);
    if (k === nbins) k--;
    if (v < edges[k]) k--;
    else if (k !== nbins - 1 && v >= edges[k + 1]) k++;
    counts[k]++;
  }
  const centers = new Float64Array(nbins);
  for (let k = 0; k < nbins; k++) centers[k] = (edges[k] + edges[k + 1]) / 2;
  // weight1 = cumsum(counts); weight2 = reversed cumsum; mean1 = cumsum(c * x) / weight1; mean2 likewise from the top.
  const w1 = new Float64Array(nbins);
  const m1 = new Float64Array(nbins);
  let cw = 0;
  let cm = 0;
  for (let k = 0; k < nbins; k++) {
    cw += counts[k];
    cm += counts[k] * centers[k];
    w1[k] = cw;
    m1[k] = cm / cw;
  }
  const w2 = new Float64Array(nbins);
  const m2 = new Float64Array(nbins);
  cw = 0;
  cm = 0;
  for (let k = nbins - 1; k >= 0; k--) {
    cw += counts[k];
    cm += counts[k] * centers[k];
    w2[k] = cw;
    m2[k] = cm / cw;
  }
  let best = -1;
  let bestV = -Infinity;
  for (let k = 0; k < nbins - 1; k++) {
    const d = m1[k] - m2[k + 1];
    const v = w1[k] * w2[k + 1] * (d * d);
    // numpy.argmax: first maximum; NaN (from empty classes: 0/0) wins as numpy's argmax would.
    if (v !== v) {
      best = k;
      break;
    }
    if (v > bestV) {
      bestV = v;
      best = k;
    }
  }
  return centers[best];
}

/** The Otsu segmentation: 1 where the map is strictly above its Otsu threshold. */
export function otsuMask(map: ArrayLike<number>): { threshold: number; mask: Uint8Array } {
  const threshold = otsuThreshold(map);
  const mask = new Uint8Array(map.length);
  for (let i = 0; i < map.length; i++) mask[i] = map[i] > threshold ? 1 : 0;
  return { threshold, mask };
}
