import { describe, expect, it } from 'vitest';
import { colorAt, colormapLut, colorize, jet, parseColor, percentile } from './colormap';

// Reference colours: matplotlib's _cm_listed.py (inferno, viridis first and last entries) and
// ColorBrewer's 11-class RdBu ends (#053061 blue, #67001f red, #f7f7f7 centre).
describe('colormap', () => {
  it('inferno and viridis end at the matplotlib colours', () => {
    expect(colorAt('inferno', 0)).toEqual(parseColor('#000004'));
    expect(colorAt('inferno', 1)).toEqual(parseColor('#fcffa4'));
    expect(colorAt('viridis', 0)).toEqual(parseColor('#440154'));
    expect(colorAt('viridis', 1)).toEqual(parseColor('#fde725'));
  });

  it('diverging runs blue (negative) through near-white to red (positive)', () => {
    expect(colorAt('diverging', 0)).toEqual(parseColor('#053061'));
    expect(colorAt('diverging', 1)).toEqual(parseColor('#67001f'));
    const [r, g, b] = colorAt('diverging', 0.5);
    expect(Math.min(r, g, b)).toBeGreaterThan(230);
  });

  it('jet follows matplotlib segment data', () => {
    expect(jet(0)).toEqual([0, 0, 0.5]);
    expect(jet(1)).toEqual([0.5, 0, 0]);
    const mid = jet(0.5);
    expect(mid[0]).toBeCloseTo(0.15 / 0.31, 12);
    expect(mid[1]).toBe(1);
    expect(mid[2]).toBeCloseTo(1 - 0.16 / 0.31, 12);
  });

  it('LUT has 256 opaque entries, first and last the map ends', () => {
    const lut = colormapLut('inferno');
    expect(lut.length).toBe(1024);
    expect([...lut.slice(0, 4)]).toEqual([0, 0, 4, 255]);
    expect([...lut.slice(1020, 1024)]).toEqual([252, 255, 164, 255]);
  });

  it('colorize maps lo..hi onto the LUT, hides values under the cutoff and NaN', () => {
    const lut = new Uint8ClampedArray(1024);
    for (let i = 0; i < 256; i++) lut[i * 4] = i; // red channel = index
    const out = colorize([0, 0.5, 1, 2, -1, NaN, 0.1], lut, { lo: 0, hi: 1, opacity: 0.5, cutoff: 0.2 });
    const px = (i: number) => [...out.slice(i * 4, i * 4 + 4)];
    expect(px(0)[3]).toBe(0); // 0 < cutoff
    expect(px(1)).toEqual([128, 0, 0, 128]); // round(127.5) = 128, alpha round(127.5)
    expect(px(2)).toEqual([255, 0, 0, 128]);
    expect(px(3)).toEqual([255, 0, 0, 128]); // clamped
    expect(px(4)[3]).toBe(0); // below cutoff
    expect(px(5)[3]).toBe(0); // NaN
    expect(px(6)[3]).toBe(0);
    const signed = colorize([-1, 0.05, 1], lut, { lo: -1, hi: 1, opacity: 1, cutoff: 0.1, signed: true });
    expect([...signed.slice(0, 4)]).toEqual([0, 0, 0, 255]);
    expect(signed[7]).toBe(0);
    expect([...signed.slice(8, 12)]).toEqual([255, 0, 0, 255]);
  });

  it('percentile interpolates linearly at p/100 (N - 1)', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 25)).toBe(2);
    expect(percentile([5, 1, 4, 2, 3], 90)).toBeCloseTo(4.6, 12);
    expect(percentile([-3, 1, 2], 100, true)).toBe(3);
    expect(percentile([NaN], 50)).toBeNaN();
  });
});
