/**
 * Reader agreement for one case (SPEC section 4), from each finished reader's binary mask.
 *
 * - pairs: IoU, Dice and pixel error for every pair of readers; means over the pairs.
 * - fleissKappa: Fleiss' kappa at pixel level for THIS case (items = pixels, categories in/out).
 *   `pixelCounts` (how many pixels exactly c readers marked) lets callers pool cases:
 *   pooledReaderAgreement gives the POOLED kappa over all pixels of all cases.
 * - vsOthers: each reader against the consensus of the OTHER readers (quorum capped at the number
 *   of others, so with two others and quorum 2 it is their intersection; with one other it is that
 *   reader). This is the honest figure.
 * - vsAllIncludingSelf: each reader against the consensus of all readers, themselves included
 *   (optimistic: the journal paper's 0.613 reader-vs-consensus figure was computed this way).
 *
 * IoU and Dice of two empty masks are 1 (see metrics/segmentation.ts).
 */
import { overlapMetrics } from '../metrics/segmentation';
import { fleissKappaBinary } from '../metrics/fleiss';
import { coverageCounts } from './consensus';
import { boxCells, popcount } from './cells';
import type { BoxCoords } from '../study/types';
import { words } from '../metrics/maskWords';

/**
 * Overlap of one reader's mask with a consensus thresholded from the coverage counts, without
 * building the consensus: cons = (counts - (self ? 0 : mask)) >= quorum. Word-at-a-time.
 */
function overlapWithConsensus(counts: Uint8Array, mask: Uint8Array, quorum: number, excludeSelf: boolean): { iou: number; dice: number } {
  const n = counts.length;
  let both = 0;
  let na = 0;
  let nb = 0;
  const wc = words(counts);
  const wm = words(mask);
  let start = 0;
  if (wc && wm && quorum <= 127) {
    const add = Math.imul(128 - quorum, 0x01010101) | 0;
    for (let i = 0; i < wc.length; i++) {
      let c = wc[i] | 0;
      if (c === 0) continue;
      const x = wm[i] | 0;
      let m = x | (x >> 4);
      m |= m >> 2;
      m |= m >> 1;
      m &= 0x01010101;
      if (excludeSelf) c = (c - m) | 0; // no borrow: counts >= own mask in every byte
      const cons = ((c + add) >>> 7) & 0x01010101;
      na += Math.imul(m, 0x01010101) >>> 24;
      nb += Math.imul(cons, 0x01010101) >>> 24;
      both += Math.imul(m & cons, 0x01010101) >>> 24;
    }
    start = wc.length * 4;
  }
  for (let i = start; i < n; i++) {
    const m = mask[i] !== 0 ? 1 : 0;
    const cons = counts[i] - (excludeSelf ? m : 0) >= quorum;
    na += m;
    if (cons) {
      nb++;
      both += m;
    }
  }
  const union = na + nb - both;
  return { iou: union === 0 ? 1 : both / union, dice: na + nb === 0 ? 1 : (2 * both) / (na + nb) };
}

/** hist[c] = number of pixels with coverage count c. */
function countHistogram(counts: Uint8Array, readers: number): number[] {
  const hist = new Array<number>(readers + 1).fill(0);
  const wc = words(counts);
  let start = 0;
  if (wc) {
    let zeros = 0;
    for (let i = 0; i < wc.length; i++) {
      const c = wc[i];
      if (c === 0) {
        zeros += 4;
        continue;
      }
      hist[c & 0xff]++;
      hist[(c >>> 8) & 0xff]++;
      hist[(c >>> 16) & 0xff]++;
      hist[c >>> 24]++;
    }
    hist[0] += zeros;
    start = wc.length * 4;
  }
  for (let i = start; i < counts.length; i++) hist[counts[i]]++;
  return hist;
}

export interface PairAgreement {
  a: string;
  b: string;
  iou: number;
  dice: number;
  pixelError: number;
}

export interface ReaderAgreement {
  readers: string[];
  quorum: number;
  pairs: PairAgreement[];
  /** Means over pairs; NaN with fewer than two readers. */
  meanIoU: number;
  meanDice: number;
  meanPixelError: number;
  /** Fleiss' kappa at pixel level, per case (this case's pixels only). NaN when undefined. */
  fleissKappa: number;
  /** pixelCounts[c] = number of pixels marked by exactly c readers (for pooling). */
  pixelCounts: number[];
  /** Each reader vs the consensus of the other readers. */
  vsOthers: Record<string, { iou: number; dice: number }>;
  /** Each reader vs the consensus including themselves (optimistic). */
  vsAllIncludingSelf: Record<string, { iou: number; dice: number }>;
}

const mean = (xs: number[]): number => (xs.length === 0 ? NaN : xs.reduce((s, x) => s + x, 0) / xs.length);

export function readerAgreement(masksByReader: Record<string, Uint8Array>, quorum = 2): ReaderAgreement {
  const readers = Object.keys(masksByReader).sort();
  const masks = readers.map((r) => masksByReader[r]);
  const n = masks.length > 0 ? masks[0].length : 0;
  const counts = coverageCounts(masks, n);

  const pairs: PairAgreement[] = [];
  for (let i = 0; i < readers.length; i++) {
    for (let j = i + 1; j < readers.length; j++) {
      pairs.push({ a: readers[i], b: readers[j], ...overlapMetrics(masks[i], masks[j]) });
    }
  }

  const hist = countHistogram(counts, readers.length);
  const kappa = readers.length >= 2 ? fleissKappaBinary([{ raters: readers.length, hist }]) : NaN;

  const vsOthers: ReaderAgreement['vsOthers'] = {};
  const vsAll: ReaderAgreement['vsAllIncludingSelf'] = {};
  for (let i = 0; i < readers.length; i++) {
    const nOthers = readers.length - 1;
    if (nOthers > 0) vsOthers[readers[i]] = overlapWithConsensus(counts, masks[i], Math.min(quorum, nOthers), true);
    vsAll[readers[i]] = overlapWithConsensus(counts, masks[i], quorum, false);
  }

  return {
    readers,
    quorum,
    pairs,
    meanIoU: mean(pairs.map((p) => p.iou)),
    meanDice: mean(pairs.map((p) => p.dice)),
    meanPixelError: mean(pairs.map((p) => p.pixelError)),
    fleissKappa: kappa,
    pixelCounts: hist,
    vsOthers,
    vsAllIncludingSelf: vsAll,
  };
}

/** Agreement over a study: means of the per-case figures and the POOLED pixel-level Fleiss' kappa. */
export interface PooledReaderAgreement {
  cases: number;
  meanIoU: number;
  meanDice: number;
  meanPixelError: number;
  /** Mean of the per-case kappas (cases where it is defined). */
  meanCaseFleissKappa: number;
  /** Fleiss' kappa over all pixels of all cases pooled. */
  pooledFleissKappa: number;
  /** Mean over cases and readers of reader vs others' consensus. */
  vsOthers: { iou: number; dice: number };
  /** Mean over cases and readers of reader vs consensus including themselves (optimistic). */
  vsAllIncludingSelf: { iou: number; dice: number };
}

export function pooledReaderAgreement(perCase: readonly ReaderAgreement[]): PooledReaderAgreement {
  const finite = (xs: number[]) => mean(xs.filter((x) => Number.isFinite(x)));
  const vo = perCase.flatMap((c) => Object.values(c.vsOthers));
  const va = perCase.flatMap((c) => Object.values(c.vsAllIncludingSelf));
  return {
    cases: perCase.length,
    meanIoU: finite(perCase.map((c) => c.meanIoU)),
    meanDice: finite(perCase.map((c) => c.meanDice)),
    meanPixelError: finite(perCase.map((c) => c.meanPixelError)),
    meanCaseFleissKappa: finite(perCase.map((c) => c.fleissKappa)),
    pooledFleissKappa: fleissKappaBinary(perCase.map((c) => ({ raters: c.readers.length, hist: c.pixelCounts }))),
    vsOthers: { iou: mean(vo.map((v) => v.iou)), dice: mean(vo.map((v) => v.dice)) },
    vsAllIncludingSelf: { iou: mean(va.map((v) => v.iou)), dice: mean(va.map((v) => v.dice)) },
  };
}

/**
 * readerAgreement computed from each finished reader's boxes through the box cells (cells.ts):
 * exact pixel counts from cell areas, no per-pixel pass; the same result as readerAgreement of the
 * rasterised masks. At most 32 readers.
 */
export function readerAgreementFromBoxes(boxesByReader: Record<string, readonly BoxCoords[]>, width: number, height: number, quorum = 2): ReaderAgreement {
  const readers = Object.keys(boxesByReader).sort();
  const k = readers.length;
  const cells = boxCells(readers.map((r) => boxesByReader[r]), width, height);
  const { xs, ys, cover } = cells;
  const nx = xs.length - 1;
  const n = width * height;
  const size = new Float64Array(k);
  const inter = new Float64Array(k * k);
  const hist = new Array<number>(k + 1).fill(0);
  const qOthers = Math.min(quorum, Math.max(1, k - 1));
  const oBoth = new Float64Array(k);
  const oCons = new Float64Array(k);
  let allCons = 0;
  const aBoth = new Float64Array(k);
  for (let j = 0; j < ys.length - 1; j++) {
    const h = ys[j + 1] - ys[j];
    for (let c = 0; c < nx; c++) {
      const area = h * (xs[c + 1] - xs[c]);
      const v = cover[j * nx + c];
      const cnt = popcount(v);
      hist[cnt] += area;
      if (v === 0) continue;
      const inAll = cnt >= quorum;
      if (inAll) allCons += area;
      for (let a = 0; a < k; a++) {
        const ia = (v >>> a) & 1;
        if (ia) {
          size[a] += area;
          for (let b = a + 1; b < k; b++) if ((v >>> b) & 1) inter[a * k + b] += area;
          if (inAll) aBoth[a] += area;
        }
        if (cnt - ia >= qOthers) {
          oCons[a] += area;
          if (ia) oBoth[a] += area;
        }
      }
    }
  }
  const ratio = (both: number, sa: number, sb: number) => {
    const union = sa + sb - both;
    return { iou: union === 0 ? 1 : both / union, dice: sa + sb === 0 ? 1 : (2 * both) / (sa + sb) };
  };
  const pairs: PairAgreement[] = [];
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      const both = inter[a * k + b];
      pairs.push({ a: readers[a], b: readers[b], ...ratio(both, size[a], size[b]), pixelError: n === 0 ? NaN : (size[a] + size[b] - 2 * both) / n });
    }
  }
  const vsOthers: ReaderAgreement['vsOthers'] = {};
  const vsAll: ReaderAgreement['vsAllIncludingSelf'] = {};
  for (let a = 0; a < k; a++) {
    if (k > 1) vsOthers[readers[a]] = ratio(oBoth[a], size[a], oCons[a]);
    vsAll[readers[a]] = ratio(aBoth[a], size[a], allCons);
  }
  return {
    readers,
    quorum,
    pairs,
    meanIoU: mean(pairs.map((p) => p.iou)),
    meanDice: mean(pairs.map((p) => p.dice)),
    meanPixelError: mean(pairs.map((p) => p.pixelError)),
    fleissKappa: k >= 2 ? fleissKappaBinary([{ raters: k, hist }]) : NaN,
    pixelCounts: hist,
    vsOthers,
    vsAllIncludingSelf: vsAll,
  };
}
