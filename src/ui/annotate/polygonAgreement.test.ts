import { describe, expect, it } from 'vitest';
import { consensusFromRegions, readerAgreementFromRegions, studyReaderAgreement } from '../../core/annotation';
import type { RegionCoords } from '../../core/study/types';
import type { Box, Polygon } from '../../state/db';
import { caseAgreement, caseConsensus } from './agreement';
import { maskOutline } from './outline';

const key = (segs: number[][]) => segs.map((s) => s.join(',')).sort();

describe('coordinator view with polygon regions', () => {
  const W = 90, H = 70;
  const boxes: Record<string, Box[]> = { A: [{ id: 'a', x0: 10, y0: 10, x1: 40, y1: 35 }], B: [], C: [{ id: 'c', x0: 20.5, y0: 5, x1: 50, y1: 30.5 }] };
  const polygons: Record<string, Polygon[]> = { B: [{ id: 'p', points: [[15, 8], [45, 12], [38, 40], [12, 30]] }], C: [{ id: 'q', points: [[60, 50], [80, 52], [70, 66]] }] };
  const regions = (r: string): RegionCoords[] => [...boxes[r].map((b): RegionCoords => [b.x0, b.y0, b.x1, b.y1]), ...(polygons[r] ?? []).map((q): RegionCoords => ({ polygon: q.points }))];

  it('the consensus outline equals the outline of core\'s full-resolution consensus of boxes and polygons', () => {
    for (const q of [1, 2, 3]) {
      const full = maskOutline(consensusFromRegions(['A', 'B', 'C'].map(regions), W, H, q), W, H);
      expect(key(caseConsensus(boxes, W, H, q, polygons).outline)).toEqual(key(full));
    }
  });
  it('agreement and the two reader-vs-consensus figures equal core on the whole image', () => {
    const got = caseAgreement(boxes, W, H, 2, polygons);
    const want = readerAgreementFromRegions({ A: regions('A'), B: regions('B'), C: regions('C') }, W, H, 2);
    expect(got.agreement!.pixelCounts).toEqual(want.pixelCounts);
    expect(got.agreement!.fleissKappa).toBeCloseTo(want.fleissKappa, 12);
    got.agreement!.pairs.forEach((p, i) => expect(p.iou).toBeCloseTo(want.pairs[i].iou, 12));
    const s = studyReaderAgreement([{ id: 'x', width: W, height: H, readers: { A: regions('A'), B: regions('B'), C: regions('C') } }]).cases[0];
    expect(got.figures!.readerVsConsensusIoU).toBeCloseTo(s.readerVsConsensusIoU, 12);
    expect(got.figures!.readerVsOthersIoU).toBeCloseTo(s.readerVsOthersIoU, 12);
    expect(got.figures!.readerVsConsensusIoU).toBeGreaterThan(got.figures!.readerVsOthersIoU);
  });
});
