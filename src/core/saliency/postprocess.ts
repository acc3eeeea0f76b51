import type { SaliencyOutput } from './types';

/**
 * SPEC section 3: the post-processing that turns a raw attribution into the 2-D map in [0, 1] that
 * display and metrics use, and the bilinear upsampling Grad-CAM uses. Pure functions on arrays.
 */

/** Value at percentile p (0..100) of ascending `sorted`, interpolated linearly at p/100 * (N - 1) (NumPy's default). */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('percentileSorted: empty array');
  const pos = (p / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  const f = pos - lo;
  return sorted[lo] + (sorted[hi] - sorted[lo]) * f;
}

/** Sum over channels of |m| for a row-major [H, W, C] array: [H * W]. */
export function channelAbsSum(raw: ArrayLike<number>, shape: readonly [number, number, number]): Float32Array {
  const [h, w, c] = shape;
  if (raw.length !== h * w * c) throw new RangeError(`channelAbsSum: ${raw.length} values for shape [${h}, ${w}, ${c}]`);
  const out = new Float32Array(h * w);
  for (let i = 0; i < h * w; i++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += Math.abs(raw[i * c + k]);
    out[i] = s;
  }
  return out;
}

/**
 * clip((g - vmin) / (vmax - vmin), 0, 1) with vmax = the 99th percentile of g and vmin = min(g)
 * (PAIR's VisualizeImageGrayscale). When vmax <= vmin (at least 99 % of the pixels share the
 * minimum), the limit is taken: pixels above vmin become 1, the rest 0.
 */
export function normalizeGrayscale(g: ArrayLike<number>, percentile = 99): Float32Array {
  const sorted = Float64Array.from(g).sort();
  const vmax = percentileSorted(sorted, percentile);
  const vmin = sorted[0];
  const out = new Float32Array(g.length);
  const span = vmax - vmin;
  for (let i = 0; i < g.length; i++) {
    if (span > 0) out[i] = Math.min(1, Math.max(0, (g[i] - vmin) / span));
    else out[i] = g[i] > vmin ? 1 : 0;
  }
  return out;
}

/** SPEC section 3 "grayscale" (GRAD, IG, SG, SIG, Grad-CAM): channel |sum|, then 99th-percentile normalisation. */
export function postprocessGrayscale(raw: ArrayLike<number>, shape: readonly [number, number, number]): Float32Array {
  return normalizeGrayscale(channelAbsSum(raw, shape));
}

/** A method's output whose map is SPEC 3's grayscale of `raw` ([H, W, C], row-major). */
export function grayscaleOutput(raw: Float32Array, shape: [number, number, number], info?: Record<string, unknown>): SaliencyOutput {
  return { raw, rawShape: shape, map: postprocessGrayscale(raw, shape), width: shape[1], height: shape[0], ...(info ? { info } : {}) };
}

/** Sum of an attribution (completeness checks: it should approach f(x) - f(baseline)). */
export function attributionSum(raw: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < raw.length; i++) s += raw[i];
  return s;
}

/** SPEC section 3 "XRAI": min-max to [0, 1] (all zeros when the map is constant). */
export function minMaxNormalize(m: ArrayLike<number>): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < m.length; i++) {
    if (m[i] < lo) lo = m[i];
    if (m[i] > hi) hi = m[i];
  }
  const out = new Float32Array(m.length);
  const span = hi - lo;
  if (span > 0) for (let i = 0; i < m.length; i++) out[i] = (m[i] - lo) / span;
  return out;
}

/** Mirror index (reflection about the edge pixels' centres, no edge repeat: -1 -> 1, n -> n - 2). */
function mirror(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let j = ((i % period) + period) % period;
  if (j >= n) j = period - j;
  return j;
}

/**
 * Bilinear resize of a row-major [sh, sw] map to [dh, dw] on the half-pixel grid: output pixel i
 * samples the source at (i + 0.5) * sh / dh - 0.5. Neighbours beyond the border are mirrored about
 * the edge pixel (-1 -> 1), scipy.ndimage's 'mirror', which is scikit-image resize's default
 * mode='reflect' (and OpenCV's BORDER_REFLECT_101).
 */
export function resizeBilinear(src: ArrayLike<number>, sh: number, sw: number, dh: number, dw: number): Float32Array {
  if (src.length !== sh * sw) throw new RangeError(`resizeBilinear: ${src.length} values for a ${sh}x${sw} map`);
  const axis = (dn: number, sn: number) => {
    const i0 = new Int32Array(dn);
    const i1 = new Int32Array(dn);
    const f = new Float64Array(dn);
    for (let i = 0; i < dn; i++) {
      const s = ((i + 0.5) * sn) / dn - 0.5;
      const fl = Math.floor(s);
      f[i] = s - fl;
      i0[i] = mirror(fl, sn);
      i1[i] = mirror(fl + 1, sn);
    }
    return { i0, i1, f };
  };
  const ys = axis(dh, sh);
  const xs = axis(dw, sw);
  const out = new Float32Array(dh * dw);
  for (let y = 0; y < dh; y++) {
    const r0 = ys.i0[y] * sw;
    const r1 = ys.i1[y] * sw;
    const fy = ys.f[y];
    for (let x = 0; x < dw; x++) {
      const a = xs.i0[x];
      const b = xs.i1[x];
      const fx = xs.f[x];
      const top = src[r0 + a] * (1 - fx) + src[r0 + b] * fx;
      const bot = src[r1 + a] * (1 - fx) + src[r1 + b] * fx;
      out[y * dw + x] = top * (1 - fy) + bot * fy;
    }
  }
  return out;
}
