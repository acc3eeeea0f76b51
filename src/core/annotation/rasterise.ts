/**
 * Boxes -> binary masks (SPEC section 4).
 *
 * Boxes are [x0, y0, x1, y1] in original-image pixel-edge coordinates: pixel (col i, row j) is the
 * unit square [i, i+1) x [j, j+1), so a box from 0 to 10 covers pixels 0..9.
 *
 * Fractional edges: a pixel is covered when its CENTRE (i + 0.5, j + 0.5) lies in the half-open box
 * [x0, x1) x [y0, y1). So column i is covered for ceil(x0 - 0.5) <= i < ceil(x1 - 0.5): an edge at
 * 2.5 exactly includes pixel 2 on the left side (x0 = 2.5) and excludes it on the right side
 * (x1 = 2.5). Two boxes that share an edge never both cover a pixel along it, and a box narrower
 * than a pixel may cover nothing. Boxes given with x1 < x0 (or y1 < y0) are normalised; parts
 * outside the image are clipped.
 */
import type { BoxCoords } from '../study/types';

/** First and one-past-last pixel index covered along one axis, clipped to [0, size]. */
export function coveredRange(e0: number, e1: number, size: number): [number, number] {
  const lo = Math.min(e0, e1);
  const hi = Math.max(e0, e1);
  let a = Math.ceil(lo - 0.5);
  let b = Math.ceil(hi - 0.5);
  if (!(a > 0)) a = 0; // also catches NaN
  if (!(b < size)) b = size;
  if (!(b > a)) return [0, 0];
  return [a, b];
}

/**
 * Rasterises boxes into a binary mask (1 inside any box, 0 elsewhere), row-major width x height.
 * Pass `out` to reuse a buffer (it is cleared first).
 */
export function rasterizeBoxes(boxes: readonly BoxCoords[], width: number, height: number, out?: Uint8Array): Uint8Array {
  const n = width * height;
  const mask = out && out.length === n ? out : new Uint8Array(n);
  if (out === mask) mask.fill(0);
  for (const b of boxes) {
    const [c0, c1] = coveredRange(b[0], b[2], width);
    const [r0, r1] = coveredRange(b[1], b[3], height);
    if (c1 <= c0 || r1 <= r0) continue;
    for (let r = r0; r < r1; r++) mask.fill(1, r * width + c0, r * width + c1);
  }
  return mask;
}
