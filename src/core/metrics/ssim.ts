/**
 * SSIM exactly as skimage.metrics.structural_similarity with its defaults (scikit-image 0.19,
 * SPEC section 6): 7x7 uniform window, K1 0.01, K2 0.03, sample covariance (factor 49/48),
 * data range R (default 2: skimage's value for float images), C1 = (K1 R)^2, C2 = (K2 R)^2,
 *   S = (2 mx my + C1)(2 vxy + C2) / ((mx^2 + my^2 + C1)(vx + vy + C2)),
 * averaged over the pixels at least 3 from every border (skimage's crop(S, pad) with
 * pad = (7 - 1) / 2). Those pixels' windows lie inside the image, so the filter's border mode never
 * matters. Float64 throughout. skimage computes float32 inputs in float32; Heatcheck always uses
 * float64, which matches skimage on float64 inputs to 1e-6 (the fixtures agree to ~1e-15).
 */
import { MetricError } from './errors';

export interface SsimOptions {
  /** Data range R; default 2. */
  dataRange?: number;
  /** Window side (odd); default 7. */
  winSize?: number;
  K1?: number;
  K2?: number;
}

export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, height: number, width: number, opts: SsimOptions = {}): number {
  const R = opts.dataRange ?? 2;
  const win = opts.winSize ?? 7;
  const K1 = opts.K1 ?? 0.01;
  const K2 = opts.K2 ?? 0.03;
  const n = height * width;
  if (a.length !== n || b.length !== n) {
    throw new MetricError('BAD_INPUT_SHAPE', `ssim: both maps must be ${height}x${width} (${n} values); found ${a.length} and ${b.length}`);
  }
  if (win % 2 !== 1 || win < 3) throw new MetricError('BAD_INPUT_WINDOW', `ssim: the window side must be odd and >= 3; found ${win}`);
  if (height < win || width < win) {
    throw new MetricError('BAD_INPUT_SHAPE', `ssim: the image (${height}x${width}) must be at least ${win}x${win}, the window size`);
  }
  if (!(R > 0)) throw new MetricError('BAD_INPUT_RANGE', `ssim: data range must be > 0; found ${R}`);
  const pad = (win - 1) >> 1;
  const NP = win * win;
  const covNorm = NP / (NP - 1);
  const C1 = (K1 * R) * (K1 * R);
  const C2 = (K2 * R) * (K2 * R);

  // Products once, then sliding window sums: horizontal (per row, kept columns only), then
  // vertical (a running sum down each kept column). Float64 throughout.
  const ow = width - 2 * pad;
  const oh = height - 2 * pad;
  const hx = new Float64Array(height * ow);
  const hy = new Float64Array(height * ow);
  const hxx = new Float64Array(height * ow);
  const hyy = new Float64Array(height * ow);
  const hxy = new Float64Array(height * ow);
  for (let r = 0; r < height; r++) {
    const base = r * width;
    const ob = r * ow;
    let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (let k = 0; k < win; k++) {
      const x = +a[base + k];
      const y = +b[base + k];
      sx += x;
      sy += y;
      sxx += x * x;
      syy += y * y;
      sxy += x * y;
    }
    for (let c = 0; ; c++) {
      hx[ob + c] = sx;
      hy[ob + c] = sy;
      hxx[ob + c] = sxx;
      hyy[ob + c] = syy;
      hxy[ob + c] = sxy;
      if (c + 1 >= ow) break;
      const xo = +a[base + c];
      const yo = +b[base + c];
      const xn = +a[base + c + win];
      const yn = +b[base + c + win];
      sx += xn - xo;
      sy += yn - yo;
      sxx += xn * xn - xo * xo;
      syy += yn * yn - yo * yo;
      sxy += xn * yn - xo * yo;
    }
  }
  const vx0 = new Float64Array(ow);
  const vy0 = new Float64Array(ow);
  const vxx = new Float64Array(ow);
  const vyy = new Float64Array(ow);
  const vxy = new Float64Array(ow);
  for (let k = 0; k < win; k++) {
    const o = k * ow;
    for (let c = 0; c < ow; c++) {
      vx0[c] += hx[o + c];
      vy0[c] += hy[o + c];
      vxx[c] += hxx[o + c];
      vyy[c] += hyy[o + c];
      vxy[c] += hxy[o + c];
    }
  }
  let total = 0;
  for (let r = 0; r < oh; r++) {
    for (let c = 0; c < ow; c++) {
      const ux = vx0[c] / NP;
      const uy = vy0[c] / NP;
      const vx = covNorm * (vxx[c] / NP - ux * ux);
      const vy = covNorm * (vyy[c] / NP - uy * uy);
      const vxy_ = covNorm * (vxy[c] / NP - ux * uy);
      const A1 = 2 * ux * uy + C1;
      const A2 = 2 * vxy_ + C2;
      const B1 = ux * ux + uy * uy + C1;
      const B2 = vx + vy + C2;
      total += (A1 * A2) / (B1 * B2);
    }
    if (r + 1 >= oh) break;
    const oOld = r * ow;
    const oNew = (r + win) * ow;
    for (let c = 0; c < ow; c++) {
      vx0[c] += hx[oNew + c] - hx[oOld + c];
      vy0[c] += hy[oNew + c] - hy[oOld + c];
      vxx[c] += hxx[oNew + c] - hxx[oOld + c];
      vyy[c] += hyy[oNew + c] - hyy[oOld + c];
      vxy[c] += hxy[oNew + c] - hxy[oOld + c];
    }
  }
  return total / (oh * ow);
}
