import { describe, expect, it } from 'vitest';
import { argsortNonNegative, countSegments, felzenszwalb } from './felzenszwalb';
import { gaussianFilter2d, gaussianKernel1d } from './gaussian';
import { fromHex, loadNpy, manifest, samePartition } from './fixtures.testutil';

describe('Gaussian kernel', () => {
  it('matches scipy _gaussian_kernel1d to 2 ulp (radius int(4 sigma + 0.5): 3 for sigma 0.8)', () => {
    // NumPy's SIMD exp and V8's Math.exp may differ in the last bit (see gaussian.ts).
    expect(manifest.gaussian_kernels.length).toBeGreaterThan(0);
    for (const k of manifest.gaussian_kernels) {
      const w = gaussianKernel1d(k.sigma);
      expect(w.length, `sigma ${k.sigma}`).toBe(2 * k.radius + 1);
      const ref = k.weights_hex.map(fromHex);
      for (let i = 0; i < w.length; i++) expect(Math.abs(w[i] - ref[i]), `sigma ${k.sigma} [${i}]`).toBeLessThanOrEqual(ref[i] * 4.5e-16);
    }
    expect(gaussianKernel1d(0.8).length).toBe(7);
  });

  it('reflect border is half-sample symmetric (d c b a | a b c d)', () => {
    // A 1 x 4 row [1, 0, 0, 0] smoothed along the row with radius 1 weights [q, p, q]:
    // out[0] = p*1 + q*(x[-1] + x[1]) = p + q*1 (x[-1] reflects to x[0] = 1).
    const w = gaussianKernel1d(0.3); // radius int(1.2 + 0.5) = 1
    expect(w.length).toBe(3);
    const out = gaussianFilter2d(new Float64Array([1, 0, 0, 0]), 1, 4, 1, [0, 0.3], 'reflect');
    expect(out[0]).toBeCloseTo(w[1] + w[0], 15);
    expect(out[1]).toBeCloseTo(w[0], 15);
    expect(out[3]).toBe(0);
    const outC = gaussianFilter2d(new Float64Array([1, 0, 0, 0]), 1, 4, 1, [0, 0.3], 'constant');
    expect(outC[0]).toBeCloseTo(w[1], 15);
  });
});

describe('argsortNonNegative', () => {
  it('sorts non-negative doubles ascending, stable on ties', () => {
    const v = new Float64Array([3.5, 0, 1e-300, 2, 2, 1e300, 0.5, 7e-10]);
    expect(Array.from(argsortNonNegative(v))).toEqual([1, 2, 7, 6, 3, 4, 0, 5]);
  });
  it('orders values that only float64 tells apart (same float32 key)', () => {
    const v = new Float64Array([1 + 2 ** -40, 1, 1 + 2 ** -41, 0.5, 1 + 2 ** -40]);
    expect(Array.from(argsortNonNegative(v))).toEqual([3, 1, 2, 0, 4]);
  });
});

describe('felzenszwalb: parity with skimage.segmentation.felzenszwalb', () => {
  it(`has fixtures from skimage ${manifest.skimage}`, () => {
    expect(manifest.felzenszwalb.length).toBeGreaterThanOrEqual(10);
  });
  for (const c of manifest.felzenszwalb) {
    it(`${c.name}: ${c.height}x${c.width}x${c.channels}, scale ${c.scale}, sigma ${c.sigma}, min_size ${c.min_size}`, () => {
      const img = loadNpy(c.image);
      const ref = loadNpy(c.labels);
      expect(ref.shape).toEqual([c.height, c.width]);
      const labels = felzenszwalb(img.data as Float32Array, c.width, c.height, c.channels, { scale: c.scale, sigma: c.sigma, minSize: c.min_size });
      expect(countSegments(labels)).toBe(c.segments);
      expect(samePartition(labels, ref.data as Int32Array)).toBe(true);
      expect(Array.from(labels)).toEqual(Array.from(ref.data as Int32Array));
    });
  }
});

describe('felzenszwalb: hand-made cases', () => {
  it('two flat halves with a strong step become two segments, numbered in raster order', () => {
    // 6 x 8, left 4 columns 0, right 4 columns 1: within-half edges weigh 0 (always merged), the
    // step edges weigh ~1 after smoothing, far above k = 1/255 + 0 for 24-pixel components.
    const w = 8, h = 6;
    const img = new Float32Array(w * h).map((_, i) => (i % w >= 4 ? 1 : 0));
    const labels = felzenszwalb(img, w, h, 1, { scale: 1, sigma: 0, minSize: 1 });
    for (let i = 0; i < w * h; i++) expect(labels[i]).toBe(i % w >= 4 ? 1 : 0);
  });

  it('min_size merges a small bright square into its surroundings', () => {
    const w = 10, h = 10;
    const img = new Float32Array(w * h);
    for (let y = 4; y < 6; y++) for (let x = 4; x < 6; x++) img[y * w + x] = 1;
    const keep = felzenszwalb(img, w, h, 1, { scale: 1, sigma: 0, minSize: 1 });
    expect(countSegments(keep)).toBe(2);
    const merged = felzenszwalb(img, w, h, 1, { scale: 1, sigma: 0, minSize: 5 });
    expect(countSegments(merged)).toBe(1);
  });

  it('rejects a wrong length with a coded error', () => {
    expect(() => felzenszwalb(new Float32Array(5), 2, 2, 1, { scale: 1, sigma: 0.8, minSize: 1 })).toThrow(/holds 4 values, found 5/);
  });
});
