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
  const out = new Float64Array(height * width);
  const at = (r: number, c: number) => +image[reflect(r, height) * width + reflect(c, width)];
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const a = at(r - 1, c - 1), b = at(r - 1, c), d = at(r - 1, c + 1);
      const e = at(r, c - 1), f = at(r, c + 1);
      const g = at(r + 1, c - 1), h = at(r + 1, c), k = at(r + 1, c + 1);
      // Derivative across rows (smoothed along columns) and across columns (smoothed along rows).
      const gr = (g + 2 * h + k - (a + 2 * b + d)) / 4;
      const gc = (d + 2 * f + k - (a + 2 * e + g)) / 4;
      out[r * width + c] = Math.sqrt(gr * gr + gc * gc) / Math.SQRT2;
    }
  }
  return out;
}
