import { describe, expect, it } from 'vitest';
import { consensusOutline } from './consensusLocal';

const b = (x0: number, y0: number, x1: number, y1: number) => ({ id: `${x0}`, x0, y0, x1, y1 });

describe('consensusOutline (display helper)', () => {
  it('two overlapping readers, quorum 2: the outline is the intersection rectangle', () => {
    const r = consensusOutline([[b(0, 0, 10, 10)], [b(5, 5, 15, 15)]], 2);
    expect(r.area).toBe(25);
    expect(r.segments.map((s) => s.join(',')).sort()).toEqual(['10,5,10,10', '5,10,10,10', '5,5,10,5', '5,5,5,10'].sort());
  });
  it('one reader alone never makes consensus at quorum 2, even with two overlapping boxes of their own', () => {
    expect(consensusOutline([[b(0, 0, 10, 10), b(5, 5, 15, 15)], []], 2)).toEqual({ segments: [], area: 0 });
  });
  it('three readers, quorum 2: the union of pairwise overlaps (an L-shape has six sides)', () => {
    // A [0,10]x[0,10], B [0,10]x[5,15] overlap [0,10]x[5,10] (50); C [5,15]x[0,10] overlaps A in [5,10]x[0,10]
    // region covered by >= 2: [0,10]x[5,10] U [5,10]x[0,10] U (B∩C [5,10]x[5,10]) = L-shape of area 50 + 25 = 75
    const r = consensusOutline([[b(0, 0, 10, 10)], [b(0, 5, 10, 15)], [b(5, 0, 15, 10)]], 2);
    expect(r.area).toBe(75);
    const len = r.segments.reduce((s, [x0, y0, x1, y1]) => s + Math.abs(x1 - x0) + Math.abs(y1 - y0), 0);
    expect(len).toBe(40); // perimeter of the L: 10 + 5 + 5 + 5 + 5 + 10
    expect(r.segments).toHaveLength(6);
  });
});
