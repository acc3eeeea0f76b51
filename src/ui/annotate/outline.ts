/**
 * Display helper: the outline of a binary mask (the consensus from src/core/annotation) as merged
 * straight segments [x0, y0, x1, y1] on pixel edges, scanning only the given pixel region
 * (the mask is empty outside it). Row-major passes only.
 */
export interface Region { c0: number; r0: number; c1: number; r1: number }

export function maskOutline(mask: Uint8Array, width: number, height: number, region: Region = { c0: 0, r0: 0, c1: width, r1: height }): number[][] {
  const c0 = Math.max(0, region.c0), c1 = Math.min(width, region.c1);
  const r0 = Math.max(0, region.r0), r1 = Math.min(height, region.r1);
  const segs: number[][] = [];
  if (c1 <= c0 || r1 <= r0) return segs;
  const at = (x: number, y: number) => x >= c0 && x < c1 && y >= r0 && y < r1 && mask[y * width + x] !== 0;
  // vertical edges at x = c0..c1, runs along y tracked per column
  const open = new Int32Array(c1 - c0 + 1).fill(-1);
  for (let y = r0; y <= r1; y++) {
    for (let x = c0; x <= c1; x++) {
      const edge = y < r1 && at(x - 1, y) !== at(x, y);
      const k = x - c0;
      if (edge && open[k] < 0) open[k] = y;
      else if (!edge && open[k] >= 0) { segs.push([x, open[k], x, y]); open[k] = -1; }
    }
  }
  // horizontal edges at y = r0..r1, runs along x
  for (let y = r0; y <= r1; y++) {
    let start = -1;
    for (let x = c0; x <= c1; x++) {
      const edge = x < c1 && at(x, y - 1) !== at(x, y);
      if (edge && start < 0) start = x;
      else if (!edge && start >= 0) { segs.push([start, y, x, y]); start = -1; }
    }
  }
  return segs;
}

/** The pixel region any of these boxes touches (pixel-edge coordinates), padded by one pixel. */
export function boxesRegion(boxes: Array<{ x0: number; y0: number; x1: number; y1: number }>, width: number, height: number): Region {
  if (!boxes.length) return { c0: 0, r0: 0, c1: 0, r1: 0 };
  let c0 = Infinity, r0 = Infinity, c1 = -Infinity, r1 = -Infinity;
  for (const b of boxes) {
    c0 = Math.min(c0, b.x0, b.x1); c1 = Math.max(c1, b.x0, b.x1);
    r0 = Math.min(r0, b.y0, b.y1); r1 = Math.max(r1, b.y0, b.y1);
  }
  return { c0: Math.max(0, Math.floor(c0) - 1), r0: Math.max(0, Math.floor(r0) - 1), c1: Math.min(width, Math.ceil(c1) + 1), r1: Math.min(height, Math.ceil(r1) + 1) };
}
