/**
 * Consensus (majority) masks: a pixel is marked when at least `quorum` readers cover it
 * (SPEC section 4; default 2, i.e. 2 of 3). Pass only the readers who finished the case; a reader
 * who answered "no abnormality" contributes an empty mask. With fewer readers than the quorum,
 * nothing can reach it and the consensus is empty.
 */
import type { BoxCoords } from '../study/types';
import { boxCells, cellsToMask } from './cells';
import { MetricError } from '../metrics/errors';
import { words } from '../metrics/maskWords';

function checkQuorum(quorum: number): void {
  if (!Number.isInteger(quorum) || quorum < 1) throw new MetricError('BAD_INPUT_QUORUM', `consensus: quorum must be an integer >= 1; found ${quorum}`);
}

/** Adds one to `counts` wherever `mask` is non-zero (counts must stay below 128). */
export function addMask(counts: Uint8Array, mask: Uint8Array): void {
  const len = counts.length;
  if (mask.length !== len) throw new MetricError('BAD_INPUT_SHAPE', `consensus: reader masks must share one grid; found ${mask.length} pixels where ${len} were expected`);
  const wc = words(counts);
  const wm = words(mask);
  let start = 0;
  if (wc && wm) {
    // Counts stay below 128 per byte (at most 127 readers), so word addition never carries.
    for (let i = 0; i < wm.length; i++) {
      const x = wm[i] | 0;
      if (x !== 0) {
        // nonZeroBytes, inlined: each byte becomes 1 when it was non-zero.
        let t = x | (x >> 4);
        t |= t >> 2;
        t |= t >> 1;
        wc[i] += t & 0x01010101;
      }
    }
    start = wm.length * 4;
  }
  for (let i = start; i < len; i++) counts[i] += mask[i] !== 0 ? 1 : 0;
}

function checkReaders(k: number): void {
  if (k > 127) throw new MetricError('BAD_INPUT_READERS', `consensus: at most 127 readers per case are supported; found ${k}`);
}

/** Number of readers covering each pixel. All masks must have the same length. */
export function coverageCounts(masks: readonly Uint8Array[], n?: number): Uint8Array {
  checkReaders(masks.length);
  const len = n ?? (masks.length > 0 ? masks[0].length : 0);
  const counts = new Uint8Array(len);
  for (const m of masks) addMask(counts, m);
  return counts;
}

/** Thresholds coverage counts at the quorum into a binary mask (in place into `out` if given). */
export function countsToMask(counts: Uint8Array, quorum: number, out?: Uint8Array): Uint8Array {
  checkQuorum(quorum);
  const mask = out ?? new Uint8Array(counts.length);
  const wc = words(counts);
  const wo = words(mask);
  let start = 0;
  if (wc && wo && quorum <= 127) {
    // Per byte: count + (128 - quorum) sets bit 7 exactly when count >= quorum (no carry: count <= 127).
    const add = Math.imul(128 - quorum, 0x01010101) >>> 0;
    for (let i = 0; i < wc.length; i++) {
      const x = wc[i];
      wo[i] = x === 0 ? 0 : ((x + add) >>> 7) & 0x01010101;
    }
    start = wc.length * 4;
  }
  for (let i = start; i < counts.length; i++) mask[i] = counts[i] >= quorum ? 1 : 0;
  return mask;
}

/** Consensus of binary masks (non-zero = covered). `n` gives the pixel count when `masks` is empty. */
export function consensusMask(masks: readonly Uint8Array[], quorum = 2, n?: number): Uint8Array {
  checkQuorum(quorum);
  const len = n ?? (masks.length > 0 ? masks[0].length : 0);
  if (masks.length < quorum) {
    coverageCounts(masks, len); // still validates the shapes
    return new Uint8Array(len);
  }
  const counts = coverageCounts(masks, len);
  return countsToMask(counts, quorum, counts);
}

/**
 * Consensus straight from each reader's boxes (the fast path for live editing): the boxes cut the
 * image into cells, each cell's reader count is known exactly, and the output is written with
 * native fills and row copies. Identical to consensusMask of the rasterised masks.
 */
export function consensusFromBoxes(boxesByReader: readonly (readonly BoxCoords[])[], width: number, height: number, quorum = 2): Uint8Array {
  checkQuorum(quorum);
  checkReaders(boxesByReader.length);
  if (boxesByReader.length < quorum) return new Uint8Array(width * height);
  return cellsToMask(boxCells(boxesByReader, width, height), width, height, quorum);
}
