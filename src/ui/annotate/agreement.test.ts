import { describe, expect, it } from 'vitest';
import { consensusFromBoxes, rasterizeBoxes, readerAgreement } from '../../core/annotation';
import type { BoxCoords } from '../../core/study/types';
import { caseAgreement, consensusOutline } from './agreement';
import { maskOutline } from './outline';

const key = (segs: number[][]) => segs.map((s) => s.join(',')).sort();

describe('consensusOutline', () => {
  it('equals the outline of the full-resolution core consensus mask (random boxes, fractional edges, clipping)', () => {
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const W = 97, H = 83;
    for (let trial = 0; trial < 40; trial++) {
      const lists: BoxCoords[][] = Array.from({ length: 3 }, () => Array.from({ length: Math.floor(rnd() * 3) }, () => {
        const x0 = rnd() * 110 - 10, y0 = rnd() * 95 - 8;
        return [x0, y0, x0 + rnd() * 50, y0 + rnd() * 45] as BoxCoords;
      }));
      const q = 1 + (trial % 3);
      const full = maskOutline(consensusFromBoxes(lists, W, H, q), W, H);
      expect(key(consensusOutline(lists, W, H, q))).toEqual(key(full));
    }
  });
  it('two readers overlapping: the intersection rectangle (hand-worked)', () => {
    const segs = consensusOutline([[[0, 0, 10, 10]], [[5, 5, 15, 15]]], 20, 20, 2);
    expect(key(segs)).toEqual(key([[5, 5, 10, 5], [5, 10, 10, 10], [5, 5, 5, 10], [10, 5, 10, 10]]));
  });
});

describe('caseAgreement', () => {
  it('reports the hand-worked pairwise IoU and Dice of two boxes (120x100 and 110x100 overlapping in 70x60)', () => {
    const r = caseAgreement({ R1: [{ id: 'a', x0: 100, y0: 100, x1: 220, y1: 200 }], R2: [{ id: 'b', x0: 150, y0: 140, x1: 260, y1: 240 }] }, 512, 512, 2);
    // |A| = 12000, |B| = 11000, |A∩B| = 4200: IoU = 4200 / 18800, Dice = 8400 / 23000
    expect(r.agreement!.meanIoU).toBeCloseTo(4200 / 18800, 12);
    expect(r.agreement!.meanDice).toBeCloseTo(8400 / 23000, 12);
  });
  it('equals the full-resolution agreement (kappa and pixel error count every pixel of the image)', () => {
    let seed = 777;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const W = 120, H = 90;
    for (let trial = 0; trial < 25; trial++) {
      const byReader: Record<string, Array<{ id: string; x0: number; y0: number; x1: number; y1: number }>> = {};
      for (const r of ['R1', 'R2', 'R3'].slice(0, 2 + (trial % 2))) {
        byReader[r] = Array.from({ length: Math.floor(rnd() * 3) }, (_, k) => {
          const x0 = rnd() * 120 - 5, y0 = rnd() * 90 - 5;
          return { id: `${r}${k}`, x0, y0, x1: x0 + rnd() * 40, y1: y0 + rnd() * 30 };
        });
      }
      const q = 1 + (trial % 2);
      const full = readerAgreement(Object.fromEntries(Object.entries(byReader).map(([r, bs]) => [r, rasterizeBoxes(bs.map((b) => [b.x0, b.y0, b.x1, b.y1]), W, H)])), q);
      const mine = caseAgreement(byReader, W, H, q).agreement!;
      expect(mine.pixelCounts).toEqual(full.pixelCounts);
      const close = (x: number, y: number) => (Number.isNaN(y) ? expect(x).toBeNaN() : expect(x).toBeCloseTo(y, 12));
      close(mine.fleissKappa, full.fleissKappa);
      close(mine.meanIoU, full.meanIoU);
      close(mine.meanDice, full.meanDice);
      close(mine.meanPixelError, full.meanPixelError);
      for (const r of full.readers) {
        close(mine.vsOthers[r].iou, full.vsOthers[r].iou);
        close(mine.vsAllIncludingSelf[r].dice, full.vsAllIncludingSelf[r].dice);
      }
    }
  });
});
