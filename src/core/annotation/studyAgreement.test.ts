import { describe, expect, it } from 'vitest';
import { studyReaderAgreement, type AgreementCaseInput } from './studyAgreement';

describe('studyReaderAgreement (hand-worked)', () => {
  // 4x4: A covers columns 0-1, B columns 1-2 (rows 0-1); C drew a box too thin to hold a pixel centre.
  const caseA: AgreementCaseInput = { id: 'a', width: 4, height: 4, readers: { A: [[0, 0, 2, 2]], B: [[1, 0, 3, 2]], C: [[2.6, 0, 3.4, 1]], D: [] } };
  it('reader vs consensus including self, and leave-one-out; empty consensus and an empty mask count 0; D drew nothing and is not averaged', () => {
    const s = studyReaderAgreement([caseA], 2);
    const c = s.cases[0];
    expect(c.drew).toEqual(['A', 'B', 'C']);
    // consensus of all (2 of 4): column 1, rows 0-1 (2 px). A: 2 / 4, B: 2 / 4, C: empty mask -> 0
    expect(c.perReader.A).toEqual({ vsConsensusIoU: 0.5, vsOthersIoU: 0 }); // B, C, D never have 2 on one pixel
    expect(c.perReader.B).toEqual({ vsConsensusIoU: 0.5, vsOthersIoU: 0 });
    expect(c.perReader.C).toEqual({ vsConsensusIoU: 0, vsOthersIoU: 0 }); // others' consensus is 2 px, C's mask is empty
    expect(c.readerVsConsensusIoU).toBeCloseTo(1 / 3, 12);
    expect(c.readerVsOthersIoU).toBe(0);
  });
  it('pooled over pairs, not over case means; a lone reader scores 0 on both', () => {
    const lone: AgreementCaseInput = { id: 'b', width: 4, height: 4, readers: { A: [[0, 0, 4, 4]] } };
    const s = studyReaderAgreement([caseA, lone], 2);
    expect(s.cases[1].perReader.A).toEqual({ vsConsensusIoU: 0, vsOthersIoU: 0 });
    expect(s.pooled.pairs).toBe(4);
    expect(s.pooled.readerVsConsensusIoU).toBeCloseTo(1 / 4, 12); // (0.5 + 0.5 + 0 + 0) / 4, not the mean of 1/3 and 0
    expect(s.pooled.perReader.A).toEqual({ cases: 2, vsConsensusIoU: 0.25, vsOthersIoU: 0 });
    expect(Number.isNaN(s.cases[1].fleissKappa)).toBe(true);
    expect(s.pooled.fleissKappa).toBeCloseTo(s.cases[0].fleissKappa, 12); // only cases with two or more readers pool
  });
});
