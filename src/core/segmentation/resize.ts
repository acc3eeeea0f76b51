/**
 * The two resizes of PAIR's XRAI segmentation (saliency v0.2 `_get_segments_felzenszwalb`), as
 * scikit-image 0.19 with SciPy >= 1.6 computes them:
 *
 * - image to 224 x 224: `resize(im, (224, 224), order=3, mode='constant', preserve_range=True,
 *   anti_aliasing=True)`. That is (i) a Gaussian anti-aliasing filter with sigma
 *   max(0, (in/out - 1) / 2) per axis (so only along axes that shrink), zero padding ('grid-constant');
 *   (ii) scipy.ndimage.zoom(order=3, mode='grid-constant', grid_mode=True): the array is padded
 *   by 12 zeros on every axis, turned into cubic B-spline coefficients (pole sqrt(3) - 2, mirror
 *   initialisation, on every axis including the channel axis), and sampled at
 *   in = (out + 0.5) * (in_size / out_size) - 0.5 with 4 x 4 x 4 taps; (iii) clipped to the
 *   input's [min, max]. A float32 image stays float32 at each stored step (the filter passes and
 *   the output), as NumPy does.
 * - labels back to the image size: `resize(seg, shape, order=0, mode='constant',
 *   anti_aliasing=False)`: nearest neighbour at in = floor((out + 0.5) * (in/out) - 0.5 + 0.5).
 */
import { gaussianFilter2d } from './gaussian';

const POLE = -0.267949192431122706472553658494127633; // sqrt(3) - 2, as scipy's literal
const NPAD = 12;

/**
 * scipy ni_splines.c apply_filter for one cubic pole with mirror initialisation, in place on
 * c[0..n). `zpow[i]` = z^i by repeated multiplication (as the C loop builds it), zpow[0] unused.
 */
function splineFilterLine(c: Float64Array, n: number, zpow: Float64Array): void {
  if (n <= 1) return;
  const z = POLE;
  const gain = (1.0 - z) * (1.0 - 1.0 / z);
  for (let i = 0; i < n; i++) c[i] *= gain;
  // _init_causal_mirror: z_i runs z, z^2, ... by repeated multiplication; z_n_1 = pow(z, n - 1).
  const zn1 = zpow[n]; // pow(z, n - 1), stored at index n
  let c0 = c[0] + zn1 * c[n - 1];
  for (let i = 1; i < n - 1; i++) c0 += zpow[i] * (c[i] + zn1 * c[n - 1 - i]);
  c[0] = c0 / (1 - zn1 * zn1);
  for (let i = 1; i < n; i++) c[i] += z * c[i - 1];
  // _init_anticausal_mirror
  c[n - 1] = (z * c[n - 2] + c[n - 1]) * z / (z * z - 1);
  for (let i = n - 2; i >= 0; i--) c[i] = z * (c[i + 1] - c[i]);
}

/** z^i for i < n by repeated multiplication, and Math.pow(z, n - 1) at index n. */
function polePowers(n: number): Float64Array {
  const t = new Float64Array(n + 1);
  let zi = POLE;
  for (let i = 1; i < n; i++) { t[i] = zi; zi *= POLE; }
  t[n] = Math.pow(POLE, n - 1);
  return t;
}

/** scipy get_spline_interpolation_weights(x, 3) plus the first tap index floor(x) - 1. */
function cubicWeights(cc: number): { start: number; w: Float64Array } {
  const start = Math.floor(cc) - 1;
  const x = cc - Math.floor(cc);
  const y = x;
  const z = 1.0 - x;
  const w = new Float64Array(4);
  w[1] = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0;
  w[2] = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0;
  w[0] = z * z * z / 6.0;
  w[3] = 1.0;
  for (let i = 0; i < 3; i++) w[3] -= w[i];
  return { start, w };
}

/** Sample coordinate of output index kk along an axis, as NI_ZoomShift computes it (grid_mode). */
function zoomCoordinate(kk: number, zoom: number, npad: number): number {
  let cc = kk;
  cc += 0.5;
  cc *= zoom;
  cc -= 0.5;
  cc += npad;
  return cc;
}

export interface ResizeOptions {
  /** Store intermediate and output values in float32 precision (the input array was float32). Default true. */
  float32?: boolean;
  /** Apply skimage's anti-aliasing filter before shrinking. Default true (PAIR passes anti_aliasing=True). */
  antiAliasing?: boolean;
}

/**
 * skimage.transform.resize(image, (outH, outW), order=3, mode='constant', cval=0,
 * preserve_range=True, anti_aliasing=true) of an interleaved [H, W, C] image. Returns [outH, outW, C].
 */
export function resizeBicubicSkimage(
  image: Float32Array | Float64Array, height: number, width: number, channels: number,
  outHeight: number, outWidth: number, options: ResizeOptions = {},
): Float64Array {
  const f32 = options.float32 ?? true;
  const C = channels;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < image.length; i++) { const v = image[i]; if (v < lo) lo = v; if (v > hi) hi = v; }

  let src: Float64Array = Float64Array.from(image);
  const fy = height / outHeight;
  const fx = width / outWidth;
  if (options.antiAliasing ?? true) {
    const sy = Math.max(0, (fy - 1) / 2);
    const sx = Math.max(0, (fx - 1) / 2);
    src = gaussianFilter2d(src, height, width, C, [sy, sx], 'constant', 4.0, f32);
  }

  // Pad by 12 zeros along rows and columns and filter along rows, then columns (the channel axis,
  // padded by 12 zeros on each side too, is filtered per pixel below).
  const PH = height + 2 * NPAD, PW = width + 2 * NPAD;
  const coef = new Float64Array(PH * PW * C);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < C; c++) {
    coef[((y + NPAD) * PW + (x + NPAD)) * C + c] = src[(y * width + x) * C + c];
  }
  const line = new Float64Array(Math.max(PH, PW, C + 2 * NPAD));
  const zpH = polePowers(PH), zpW = polePowers(PW), zpC = polePowers(C + 2 * NPAD);
  for (let x = 0; x < PW; x++) for (let c = 0; c < C; c++) {
    for (let y = 0; y < PH; y++) line[y] = coef[(y * PW + x) * C + c];
    splineFilterLine(line, PH, zpH);
    for (let y = 0; y < PH; y++) coef[(y * PW + x) * C + c] = line[y];
  }
  for (let y = 0; y < PH; y++) for (let c = 0; c < C; c++) {
    for (let x = 0; x < PW; x++) line[x] = coef[(y * PW + x) * C + c];
    splineFilterLine(line, PW, zpW);
    for (let x = 0; x < PW; x++) coef[(y * PW + x) * C + c] = line[x];
  }
  // Channel axis: a line of length C + 24 (zeros around the C values); the taps of output channel k
  // are padded indices k + 11 .. k + 14, so keep indices 11 .. C + 13 (C + 3 values) per pixel.
  const PC = C + 2 * NPAD;
  const KC = C + 3;
  const chan = new Float64Array(PH * PW * KC);
  const cl = new Float64Array(PC);
  for (let p = 0; p < PH * PW; p++) {
    cl.fill(0);
    for (let c = 0; c < C; c++) cl[NPAD + c] = coef[p * C + c];
    splineFilterLine(cl, PC, zpC);
    for (let j = 0; j < KC; j++) chan[p * KC + j] = cl[NPAD - 1 + j];
  }

  const zy = height / outHeight, zx = width / outWidth, zc = C / C;
  const rowTaps = Array.from({ length: outHeight }, (_, k) => cubicWeights(zoomCoordinate(k, zy, NPAD)));
  const colTaps = Array.from({ length: outWidth }, (_, k) => cubicWeights(zoomCoordinate(k, zx, NPAD)));
  const chTaps = Array.from({ length: C }, (_, k) => cubicWeights(zoomCoordinate(k, zc, NPAD)));
  // Flat tap tables: start index and 4 weights per output row / column / channel.
  const flat = (taps: Array<{ start: number; w: Float64Array }>) => {
    const st = new Int32Array(taps.length), wt = new Float64Array(taps.length * 4);
    taps.forEach((t, i) => { st[i] = t.start; wt.set(t.w, i * 4); });
    return { st, wt };
  };
  const R = flat(rowTaps), X = flat(colTaps), K = flat(chTaps);
  const out = new Float64Array(outHeight * outWidth * C);
  for (let oy = 0; oy < outHeight; oy++) {
    const ys = R.st[oy];
    for (let ox = 0; ox < outWidth; ox++) {
      const xs = X.st[ox];
      for (let oc = 0; oc < C; oc++) {
        const c0 = K.st[oc] - (NPAD - 1); // index into the kept C + 3 values
        let t = 0.0;
        for (let a = 0; a < 4; a++) {
          const wa = R.wt[oy * 4 + a];
          const rowBase = (ys + a) * PW;
          for (let b = 0; b < 4; b++) {
            const wb = X.wt[ox * 4 + b];
            const base = (rowBase + xs + b) * KC + c0;
            for (let d = 0; d < 4; d++) {
              // scipy: coeff = c; coeff *= w_row; coeff *= w_col; coeff *= w_chan; t += coeff
              t += ((chan[base + d] * wa) * wb) * K.wt[oc * 4 + d];
            }
          }
        }
        out[(oy * outWidth + ox) * C + oc] = f32 ? Math.fround(t) : t;
      }
    }
  }
  // _clip_warp_output: clip to the input's range (widened to cval 0 only when 0 lies outside it
  // and inside the output's range).
  let omin = Infinity, omax = -Infinity;
  for (let i = 0; i < out.length; i++) { if (out[i] < omin) omin = out[i]; if (out[i] > omax) omax = out[i]; }
  if (!(lo <= 0 && 0 <= hi) && omin <= 0 && 0 <= omax) { lo = Math.min(lo, 0); hi = Math.max(hi, 0); }
  for (let i = 0; i < out.length; i++) out[i] = out[i] < lo ? lo : out[i] > hi ? hi : out[i];
  return out;
}

/**
 * skimage.transform.resize(labels, (outH, outW), order=0, mode='constant', anti_aliasing=False,
 * preserve_range=True): nearest neighbour with pixel centres aligned (scipy zoom, grid_mode).
 */
export function resizeLabelsNearest(labels: Int32Array, height: number, width: number, outHeight: number, outWidth: number): Int32Array {
  const zy = height / outHeight, zx = width / outWidth;
  const nearest = (kk: number, zoom: number, n: number): number => {
    const s = Math.floor(zoomCoordinate(kk, zoom, 0) + 0.5);
    return s < 0 || s >= n ? -1 : s;
  };
  const rows = Int32Array.from({ length: outHeight }, (_, k) => nearest(k, zy, height));
  const cols = Int32Array.from({ length: outWidth }, (_, k) => nearest(k, zx, width));
  const out = new Int32Array(outHeight * outWidth);
  for (let y = 0; y < outHeight; y++) for (let x = 0; x < outWidth; x++) {
    out[y * outWidth + x] = rows[y] < 0 || cols[x] < 0 ? 0 : labels[rows[y] * width + cols[x]];
  }
  return out;
}

/**
 * PAIR's _normalize_image value step: (im - min) / (max - min) * (hi - lo) + lo, in float32 when
 * the image is float32 (NumPy keeps float32 arrays float32 with Python float scalars). A constant
 * image (max == min, where NumPy would give NaN) maps to the middle of the range.
 */
export function normalizeToRange(image: Float32Array | Float64Array, lo: number, hi: number, float32 = true): Float64Array {
  const round = float32 ? Math.fround : (v: number) => v;
  let mn = Infinity, mx = -Infinity;
  for (let i = 0; i < image.length; i++) { const v = image[i]; if (v < mn) mn = v; if (v > mx) mx = v; }
  const out = new Float64Array(image.length);
  if (!(mx > mn)) return out.fill(round((lo + hi) / 2));
  const span = round(mx - mn);
  const k = hi - lo;
  for (let i = 0; i < image.length; i++) {
    const u = round(round(image[i] - mn) / span);
    out[i] = round(round(u * k) + lo);
  }
  return out;
}
