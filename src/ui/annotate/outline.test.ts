import { describe, expect, it } from 'vitest';
import { boxesRegion, maskOutline } from './outline';

/** Builds a mask from rectangles [c0, r0, c1, r1) by hand. */
function mask(w: number, h: number, rects: number[][]): Uint8Array {
  const m = new Uint8Array(w * h);
  for (const [c0, r0, c1, r1] of rects) for (let y = r0; y < r1; y++) for (let x = c0; x < c1; x++) m[y * w + x] = 1;
  return m;
}
const perimeter = (segs: number[][]) => segs.reduce((s, [x0, y0, x1, y1]) => s + Math.abs(x1 - x0) + Math.abs(y1 - y0), 0);

describe('maskOutline', () => {
  it('a rectangle of pixels 5..9 x 5..9 has four sides on its pixel edges', () => {
    const segs = maskOutline(mask(20, 20, [[5, 5, 10, 10]]), 20, 20);
    expect(segs.map((s) => s.join(',')).sort()).toEqual(['10,5,10,10', '5,10,10,10', '5,5,10,5', '5,5,5,10'].sort());
  });
  it('an L-shape has six sides and its perimeter; the image border closes shapes that touch it', () => {
    const segs = maskOutline(mask(15, 15, [[0, 5, 10, 10], [5, 0, 10, 5]]), 15, 15);
    expect(segs).toHaveLength(6);
    expect(perimeter(segs)).toBe(40);
  });
  it('scanning only a region that holds the mask gives the same outline', () => {
    const m = mask(64, 64, [[10, 12, 20, 30]]);
    const full = maskOutline(m, 64, 64).map((s) => s.join(',')).sort();
    const part = maskOutline(m, 64, 64, boxesRegion([{ x0: 10, y0: 12, x1: 20, y1: 30 }], 64, 64)).map((s) => s.join(',')).sort();
    expect(part).toEqual(full);
  });
});
