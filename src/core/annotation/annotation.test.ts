import { describe, expect, it } from 'vitest';
import { rasterizeBoxes, coveredRange } from './rasterise';
import { consensusMask, consensusFromBoxes } from './consensus';
import { readerAgreement, readerAgreementFromBoxes, pooledReaderAgreement } from './agreement';
import type { BoxCoords } from '../study/types';

const on = (m: Uint8Array, w: number) => Array.from(m.keys()).filter((i) => m[i]).map((i) => [i % w, Math.floor(i / w)]);

describe('rasterizeBoxes (pixel edges; a pixel is in when its centre is in [x0, x1))', () => {
  it('a box from 0 to 10 covers pixels 0..9', () => {
    const m = rasterizeBoxes([[0, 0, 10, 10]], 12, 12);
    expect(m.reduce((s, v) => s + v, 0)).toBe(100);
    expect(m[9 * 12 + 9]).toBe(1);
    expect(m[10]).toBe(0);
    expect(m[10 * 12]).toBe(0);
  });
  it('fractional edges follow the centre rule', () => {
    expect(coveredRange(0.5, 2.5, 10)).toEqual([0, 2]); // centres 0.5, 1.5
    expect(coveredRange(0.6, 2.5, 10)).toEqual([1, 2]);
    expect(coveredRange(2.4, 2.6, 10)).toEqual([2, 3]);
    expect(coveredRange(2.6, 3.4, 10)).toEqual([0, 0]); // no centre inside
    expect(coveredRange(7, 3, 10)).toEqual([3, 7]); // reversed edges normalised
    expect(coveredRange(-5, 50, 10)).toEqual([0, 10]); // clipped
  });
  it('adjacent boxes sharing an edge do not overlap', () => {
    const a = rasterizeBoxes([[0, 0, 2.5, 1]], 5, 1);
    const b = rasterizeBoxes([[2.5, 0, 5, 1]], 5, 1);
    expect(Array.from(a)).toEqual([1, 1, 0, 0, 0]);
    expect(Array.from(b)).toEqual([0, 0, 1, 1, 1]);
  });
  it('overlapping boxes of one reader give a binary union', () => {
    const m = rasterizeBoxes([[0, 0, 2, 1], [1, 0, 3, 2]], 4, 2);
    expect(Array.from(m)).toEqual([1, 1, 1, 0, 0, 1, 1, 0]);
  });
});

describe('consensus', () => {
  const w = 4;
  const h = 4;
  const boxes: Record<string, BoxCoords[]> = { R1: [[0, 0, 2, 2]], R2: [[1, 0, 3, 2]], R3: [] };
  const masks = Object.fromEntries(Object.entries(boxes).map(([r, b]) => [r, rasterizeBoxes(b, w, h)]));

  it('marks pixels covered by at least the quorum (hand-worked)', () => {
    const c = consensusMask(Object.values(masks), 2);
    expect(on(c, w)).toEqual([[1, 0], [1, 1]]);
    expect(on(consensusMask(Object.values(masks), 1), w).length).toBe(6);
    expect(on(consensusMask(Object.values(masks), 3), w).length).toBe(0);
  });
  it('fewer readers than the quorum: empty', () => {
    expect(on(consensusMask([masks.R1], 2), w)).toEqual([]);
    expect(consensusMask([], 2, 16).length).toBe(16);
  });
  it('from boxes equals from masks, also with overlapping boxes of one reader', () => {
    const bb: BoxCoords[][] = [[[0, 0, 30, 20], [10, 5, 40, 40]], [[5.5, 2.2, 25.7, 33.1]], [[20, 0, 64, 10], [0, 30, 10, 64]]];
    for (const q of [1, 2, 3]) {
      const fromBoxes = consensusFromBoxes(bb, 64, 48, q);
      const fromMasks = consensusMask(bb.map((b) => rasterizeBoxes(b, 64, 48)), q);
      expect(Array.from(fromBoxes)).toEqual(Array.from(fromMasks));
    }
  });
  it('rejects masks on different grids and a bad quorum', () => {
    expect(() => consensusMask([new Uint8Array(4), new Uint8Array(5)], 2)).toThrow(/same|grid/);
    expect(() => consensusMask([new Uint8Array(4)], 0)).toThrow(/quorum/);
  });
});

describe('readerAgreement (hand-worked 4x4 case)', () => {
  // R1 covers cols 0-1, rows 0-1; R2 cols 1-2, rows 0-1; R3 found nothing.
  const masks = {
    R1: rasterizeBoxes([[0, 0, 2, 2]], 4, 4),
    R2: rasterizeBoxes([[1, 0, 3, 2]], 4, 4),
    R3: rasterizeBoxes([], 4, 4),
  };
  const a = readerAgreement(masks, 2);

  it('pairwise IoU, Dice, pixel error and their means', () => {
    const p12 = a.pairs.find((p) => p.a === 'R1' && p.b === 'R2')!;
    expect(p12.iou).toBeCloseTo(2 / 6, 12);
    expect(p12.dice).toBeCloseTo(4 / 8, 12);
    expect(p12.pixelError).toBeCloseTo(4 / 16, 12);
    expect(a.meanIoU).toBeCloseTo(1 / 9, 12);
    expect(a.meanDice).toBeCloseTo(1 / 6, 12);
    expect(a.meanPixelError).toBeCloseTo(0.25, 12);
  });
  it("Fleiss' kappa per case: P = 0.75, Pe = 26/36, kappa = 0.1", () => {
    expect(a.pixelCounts).toEqual([10, 4, 2, 0]);
    expect(a.fleissKappa).toBeCloseTo(0.1, 12);
  });
  it('each reader vs the others (intersection of two) and vs all including self', () => {
    expect(a.vsOthers.R1.iou).toBe(0); // R2 and R3 never agree
    expect(a.vsOthers.R3.iou).toBe(0); // R1 and R2 agree on 2 pixels, R3 marked none
    expect(a.vsAllIncludingSelf.R1.iou).toBeCloseTo(0.5, 12);
    expect(a.vsAllIncludingSelf.R1.dice).toBeCloseTo(2 / 3, 12);
    expect(a.vsAllIncludingSelf.R3.iou).toBe(0);
  });
  it('pooled kappa over two copies of the case equals the per-case kappa; identical readers give 1', () => {
    expect(pooledReaderAgreement([a, a]).pooledFleissKappa).toBeCloseTo(0.1, 12);
    const same = readerAgreement({ A: masks.R1, B: masks.R1, C: masks.R1 });
    expect(same.fleissKappa).toBeCloseTo(1, 12);
    expect(same.vsOthers.A).toEqual({ iou: 1, dice: 1 });
    // All readers empty: kappa undefined (chance agreement is 1), IoU of two empty masks is 1.
    const none = readerAgreement({ A: masks.R3, B: masks.R3 });
    expect(none.fleissKappa).toBeNaN();
    expect(none.meanIoU).toBe(1);
  });
  it('pooled kappa differs from the mean of per-case kappas when cases differ', () => {
    const b = readerAgreement({ R1: masks.R1, R2: masks.R1, R3: masks.R2 });
    const pooled = pooledReaderAgreement([a, b]);
    // Independent: pool the histograms by hand. a: [10,4,2,0], b: R1=R2 cover 4 px, R3 2 px of them + 2 more.
    // b counts: cols0 rows0-1 -> 2 (2 px), col1 rows0-1 -> 3 (2 px), col2 rows0-1 -> 1 (2 px), rest 0 (10 px).
    const hist = [20, 6, 4, 2];
    const N = 32, n = 3;
    const P = (hist[0] * 1 + hist[1] * (1 / 3) + hist[2] * (1 / 3) + hist[3] * 1) / N;
    const p1 = (hist[1] + 2 * hist[2] + 3 * hist[3]) / (N * n);
    const Pe = p1 * p1 + (1 - p1) * (1 - p1);
    expect(pooled.pooledFleissKappa).toBeCloseTo((P - Pe) / (1 - Pe), 12);
  });
});

describe('word-at-a-time paths agree with a plain per-pixel computation', () => {
  // Independent reference: plain loops over pixels, written here from the definitions.
  function naive(masks: Uint8Array[], quorum: number) {
    const n = masks[0].length;
    const cnt = (i: number, skip = -1) => masks.reduce((s, m, k) => s + (k !== skip && m[i] ? 1 : 0), 0);
    const ov = (f: (i: number) => boolean, g: (i: number) => boolean) => {
      let both = 0, a = 0, b = 0;
      for (let i = 0; i < n; i++) { if (f(i)) a++; if (g(i)) b++; if (f(i) && g(i)) both++; }
      return { iou: a + b - both === 0 ? 1 : both / (a + b - both), dice: a + b === 0 ? 1 : (2 * both) / (a + b) };
    };
    return masks.map((m, k) => ({
      others: ov((i) => !!m[i], (i) => cnt(i, k) >= Math.min(quorum, masks.length - 1)),
      all: ov((i) => !!m[i], (i) => cnt(i) >= quorum),
    }));
  }
  it('random boxes on an odd-sized grid with unaligned tails, masks holding 0/255', () => {
    let s = 12345;
    const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
    const W = 37, H = 23;
    for (let trial = 0; trial < 20; trial++) {
      const masks = [0, 1, 2, 3].map(() => {
        const boxes: BoxCoords[] = [0, 1].map(() => [rnd() * W, rnd() * H, rnd() * W, rnd() * H]);
        const m = rasterizeBoxes(boxes, W, H);
        return trial % 2 ? m.map((v) => v * 255) : m;
      });
      const quorum = 1 + (trial % 3);
      const got = readerAgreement({ A: masks[0], B: masks[1], C: masks[2], D: masks[3] }, quorum);
      const want = naive(masks, quorum);
      ['A', 'B', 'C', 'D'].forEach((r, k) => {
        expect(got.vsOthers[r].iou).toBeCloseTo(want[k].others.iou, 12);
        expect(got.vsAllIncludingSelf[r].dice).toBeCloseTo(want[k].all.dice, 12);
      });
      const cons = consensusMask(masks, quorum);
      for (let i = 0; i < W * H; i++) expect(cons[i]).toBe(masks.filter((m) => m[i]).length >= quorum ? 1 : 0);
    }
  });
});

describe('readerAgreementFromBoxes (box cells) equals readerAgreement of the rasterised masks', () => {
  it('random boxes, 2 to 5 readers, quorums 1 to 3, fractional edges', () => {
    let s = 777;
    const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
    const W = 53, H = 41;
    for (let trial = 0; trial < 30; trial++) {
      const k = 2 + (trial % 4);
      const boxes: Record<string, BoxCoords[]> = {};
      for (let r = 0; r < k; r++) boxes[`R${r}`] = Array.from({ length: trial % 3 }, () => [rnd() * W, rnd() * H, rnd() * W, rnd() * H] as BoxCoords);
      const quorum = 1 + (trial % 3);
      const masks = Object.fromEntries(Object.entries(boxes).map(([r, b]) => [r, rasterizeBoxes(b, W, H)]));
      const want = readerAgreement(masks, quorum);
      const got = readerAgreementFromBoxes(boxes, W, H, quorum);
      expect(got.pixelCounts).toEqual(want.pixelCounts);
      expect(got.pairs.length).toBe(want.pairs.length);
      got.pairs.forEach((p, i) => {
        expect(p.iou).toBeCloseTo(want.pairs[i].iou, 12);
        expect(p.pixelError).toBeCloseTo(want.pairs[i].pixelError, 12);
      });
      if (Number.isNaN(want.fleissKappa)) expect(got.fleissKappa).toBeNaN();
      else expect(got.fleissKappa).toBeCloseTo(want.fleissKappa, 12);
      for (const r of want.readers) {
        expect(got.vsOthers[r]).toEqual(want.vsOthers[r]);
        expect(got.vsAllIncludingSelf[r]).toEqual(want.vsAllIncludingSelf[r]);
      }
    }
  });
  it('the hand-worked 4x4 case', () => {
    const a = readerAgreementFromBoxes({ R1: [[0, 0, 2, 2]], R2: [[1, 0, 3, 2]], R3: [] }, 4, 4);
    expect(a.fleissKappa).toBeCloseTo(0.1, 12);
    expect(a.meanIoU).toBeCloseTo(1 / 9, 12);
  });
});
