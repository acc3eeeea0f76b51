/**
 * Readers' regions (boxes and polygons) -> masks, consensus and agreement. A polygon counts exactly
 * like a box: it is rasterised to the pixels whose centres it holds and joins the reader's mask.
 * Where no reader drew a polygon the box fast paths (cells.ts) are used unchanged.
 */
import { isPolygon, type BoxCoords, type PolygonCoords, type RegionCoords } from '../study/types';
import { rasterizeBoxes } from './rasterise';
import { fillPolygon, polygonBounds } from './polygon';
import { consensusFromBoxes, consensusMask } from './consensus';
import { readerAgreement, readerAgreementFromBoxes, type ReaderAgreement } from './agreement';

export function splitRegions(regions: readonly RegionCoords[]): { boxes: BoxCoords[]; polygons: PolygonCoords[] } {
  const boxes: BoxCoords[] = [];
  const polygons: PolygonCoords[] = [];
  for (const r of regions) {
    if (isPolygon(r)) polygons.push(r);
    else boxes.push(r);
  }
  return { boxes, polygons };
}

const hasPolygon = (lists: Iterable<readonly RegionCoords[]>) => {
  for (const l of lists) if (l.some(isPolygon)) return true;
  return false;
};

/** One reader's regions as a binary mask (1 where any region covers the pixel centre). */
export function rasterizeRegions(regions: readonly RegionCoords[], width: number, height: number, out?: Uint8Array): Uint8Array {
  const { boxes, polygons } = splitRegions(regions);
  const mask = rasterizeBoxes(boxes, width, height, out);
  for (const p of polygons) fillPolygon(mask, width, height, p.polygon);
  return mask;
}

/** Consensus (>= quorum readers cover the pixel) of each reader's regions; equal to consensusMask of rasterizeRegions. */
export function consensusFromRegions(regionsByReader: readonly (readonly RegionCoords[])[], width: number, height: number, quorum = 2): Uint8Array {
  if (!hasPolygon(regionsByReader)) return consensusFromBoxes(regionsByReader as BoxCoords[][], width, height, quorum);
  return consensusMask(regionsByReader.map((r) => rasterizeRegions(r, width, height)), quorum, width * height);
}

/** readerAgreement (SPEC section 4) of each reader's regions on a width x height grid. */
export function readerAgreementFromRegions(regionsByReader: Record<string, readonly RegionCoords[]>, width: number, height: number, quorum = 2): ReaderAgreement {
  if (!hasPolygon(Object.values(regionsByReader))) return readerAgreementFromBoxes(regionsByReader as Record<string, BoxCoords[]>, width, height, quorum);
  const masks: Record<string, Uint8Array> = {};
  for (const [r, regions] of Object.entries(regionsByReader)) masks[r] = rasterizeRegions(regions, width, height);
  return readerAgreement(masks, quorum);
}

/** Bounding box [x0, y0, x1, y1] of a region (a box normalised; a polygon's vertices). */
export function regionBounds(r: RegionCoords): [number, number, number, number] {
  if (isPolygon(r)) return polygonBounds(r.polygon);
  return [Math.min(r[0], r[2]), Math.min(r[1], r[3]), Math.max(r[0], r[2]), Math.max(r[1], r[3])];
}

/**
 * The smallest canvas from the origin that holds every region: [ceil(max x), ceil(max y)] (at least
 * 1 x 1). Used when a reader file comes without its image: overlap figures (IoU, Dice) do not
 * depend on it; figures that count every pixel (pixel error, Fleiss' kappa) are then over this canvas.
 */
export function regionsCanvas(regions: Iterable<RegionCoords>): { width: number; height: number } {
  let w = 1, h = 1;
  for (const r of regions) {
    const [, , x1, y1] = regionBounds(r);
    if (Number.isFinite(x1)) w = Math.max(w, Math.ceil(x1));
    if (Number.isFinite(y1)) h = Math.max(h, Math.ceil(y1));
  }
  return { width: w, height: h };
}
