import { describe, expect, it } from 'vitest';
import { xraiFast, xraiFull } from './xraiSelection';

// A 4 x 4 attribution (raster order):
//   4 4 0 0
//   4 4 0 0
//   1 1 2 2
//   1 1 2 2
const ATTR = [4, 4, 0, 0, 4, 4, 0, 0, 1, 1, 2, 2, 1, 1, 2, 2];
const TOP = [0, 1, 2, 3, 4, 5, 6, 7]; //           mean (4*4 + 0*4) / 8 = 2
const TOPLEFT = [0, 1, 4, 5]; //                    mean 4
const RIGHT = [2, 3, 6, 7, 10, 11, 14, 15]; //      mean (0*4 + 2*4) / 8 = 1
const BOTTOM = [8, 9, 10, 11, 12, 13, 14, 15]; //   mean (1*4 + 2*4) / 8 = 1.5
const ONE = [15]; //                                1 new pixel < minPixelDiff 2: dropped at once

describe('XRAI full selection on a hand-made case (minPixelDiff 2)', () => {
  it('picks by gain over new pixels, first mask on ties, and writes the gains', () => {
    // Masks: 0 TOP, 1 TOPLEFT, 2 RIGHT, 3 BOTTOM, 4 ONE, 5 TOPLEFT again (a duplicate).
    // Round 1: gains 2, 4, 1, 1.5, (ONE dropped), 4 -> mask 1 (first of the two 4s). out[TOPLEFT] = 4.
    // Round 2: TOP adds {2,3,6,7}: mean 0; RIGHT adds all 8: mean 1; BOTTOM: 1.5; the duplicate adds
    //          0 pixels and is dropped -> mask 3. out[BOTTOM] = 1.5.
    // Round 3: TOP adds {2,3,6,7}: 0; RIGHT adds {2,3,6,7}: 0 -> tie, the first: mask 0. out = 0 there.
    // Round 4: RIGHT adds nothing: dropped; no masks left. Everything covered.
    const r = xraiFull(ATTR, [TOP, TOPLEFT, RIGHT, BOTTOM, ONE, TOPLEFT], { minPixelDiff: 2 });
    expect(r.order).toEqual([1, 3, 0]);
    expect(r.gains).toEqual([4, 1.5, 0]);
    expect(Array.from(r.map)).toEqual([4, 4, 0, 0, 4, 4, 0, 0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5]);
    expect(r.uncovered).toBe(0);
  });

  it('pixels never covered get the mean attribution over them', () => {
    // Only TOPLEFT and BOTTOM: {2,3,6,7} stay uncovered; with attributions 3, 0, 0, 1 there, mean 1.
    const attr = ATTR.slice();
    attr[2] = 3; attr[7] = 1;
    const r = xraiFull(attr, [BOTTOM, TOPLEFT], { minPixelDiff: 2 });
    expect(r.order).toEqual([1, 0]);
    expect(Array.from(r.map)).toEqual([4, 4, 1, 1, 4, 4, 1, 1, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5]);
    expect(r.uncovered).toBe(4);
  });

  it('an overlapping mask is judged by its new pixels only (full) but by its whole mean (fast)', () => {
    // A = TOPLEFT (mean 4); B = TOP + {10, 11}: mean (16 + 0 + 2 + 2) / 10 = 2; C = BOTTOM (1.5).
    const B = [0, 1, 2, 3, 4, 5, 6, 7, 10, 11];
    // Full: round 1 A (4). Round 2: B adds {2,3,6,7,10,11}: (0*4 + 2 + 2) / 6 = 2/3 < C's 1.5 -> C.
    //       Round 3: B adds {2,3,6,7}: 0. Map: 4 on A, 0 on {2,3,6,7}, 1.5 on the bottom half.
    const full = xraiFull(ATTR, [TOPLEFT, B, BOTTOM], { minPixelDiff: 2 });
    expect(full.order).toEqual([0, 2, 1]);
    expect(Array.from(full.map)).toEqual([4, 4, 0, 0, 4, 4, 0, 0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5]);
    // Fast: sorted once by whole mean A (4), B (2), C (1.5). A: 4. B adds {2,3,6,7,10,11}: 2/3.
    //       C adds {8,9,12,13,14,15}: (1 + 1 + 1 + 1 + 2 + 2) / 6 = 4/3.
    const fast = xraiFast(ATTR, [TOPLEFT, B, BOTTOM], { minPixelDiff: 2 });
    expect(fast.order).toEqual([0, 1, 2]);
    const t = 2 / 3, f = 4 / 3;
    const expected = [4, 4, t, t, 4, 4, t, t, f, f, t, t, f, f, f, f];
    Array.from(fast.map).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
  });
});

describe('XRAI full selection with the default minPixelDiff 50', () => {
  it('drops a 49-pixel mask however high its gain', () => {
    // 10 x 10. X = rows 0-4 (50 px, attribution 1). Y = rows 5-9 without pixel 99 (49 px, attribution 5).
    // Y adds 49 < 50 pixels: dropped. X is taken (gain 1). Rows 5-9 stay uncovered: their mean is
    // (49 * 5 + 0) / 50 = 4.9 (pixel 99 has attribution 0).
    const attr = Array.from({ length: 100 }, (_, i) => (i < 50 ? 1 : i === 99 ? 0 : 5));
    const X = Array.from({ length: 50 }, (_, i) => i);
    const Y = Array.from({ length: 49 }, (_, i) => 50 + i);
    const r = xraiFull(attr, [Y, X]);
    expect(r.order).toEqual([1]);
    for (let i = 0; i < 50; i++) expect(r.map[i]).toBe(1);
    for (let i = 50; i < 100; i++) expect(r.map[i]).toBeCloseTo(4.9, 12);
    expect(r.uncovered).toBe(50);
  });

  it('rejects unsorted mask pixels with a clear message', () => {
    expect(() => xraiFull([0, 0, 0], [[2, 1]])).toThrow(/ascending order/);
  });
});
