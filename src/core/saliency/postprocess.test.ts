import { describe, expect, it } from 'vitest';
import { channelAbsSum, minMaxNormalize, normalizeGrayscale, percentileSorted, postprocessGrayscale, resizeBilinear } from './postprocess';

const close = (a: ArrayLike<number>, b: number[], digits = 6) => {
  expect(a.length).toBe(b.length);
  b.forEach((v, i) => expect(a[i]).toBeCloseTo(v, digits));
};

describe('percentile (linear interpolation at p/100 * (N - 1))', () => {
  it('interpolates between order statistics', () => {
    // sorted [0, 1, 2, 3, 4]: position 0.99 * 4 = 3.96 -> 3 + 0.96 * (4 - 3)
    expect(percentileSorted([0, 1, 2, 3, 4], 99)).toBeCloseTo(3.96, 12);
    // position 0.5 * 3 = 1.5 between 10 and 20
    expect(percentileSorted([0, 10, 20, 30], 50)).toBeCloseTo(15, 12);
    expect(percentileSorted([7], 99)).toBe(7);
  });
});

describe('grayscale post-processing (SPEC 3)', () => {
  it('sums |m| over channels', () => {
    // [H=1, W=2, C=2]: pixel 0 = |1| + |-2| = 3, pixel 1 = |-3| + |0.5| = 3.5
    close(channelAbsSum([1, -2, -3, 0.5], [1, 2, 2]), [3, 3.5]);
  });

  it('scales by vmin = min and vmax = 99th percentile, clipping above', () => {
    // g = [4, 0, 2, 1, 3]: vmin 0, vmax 3.96; 4 -> 1 (clipped), 2 -> 2 / 3.96
    close(normalizeGrayscale([4, 0, 2, 1, 3]), [1, 0, 2 / 3.96, 1 / 3.96, 3 / 3.96]);
  });

  it('subtracts a non-zero minimum', () => {
    // g = [2, 4, 6]: vmin 2; vmax at 0.99 * 2 = 1.98 -> 4 + 0.98 * 2 = 5.96
    close(normalizeGrayscale([2, 4, 6]), [0, 2 / 3.96, 1]);
  });

  it('on signed multi-channel raw maps', () => {
    // [1, 3, 1]: g = [1, 2, 3] (abs of -1, -2, 3): vmin 1, vmax = 2 + 0.98 * 1 = 2.98
    close(postprocessGrayscale([-1, -2, 3], [1, 3, 1]), [0, 1 / 1.98, 1]);
  });

  it('a flat map (vmax = vmin) gives 0 where g = min and 1 above', () => {
    const g = new Array(200).fill(0);
    g[5] = 7;
    const out = normalizeGrayscale(g);
    expect(out[5]).toBe(1);
    expect(out[0]).toBe(0);
  });

  it('min-max (XRAI)', () => {
    close(minMaxNormalize([-2, 0, 2]), [0, 0.5, 1]);
    close(minMaxNormalize([3, 3]), [0, 0]);
  });
});

describe('bilinear resize, half-pixel grid, mirrored borders', () => {
  it('2 -> 4 by hand: source positions -0.25, 0.25, 0.75, 1.25 with -1 -> 1 and 2 -> 0', () => {
    // row [a, b]: [0.75a + 0.25b, 0.75a + 0.25b, 0.25a + 0.75b, 0.25a + 0.75b]
    close(resizeBilinear([0, 4], 1, 2, 1, 4), [1, 1, 3, 3]);
  });

  it('matches scikit-image resize(order=1, mode="reflect", anti_aliasing=False) on a 2x3 -> 4x6 map', () => {
    // Values printed by skimage 0.2x: resize(np.array([[0,1,2],[3,4,5.]]), (4, 6), order=1, mode='reflect', anti_aliasing=False)
    const want = [
      1, 1, 1.5, 2, 2.5, 2.5,
      1, 1, 1.5, 2, 2.5, 2.5,
      2.5, 2.5, 3, 3.5, 4, 4,
      2.5, 2.5, 3, 3.5, 4, 4,
    ];
    close(resizeBilinear([0, 1, 2, 3, 4, 5], 2, 3, 4, 6), want);
  });

  it('same size is the identity; 1 pixel spreads everywhere', () => {
    close(resizeBilinear([1, 2, 3, 4], 2, 2, 2, 2), [1, 2, 3, 4]);
    close(resizeBilinear([5], 1, 1, 2, 3), [5, 5, 5, 5, 5, 5]);
  });
});
