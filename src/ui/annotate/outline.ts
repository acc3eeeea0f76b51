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
  const w = c1 - c0;
  // a copy of the region with a one-pixel empty border, so the scans below need no bounds checks
  const W = w + 2, H = r1 - r0 + 2;
  const m = new Uint8Array(W * H);
  for (let y = r0; y < r1; y++) {
    const src = y * width + c0, dst = (y - r0 + 1) * W + 1;
    for (let x = 0; x < w; x++) m[dst + x] = mask[src + x] !== 0 ? 1 : 0;
  }
  // vertical edges at x = c0 + k (k = 0..w), runs along y tracked per column
  const open = new Int32Array(w + 1).fill(-1);
  for (let j = 1; j < H; j++) {
    const row = j * W;
    for (let k = 0; k <= w; k++) {
      const edge = j < H - 1 && m[row + k] !== m[row + k + 1];
      if (edge) { if (open[k] < 0) open[k] = j - 1; }
      else if (open[k] >= 0) { segs.push([c0 + k, r0 + open[k], c0 + k, r0 + j - 1]); open[k] = -1; }
    }
  }
  // horizontal edges at y = r0 + j - 1 (between padded rows j-1 and j), runs along x
  for (let j = 1; j < H; j++) {
    const up = (j - 1) * W + 1, dn = j * W + 1;
    let start = -1;
    for (let k = 0; k <= w; k++) {
      const edge = k < w && m[up + k] !== m[dn + k];
      if (edge) { if (start < 0) start = k; }
      else if (start >= 0) { segs.push([c0 + start, r0 + j - 1, c0 + k, r0 + j - 1]); start = -1; }
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
