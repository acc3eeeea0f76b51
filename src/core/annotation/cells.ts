/**
 * Boxes -> a grid of cells (coordinate compression). Every box edge (in covered-pixel indices, see
 * rasterise.ts) becomes a breakpoint, so each cell is either wholly inside or wholly outside each
 * box, and a reader's coverage is one bit per cell. Consensus and agreement from boxes then cost
 * O(cells x readers) plus writing the output, instead of a pass per reader over every pixel.
 */
import type { BoxCoords } from '../study/types';
import { coveredRange } from './rasterise';
import { MetricError } from '../metrics/errors';

export interface BoxCells {
  /** Column breakpoints 0 = x[0] < ... < x[nx] = width; cell column k spans [x[k], x[k+1]). */
  xs: number[];
  ys: number[];
  /** cover[j * (xs.length - 1) + k]: bit r set when reader r covers the cell (row band j, column k). */
  cover: Uint32Array;
  readers: number;
}

export function boxCells(boxesByReader: readonly (readonly BoxCoords[])[], width: number, height: number): BoxCells {
  if (boxesByReader.length > 32) throw new MetricError('BAD_INPUT_READERS', `box cells: at most 32 readers per case; found ${boxesByReader.length}`);
  const spans = boxesByReader.map((boxes) =>
    boxes
      .map((b) => {
        const [c0, c1] = coveredRange(b[0], b[2], width);
        const [r0, r1] = coveredRange(b[1], b[3], height);
        return [c0, c1, r0, r1] as const;
      })
      .filter(([c0, c1, r0, r1]) => c1 > c0 && r1 > r0),
  );
  const xset = new Set<number>([0, width]);
  const yset = new Set<number>([0, height]);
  for (const s of spans) for (const [c0, c1, r0, r1] of s) {
    xset.add(c0);
    xset.add(c1);
    yset.add(r0);
    yset.add(r1);
  }
  const xs = [...xset].sort((a, b) => a - b);
  const ys = [...yset].sort((a, b) => a - b);
  const nx = xs.length - 1;
  const ny = ys.length - 1;
  const cover = new Uint32Array(Math.max(0, nx * ny));
  const xi = new Map(xs.map((x, i) => [x, i]));
  const yi = new Map(ys.map((y, i) => [y, i]));
  spans.forEach((s, r) => {
    const bit = (1 << r) >>> 0;
    for (const [c0, c1, r0, r1] of s) {
      const k0 = xi.get(c0)!;
      const k1 = xi.get(c1)!;
      for (let j = yi.get(r0)!; j < yi.get(r1)!; j++) for (let k = k0; k < k1; k++) cover[j * nx + k] |= bit;
    }
  });
  return { xs, ys, cover, readers: boxesByReader.length };
}

export function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Writes the consensus (>= quorum readers) into a width x height mask: row bands filled once, then copied. */
export function cellsToMask(cells: BoxCells, width: number, height: number, quorum: number, out?: Uint8Array): Uint8Array {
  const mask = out ?? new Uint8Array(width * height);
  if (out) mask.fill(0);
  const { xs, ys, cover } = cells;
  const nx = xs.length - 1;
  for (let j = 0; j < ys.length - 1; j++) {
    const y0 = ys[j];
    const y1 = ys[j + 1];
    let any = false;
    for (let k = 0; k < nx; k++) {
      if (popcount(cover[j * nx + k]) >= quorum) {
        mask.fill(1, y0 * width + xs[k], y0 * width + xs[k + 1]);
        any = true;
      }
    }
    if (!any) continue;
    for (let y = y0 + 1; y < y1; y++) mask.copyWithin(y * width, y0 * width, (y0 + 1) * width);
  }
  return mask;
}
