/**
 * Edge-detector baseline map (SPEC 5.1 baselines): Sobel gradient magnitude as
 * skimage.filters.sobel (0.19): sqrt((gx^2 + gy^2) / 2) with kernels [1, 0, -1] x [1, 2, 1] / 4 and
 * 'reflect' borders (d c b a | a b c d), no masking.
 */
import { MetricError } from './errors';

/** scipy.ndimage 'reflect' index (half-sample symmetric). */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n;
  let k = i % period;
  if (k < 0) k += period;
  return k < n ? k : period - 1 - k;
}

export function sobelMagnitude(image: ArrayLike<number>, height: number, width: number): Float64Array {
  if (image.length !== height * width) throw new MetricError('BAD_INPUT_SHAPE', `sobel: expected ${height}x${width} = ${height * width} values, found ${image.length}`);
  // Copy into a frame padded by one pixel with 'reflect' borders, then a branch-free 3x3 pass.
  const pw = width + 2;
  const p = new Float64Array((height + 2) * pw);
  for (let r = -1; r <= height; r++) {
    const sr = reflect(r, height) * width;
    const o = (r + 1) * pw;
    for (let c = -1; c <= width; c++) p[o + c + 1] = +image[sr + reflect(c, width)];
  }
  const out = new Float64Array(height * width);
  for (let r = 0; r < height; r++) {
    const up = r * pw;
    const mid = up + pw;
    const dn = mid + pw;
    for (let c = 0; c < width; c++) {
      const a = p[up + c], b = p[up + c + 1], d = p[up + c + 2];
      const e = p[mid + c], f = p[mid + c + 2];
      const g = p[dn + c], h = p[dn + c + 1], k = p[dn + c + 2];
      // Derivative across rows (smoothed along columns) and across columns (smoothed along rows).
      const gr = (g + 2 * h + k - (a + 2 * b + d)) / 4;
      const gc = (d + 2 * f + k - (a + 2 * e + g)) / 4;
      out[r * width + c] = Math.sqrt(gr * gr + gc * gc) / Math.SQRT2;
    }
  }
  return out;
}
