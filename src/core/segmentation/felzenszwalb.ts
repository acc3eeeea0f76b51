/**
 * Felzenszwalb-Huttenlocher graph segmentation, exactly as scikit-image 0.19's
 * `skimage.segmentation.felzenszwalb` (_felzenszwalb_cy.pyx) implements it:
 *
 * 1. the image is taken as float64 (img_as_float64 keeps float values as they are);
 * 2. every channel is smoothed with gaussian(sigma=[sigma, sigma, 0], mode='reflect',
 *    truncate 4.0): radius int(4 * sigma + 0.5), 3 for sigma 0.8 (see gaussian.ts);
 * 3. 8-connected edges, in the order right, down, down-right, up-right (each in raster order),
 *    weighted by the Euclidean distance between the smoothed pixels across all channels
 *    (multichannel images are segmented jointly, not per channel);
 * 4. k = scale / 255; edges sorted ascending by weight (float64);
 * 5. union when w < min(Int(C1) + k/|C1|, Int(C2) + k/|C2|), each threshold rounded to float32
 *    (the Cython keeps them in `float`), then Int(C1 u C2) := w;
 * 6. a second pass in the same order joins any two components when either is smaller than min_size;
 * 7. labels 0..n-1 numbered by each segment's first pixel in raster order (skimage's roots are the
 *    smallest pixel index of a component; np.unique orders them).
 * Ties in the sort may be ordered differently from NumPy's quicksort; parity holds for images
 * without tied edge weights.
 */
import { gaussianFilter2d } from './gaussian';

export interface FelzenszwalbParams {
  /** Observation level: higher means larger segments. */
  scale: number;
  /** Standard deviation of the Gaussian pre-smoothing (0: none). */
  sigma: number;
  /** Components smaller than this are merged in a second pass. */
  minSize: number;
}

export class SegmentationError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'SegmentationError';
  }
}

/** Returns the labels (Int32Array, H * W, raster order) of an interleaved [H, W, C] image. */
export function felzenszwalb(
  image: Float32Array | Float64Array, width: number, height: number, channels: number,
  params: FelzenszwalbParams,
): Int32Array {
  const { scale, sigma, minSize } = params;
  if (!Number.isInteger(width) || !Number.isInteger(height) || !Number.isInteger(channels) || width < 1 || height < 1 || channels < 1) {
    throw new SegmentationError('BAD_INPUT_SHAPE', `felzenszwalb: expected positive integer width, height and channels, found ${width} x ${height} x ${channels}`);
  }
  if (image.length !== width * height * channels) {
    throw new SegmentationError('BAD_INPUT_SHAPE', `felzenszwalb: an image of ${height} x ${width} x ${channels} holds ${width * height * channels} values, found ${image.length}`);
  }
  if (!(scale > 0) || !(sigma >= 0) || !(minSize >= 0)) {
    throw new SegmentationError('BAD_INPUT_PARAMS', `felzenszwalb: expected scale > 0, sigma >= 0 and min size >= 0, found scale ${scale}, sigma ${sigma}, min size ${minSize}`);
  }
  const k = scale / 255;
  const sm = gaussianFilter2d(Float64Array.from(image), height, width, channels, sigma, 'reflect');
  const { a, b, cost } = buildEdges(sm, width, height, channels);
  const order = argsortNonNegative(cost);

  const n = width * height;
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const size = new Int32Array(n).fill(1);
  const cint = new Float64Array(n);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  const ne = order.length;
  for (let e = 0; e < ne; e++) {
    const idx = order[e];
    const s0 = find(a[idx]);
    const s1 = find(b[idx]);
    if (s0 === s1) continue;
    const t0 = Math.fround(cint[s0] + k / size[s0]);
    const t1 = Math.fround(cint[s1] + k / size[s1]);
    const w = cost[idx];
    if (w < (t0 < t1 ? t0 : t1)) {
      const root = s0 < s1 ? s0 : s1;
      const other = s0 < s1 ? s1 : s0;
      parent[other] = root;
      size[root] = size[s0] + size[s1];
      cint[root] = w;
    }
  }
  for (let e = 0; e < ne; e++) {
    const idx = order[e];
    const s0 = find(a[idx]);
    const s1 = find(b[idx]);
    if (s0 === s1) continue;
    if (size[s0] < minSize || size[s1] < minSize) {
      const root = s0 < s1 ? s0 : s1;
      const other = s0 < s1 ? s1 : s0;
      parent[other] = root;
      size[root] = size[s0] + size[s1];
    }
  }
  const labels = new Int32Array(n);
  const labelOfRoot = new Int32Array(n).fill(-1);
  let next = 0;
  for (let i = 0; i < n; i++) {
    const r = find(i);
    if (labelOfRoot[r] < 0) labelOfRoot[r] = next++;
    labels[i] = labelOfRoot[r];
  }
  return labels;
}

/** Number of segments in a label image (max + 1). */
export function countSegments(labels: Int32Array): number {
  let m = -1;
  for (let i = 0; i < labels.length; i++) if (labels[i] > m) m = labels[i];
  return m + 1;
}

/** Edges in skimage's order (right, down, down-right, up-right) with their float64 weights. */
export function buildEdges(sm: Float64Array, width: number, height: number, channels: number): { a: Int32Array; b: Int32Array; cost: Float64Array } {
  const w = width;
  const h = height;
  const nRight = h * (w - 1);
  const nDown = (h - 1) * w;
  const nDiag = (h - 1) * (w - 1);
  const ne = nRight + nDown + 2 * nDiag;
  const a = new Int32Array(ne);
  const b = new Int32Array(ne);
  const cost = new Float64Array(ne);
  const C = channels;
  const dist = (p: number, q: number): number => {
    let s = 0;
    for (let c = 0; c < C; c++) {
      const d = sm[p * C + c] - sm[q * C + c];
      s += d * d;
    }
    return Math.sqrt(s);
  };
  let e = 0;
  for (let r = 0; r < h; r++) for (let c = 0; c < w - 1; c++, e++) { a[e] = r * w + c + 1; b[e] = r * w + c; cost[e] = dist(a[e], b[e]); }
  for (let r = 0; r < h - 1; r++) for (let c = 0; c < w; c++, e++) { a[e] = (r + 1) * w + c; b[e] = r * w + c; cost[e] = dist(a[e], b[e]); }
  for (let r = 0; r < h - 1; r++) for (let c = 0; c < w - 1; c++, e++) { a[e] = (r + 1) * w + c + 1; b[e] = r * w + c; cost[e] = dist(a[e], b[e]); }
  // up-right: skimage pairs pixel (r, c+1) with (r+1, c) and weighs image[r+1, c] - image[r, c+1].
  for (let r = 0; r < h - 1; r++) for (let c = 0; c < w - 1; c++, e++) { a[e] = r * w + c + 1; b[e] = (r + 1) * w + c; cost[e] = dist(b[e], a[e]); }
  return { a, b, cost };
}

/**
 * Indices that sort non-negative float64 values ascending (stable). An LSD radix sort (3 passes of
 * 11 bits) on the float32-rounded values, whose IEEE bits order like the values when the sign bit
 * is clear and never reverse the float64 order (rounding is monotone); then an insertion pass puts
 * values that share a float32 key into float64 order (runs are short: a few equal keys at most).
 */
export function argsortNonNegative(values: Float64Array): Uint32Array {
  const n = values.length;
  const keys = new Float32Array(values);
  const bits = new Uint32Array(keys.buffer);
  let idx = new Uint32Array(n);
  let tmp = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const count = new Uint32Array(2048);
  for (let shift = 0; shift < 32; shift += 11) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(bits[i] >>> shift) & 0x7ff]++;
    if (n === 0 || count[(bits[0] >>> shift) & 0x7ff] === n) continue; // all equal in this digit
    let sum = 0;
    for (let d = 0; d < 2048; d++) { const c = count[d]; count[d] = sum; sum += c; }
    for (let i = 0; i < n; i++) {
      const j = idx[i];
      tmp[count[(bits[j] >>> shift) & 0x7ff]++] = j;
    }
    const t = idx; idx = tmp; tmp = t;
  }
  // Stable insertion sort by the float64 values (only moves within runs of equal float32 keys).
  for (let i = 1; i < n; i++) {
    const j0 = idx[i];
    const v = values[j0];
    let k = i - 1;
    while (k >= 0 && values[idx[k]] > v) { idx[k + 1] = idx[k]; k--; }
    idx[k + 1] = j0;
  }
  return idx;
}
