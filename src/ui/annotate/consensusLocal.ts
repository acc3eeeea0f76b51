import type { Box } from '../../state/db';

/**
 * Display only: the outline of the region covered by at least `quorum` readers, computed exactly
 * on the grid of the boxes' own edges (no rasterising, so it costs the same at any image size).
 * Each reader counts once where their own boxes overlap. Returns merged straight segments
 * [x0, y0, x1, y1] in image pixels.
 */
export function consensusOutline(readers: Box[][], quorum: number): { segments: number[][]; area: number } {
  const all = readers.flat();
  if (!all.length) return { segments: [], area: 0 };
  const xs = [...new Set(all.flatMap((b) => [b.x0, b.x1]))].sort((a, b) => a - b);
  const ys = [...new Set(all.flatMap((b) => [b.y0, b.y1]))].sort((a, b) => a - b);
  const nx = xs.length - 1, ny = ys.length - 1;
  if (nx < 1 || ny < 1) return { segments: [], area: 0 };
  const count = new Uint16Array(nx * ny);
  const mine = new Uint8Array(nx * ny);
  const ix = new Map(xs.map((v, i) => [v, i]));
  const iy = new Map(ys.map((v, i) => [v, i]));
  for (const boxes of readers) {
    mine.fill(0);
    for (const b of boxes) {
      const i0 = ix.get(b.x0)!, i1 = ix.get(b.x1)!, j0 = iy.get(b.y0)!, j1 = iy.get(b.y1)!;
      for (let j = j0; j < j1; j++) for (let i = i0; i < i1; i++) mine[j * nx + i] = 1;
    }
    for (let k = 0; k < mine.length; k++) count[k] += mine[k];
  }
  const inside = (i: number, j: number) => i >= 0 && j >= 0 && i < nx && j < ny && count[j * nx + i] >= quorum;
  const segments: number[][] = [];
  let area = 0;
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if (inside(i, j)) area += (xs[i + 1] - xs[i]) * (ys[j + 1] - ys[j]);
  // vertical boundaries at xs[i], merged along y
  for (let i = 0; i <= nx; i++) {
    let start = -1;
    for (let j = 0; j <= ny; j++) {
      const edge = j < ny && inside(i - 1, j) !== inside(i, j);
      if (edge && start < 0) start = j;
      if (!edge && start >= 0) { segments.push([xs[i], ys[start], xs[i], ys[j]]); start = -1; }
    }
  }
  // horizontal boundaries at ys[j], merged along x
  for (let j = 0; j <= ny; j++) {
    let start = -1;
    for (let i = 0; i <= nx; i++) {
      const edge = i < nx && inside(i, j - 1) !== inside(i, j);
      if (edge && start < 0) start = i;
      if (!edge && start >= 0) { segments.push([xs[start], ys[j], xs[i], ys[j]]); start = -1; }
    }
  }
  return { segments, area };
}
