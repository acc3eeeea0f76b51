import { consensusFromBoxes, consensusFromRegions, coveredRange, polygonBounds, rasterizeRegions, readerAgreement, studyReaderAgreement, type ReaderAgreement } from '../../core/annotation';
import type { BoxCoords, RegionCoords } from '../../core/study/types';
import type { Box, Polygon } from '../../state/db';
import { fleissKappaBinary } from '../../core/metrics/fleiss';
import { boxesRegion, maskOutline } from './outline';

export const toCoords = (boxes: Box[]): BoxCoords[] => boxes.map((b) => [b.x0, b.y0, b.x1, b.y1]);

/** Polygons by reader (imported from VIA or COCO; drawn, not edited). */
export type PolygonsByReader = Record<string, Polygon[] | undefined>;

/** The pixel region holding every box and polygon (with a one-pixel margin), clipped to the image. */
function regionsRegion(boxes: Box[], polygons: Polygon[], width: number, height: number) {
  const asBoxes = polygons.map((q) => {
    const [x0, y0, x1, y1] = polygonBounds(q.points);
    return { x0, y0, x1, y1 };
  });
  return boxesRegion([...boxes, ...asBoxes], width, height);
}

/** One reader's boxes and polygons as core regions, shifted by (-dx, -dy). */
function shiftedRegions(boxes: Box[], polygons: Polygon[] | undefined, dx: number, dy: number): RegionCoords[] {
  return [
    ...boxes.map((b): RegionCoords => [b.x0 - dx, b.y0 - dy, b.x1 - dx, b.y1 - dy]),
    ...(polygons ?? []).map((q): RegionCoords => ({ polygon: q.points.map(([x, y]) => [x - dx, y - dy] as [number, number]) })),
  ];
}

/**
 * Consensus outline when some reader has polygons: core's consensus of all regions on the pixel
 * region that holds them (the mask is empty outside it), outlined and shifted back.
 */
function regionsConsensusOutline(boxesByReader: Record<string, Box[]>, polygonsByReader: PolygonsByReader, readers: string[], width: number, height: number, quorum: number): number[][] {
  const reg = regionsRegion(readers.flatMap((r) => boxesByReader[r]), readers.flatMap((r) => polygonsByReader[r] ?? []), width, height);
  const rw = reg.c1 - reg.c0, rh = reg.r1 - reg.r0;
  if (rw <= 0 || rh <= 0) return [];
  const mask = consensusFromRegions(readers.map((r) => shiftedRegions(boxesByReader[r], polygonsByReader[r], reg.c0, reg.r0)), rw, rh, quorum);
  return maskOutline(mask, rw, rh).map(([a, b, c, d]) => [a + reg.c0, b + reg.r0, c + reg.c0, d + reg.r0]);
}

/**
 * The consensus outline of one case, in image pixel edges. Core decides which pixels a box covers
 * (coveredRange, the pixel-centre rule) and which are in the consensus (consensusFromBoxes); the
 * mask is computed on the grid of the covered ranges' own ends (every pixel of a grid cell has the
 * same coverage), so the cost depends on the number of boxes, not on the image size. The result is
 * exactly the outline of core's full-resolution consensus mask (tested).
 */
export function consensusOutline(lists: BoxCoords[][], width: number, height: number, quorum: number): number[][] {
  const ranges = lists.map((l) => l.map((b) => [coveredRange(b[0], b[2], width), coveredRange(b[1], b[3], height)] as const).filter(([x, y]) => x[1] > x[0] && y[1] > y[0]));
  const xs = [...new Set(ranges.flat().flatMap(([x]) => x))].sort((a, b) => a - b);
  const ys = [...new Set(ranges.flat().flatMap(([, y]) => y))].sort((a, b) => a - b);
  if (xs.length < 2 || ys.length < 2) return [];
  const ix = new Map(xs.map((v, i) => [v, i]));
  const iy = new Map(ys.map((v, i) => [v, i]));
  const cells = ranges.map((l) => l.map(([x, y]): BoxCoords => [ix.get(x[0])!, iy.get(y[0])!, ix.get(x[1])!, iy.get(y[1])!]));
  const gw = xs.length - 1, gh = ys.length - 1;
  const mask = consensusFromBoxes(cells, gw, gh, quorum);
  return maskOutline(mask, gw, gh).map(([a, b, c, d]) => [xs[a], ys[b], xs[c], ys[d]]);
}

/**
 * Reader agreement of one case from core. Every mask is empty outside the boxes' bounding region, so
 * core works on that region only and the figures that count the whole image are completed here:
 * the pixels outside are "nobody" pixels (added to pixelCounts[0] before core's Fleiss' kappa) and
 * pixel error is rescaled to the whole image. Equal to the full-resolution computation (tested).
 */
export interface CaseFigures {
  /** Mean over readers who drew of IoU with the consensus including themselves (the journal's optimistic figure). */
  readerVsConsensusIoU: number;
  /** The same against the other readers' consensus (leave-one-out). */
  readerVsOthersIoU: number;
}

export function caseAgreement(boxesByReader: Record<string, Box[]>, width: number, height: number, quorum: number, polygonsByReader: PolygonsByReader = {}): { agreement: ReaderAgreement | null; figures: CaseFigures | null; ms: number } {
  const t0 = performance.now();
  const readers = Object.keys(boxesByReader).sort();
  if (readers.length < 2) return { agreement: null, figures: null, ms: 0 };
  let reg = regionsRegion(readers.flatMap((r) => boxesByReader[r]), readers.flatMap((r) => polygonsByReader[r] ?? []), width, height);
  if (reg.c1 <= reg.c0 || reg.r1 <= reg.r0) reg = { c0: 0, r0: 0, c1: 1, r1: 1 };
  const rw = reg.c1 - reg.c0, rh = reg.r1 - reg.r0;
  const masks: Record<string, Uint8Array> = {};
  const regions: Record<string, RegionCoords[]> = {};
  for (const r of readers) {
    regions[r] = shiftedRegions(boxesByReader[r], polygonsByReader[r], reg.c0, reg.r0);
    masks[r] = rasterizeRegions(regions[r], rw, rh);
  }
  const q = Math.max(1, Math.min(quorum, 255));
  const a = readerAgreement(masks, q);
  // IoU does not depend on the canvas: the pixel region is enough for these two
  const s = studyReaderAgreement([{ id: 'case', width: rw, height: rh, readers: regions }], q).cases[0];
  const figures: CaseFigures = { readerVsConsensusIoU: s.readerVsConsensusIoU, readerVsOthersIoU: s.readerVsOthersIoU };
  const hist = [...a.pixelCounts];
  hist[0] += width * height - rw * rh;
  const scale = (rw * rh) / (width * height);
  const agreement: ReaderAgreement = {
    ...a,
    pairs: a.pairs.map((p) => ({ ...p, pixelError: p.pixelError * scale })),
    meanPixelError: a.meanPixelError * scale,
    pixelCounts: hist,
    fleissKappa: fleissKappaBinary([{ raters: readers.length, hist }]),
  };
  return { agreement, figures, ms: performance.now() - t0 };
}

export interface CaseConsensus {
  readers: string[];
  quorum: number;
  outline: number[][];
  msConsensus: number;
}

/** Consensus (live, cheap) of one case: who counts, and the outline. */
export function caseConsensus(boxesByReader: Record<string, Box[]>, width: number, height: number, quorum: number, polygonsByReader: PolygonsByReader = {}): CaseConsensus {
  const t0 = performance.now();
  const readers = Object.keys(boxesByReader).sort();
  const q = Math.max(1, Math.min(quorum, 255));
  const withPolygons = readers.some((r) => polygonsByReader[r]?.length);
  const outline = readers.length < q ? [] : withPolygons ? regionsConsensusOutline(boxesByReader, polygonsByReader, readers, width, height, q) : consensusOutline(readers.map((r) => toCoords(boxesByReader[r])), width, height, q);
  return { readers, quorum: q, outline, msConsensus: performance.now() - t0 };
}
