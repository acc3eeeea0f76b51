import { describe, expect, it } from 'vitest';
import { resizeArea, preprocessImage } from './preprocess';

describe('resizeArea', () => {
  it('averages 2x2 blocks when halving', () => {
    const src = [1, 3, 5, 7, 2, 4, 6, 8, 0, 0, 10, 10, 0, 0, 10, 30];
    expect(Array.from(resizeArea(src, 4, 4, 2, 2))).toEqual([2.5, 6.5, 0, 15]);
  });
  it('weights fractional overlaps (3 -> 2)', () => {
    // Output pixel 0 covers [0, 1.5): 1*a + 0.5*b over 1.5.
    const out = resizeArea([3, 6, 9], 3, 1, 2, 1);
    expect(out[0]).toBeCloseTo((3 + 0.5 * 6) / 1.5, 6);
    expect(out[1]).toBeCloseTo((0.5 * 6 + 9) / 1.5, 6);
  });
  it('keeps a constant image constant', () => {
    const out = resizeArea(new Array(35).fill(7), 7, 5, 3, 2);
    for (const v of out) expect(v).toBeCloseTo(7, 5);
  });
});

describe('preprocessImage', () => {
  it('maps 8-bit pixels to [-1, 1] and repeats channels', () => {
    const img = { width: 2, height: 1, data: new Uint8Array([0, 255]) };
    const x = preprocessImage(img, { input: { height: 1, width: 2, channels: 3 }, preprocessing: { scale: 2, offset: -1 } });
    expect(Array.from(x)).toEqual([-1, -1, -1, 1, 1, 1]);
  });
});
