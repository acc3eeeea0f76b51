import { consensusFromBoxes, rasterizeBoxes, readerAgreement, type ReaderAgreement } from '../../core/annotation';
import type { BoxCoords } from '../../core/study/types';
import type { Box } from '../../state/db';
import { boxesRegion, maskOutline } from './outline';

export interface CaseConsensus {
  readers: string[];
  quorum: number;
  /** Consensus outline in image pixel edges (from core's consensus mask). */
  outline: number[][];
  agreement: ReaderAgreement | null;
  /** Milliseconds spent on consensus + outline, and on the agreement figures. */
  msConsensus: number;
  msAgreement: number;
}

const coords = (boxes: Box[]): BoxCoords[] => boxes.map((b) => [b.x0, b.y0, b.x1, b.y1]);

/** Consensus mask (core), its outline (display) and the reader agreement (core) of one case. */
export function caseConsensus(boxesByReader: Record<string, Box[]>, width: number, height: number, quorum: number, withAgreement = true): CaseConsensus {
  const readers = Object.keys(boxesByReader).sort();
  const t0 = performance.now();
  const lists = readers.map((r) => coords(boxesByReader[r]));
  const q = Math.max(1, Math.min(quorum, 255));
  let outline: number[][] = [];
  if (readers.length >= q && readers.length > 0) {
    const mask = consensusFromBoxes(lists, width, height, q);
    outline = maskOutline(mask, width, height, boxesRegion(readers.flatMap((r) => boxesByReader[r]), width, height));
  }
  const t1 = performance.now();
  let agreement: ReaderAgreement | null = null;
  if (withAgreement && readers.length >= 2) {
    const masks: Record<string, Uint8Array> = {};
    for (const [i, r] of readers.entries()) masks[r] = rasterizeBoxes(lists[i], width, height);
    agreement = readerAgreement(masks, q);
  }
  return { readers, quorum: q, outline, agreement, msConsensus: t1 - t0, msAgreement: performance.now() - t1 };
}
