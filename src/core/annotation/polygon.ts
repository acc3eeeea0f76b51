/**
 * Polygons -> binary masks, by the same pixel-centre rule as boxes (rasterise.ts).
 *
 * Pixel (col i, row j) is in when its centre (i + 0.5, j + 0.5) is inside the polygon by the
 * even-odd rule (a ray from the centre crosses the outline an odd number of times), so a
 * self-intersecting star leaves its centre pentagon empty. Boundary points follow the box
 * convention: an edge crosses row j when y0 <= yc < y1 (half-open in y), and a centre is in a span
 * when xa <= xc < xb (half-open in x). A rectangle given as a polygon therefore covers exactly the
 * pixels of the same box, and two polygons sharing an edge never both cover a pixel along it.
 *
 * scikit-image's draw.polygon puts pixel centres on integer coordinates and counts points on the
 * outline as inside; with vertices shifted by -0.5 it agrees with this rule wherever no pixel
 * centre lies exactly on the outline (tested against it on random polygons).
 */
import type { PolygonCoords } from '../study/types';

/** Bounding box of a polygon's vertices [minX, minY, maxX, maxY]; NaN-free polygons only. */
export function polygonBounds(points: ReadonlyArray<readonly [number, number]>): [number, number, number, number] {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of points) {
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return [x0, y0, x1, y1];
}

/**
 * Sets to 1 the pixels of `mask` (width x height, row-major) whose centres are inside the polygon
 * (even-odd). Pixels already set stay set, so several polygons of one reader give their union.
 * Fewer than 3 vertices, or non-finite coordinates, cover nothing. Cost: O(rows x edges).
 */
export function fillPolygon(mask: Uint8Array, width: number, height: number, points: ReadonlyArray<readonly [number, number]>): void {
  const n = points.length;
  if (n < 3) return;
  for (const [x, y] of points) if (!Number.isFinite(x) || !Number.isFinite(y)) return;
  const [, minY, , maxY] = polygonBounds(points);
  const r0 = Math.max(0, Math.ceil(minY - 0.5));
  const r1 = Math.min(height, Math.ceil(maxY - 0.5));
  const xs: number[] = [];
  for (let j = r0; j < r1; j++) {
    const yc = j + 0.5;
    xs.length = 0;
    for (let k = 0; k < n; k++) {
      const [ax, ay] = points[k];
      const [bx, by] = points[(k + 1) % n];
      // half-open crossing: the edge's lower end counts, its upper end does not (horizontal edges never cross)
      if ((ay <= yc) !== (by <= yc)) xs.push(ax + ((yc - ay) * (bx - ax)) / (by - ay));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      // centres i + 0.5 in [xa, xb): i from ceil(xa - 0.5) to ceil(xb - 0.5) - 1, clipped
      const c0 = Math.max(0, Math.ceil(xs[k] - 0.5));
      const c1 = Math.min(width, Math.ceil(xs[k + 1] - 0.5));
      if (c1 > c0) mask.fill(1, j * width + c0, j * width + c1);
    }
  }
}

/** Rasterises polygons into a binary mask (their union; each polygon filled even-odd). */
export function rasterizePolygons(polygons: readonly PolygonCoords[], width: number, height: number, out?: Uint8Array): Uint8Array {
  const mask = out && out.length === width * height ? out : new Uint8Array(width * height);
  if (out === mask) mask.fill(0);
  for (const p of polygons) fillPolygon(mask, width, height, p.polygon);
  return mask;
}
