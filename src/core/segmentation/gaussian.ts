/**
 * Gaussian smoothing as scipy.ndimage.gaussian_filter computes it (what skimage calls), on an
 * interleaved [H, W, C] image: one 1-D correlation per spatial axis (rows first, then columns),
 * channels never mixed, axes with sigma <= 1e-15 skipped.
 *
 * Facts taken from the installed sources (scipy 1.10 `_gaussian_kernel1d`, `gaussian_filter1d`,
 * ni_filters.c `NI_Correlate1D`):
 * - radius = int(truncate * sigma + 0.5) with truncate 4.0: sigma 0.8 gives radius 3;
 * - weights exp(-0.5 / sigma^2 * x^2) for x in -r..r, divided by their sum (NumPy's pairwise sum).
 *   NumPy's exp is its own SIMD code on AVX512F machines and differs from libm (and from V8's
 *   Math.exp) in the last bit for about a quarter of arguments, so weights agree to 1 ulp, not
 *   always bit for bit; segment parity is checked end to end instead;
 * - the symmetric path sums out[i] = in[i] * w0 + sum over k = r..1 of (in[i-k] + in[i+k]) * w_k;
 * - 'reflect' is half-sample symmetric (d c b a | a b c d | d c b a); 'constant' pads with 0
 *   (skimage's resize uses ndimage's 'grid-constant', identical for filters).
 */

export type BorderMode = 'reflect' | 'constant';

/** NumPy's pairwise summation (`pairwise_sum` in loops_utils.h), so the kernel sum matches bit for bit. */
export function numpyPairwiseSum(a: ArrayLike<number>, start = 0, n = a.length): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = new Float64Array(8);
    for (let j = 0; j < 8; j++) r[j] = a[start + j];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return numpyPairwiseSum(a, start, n2) + numpyPairwiseSum(a, start + n2, n - n2);
}

/** scipy's 1-D Gaussian kernel (order 0): 2r + 1 weights, r = int(truncate * sigma + 0.5). */
export function gaussianKernel1d(sigma: number, truncate = 4.0): Float64Array {
  const r = Math.trunc(truncate * sigma + 0.5);
  const a = -0.5 / (sigma * sigma);
  const phi = new Float64Array(2 * r + 1);
  for (let i = 0; i <= 2 * r; i++) {
    const x = i - r;
    phi[i] = Math.exp(a * (x * x));
  }
  const sum = numpyPairwiseSum(phi);
  for (let i = 0; i < phi.length; i++) phi[i] = phi[i] / sum;
  return phi;
}

function reflectIndex(i: number, n: number): number {
  const p = 2 * n;
  let m = i % p;
  if (m < 0) m += p;
  return m < n ? m : p - 1 - m;
}

/**
 * Correlates every line of an interleaved [H, W, C] image along `axis` (0: down the rows,
 * 1: along a row) with a symmetric kernel; returns a new array. `round32` stores the result in
 * float32 precision (as scipy does when the array is float32).
 */
export function correlateSymmetric(
  src: Float64Array, height: number, width: number, channels: number,
  axis: 0 | 1, weights: Float64Array, mode: BorderMode, round32 = false,
): Float64Array {
  const r = (weights.length - 1) / 2;
  const out = new Float64Array(src.length);
  const len = axis === 0 ? height : width;
  const lines = axis === 0 ? width * channels : height * channels;
  const step = axis === 0 ? width * channels : channels;
  const buf = new Float64Array(len + 2 * r);
  const w0 = weights[r];
  for (let line = 0; line < lines; line++) {
    const base = axis === 0 ? line : Math.floor(line / channels) * width * channels + (line % channels);
    for (let i = -r; i < len + r; i++) {
      let v: number;
      if (i >= 0 && i < len) v = src[base + i * step];
      else if (mode === 'constant') v = 0;
      else v = src[base + reflectIndex(i, len) * step];
      buf[i + r] = v;
    }
    for (let i = 0; i < len; i++) {
      const c = i + r;
      let acc = buf[c] * w0;
      for (let k = r; k >= 1; k--) acc += (buf[c - k] + buf[c + k]) * weights[r - k];
      out[base + i * step] = round32 ? Math.fround(acc) : acc;
    }
  }
  return out;
}

/**
 * gaussian_filter over the two spatial axes of an interleaved [H, W, C] image (sigma 0 along the
 * channels). Returns a new Float64Array; the input is not changed.
 */
export function gaussianFilter2d(
  src: Float64Array, height: number, width: number, channels: number,
  sigma: number | readonly [number, number], mode: BorderMode, truncate = 4.0, round32 = false,
): Float64Array {
  const [sy, sx] = typeof sigma === 'number' ? [sigma, sigma] : sigma;
  let out = src;
  if (sy > 1e-15) out = correlateSymmetric(out, height, width, channels, 0, gaussianKernel1d(sy, truncate), mode, round32);
  if (sx > 1e-15) out = correlateSymmetric(out, height, width, channels, 1, gaussianKernel1d(sx, truncate), mode, round32);
  return out === src ? Float64Array.from(src) : out;
}
