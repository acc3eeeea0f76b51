/**
 * Parity with scikit-learn, scikit-image, SciPy, NumPy and torch: expected values come from
 * scripts/reference_metrics.py (fixtures/reference.json); inputs are rebuilt bit-identically by
 * fixtures/gen.ts.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { genField, genMask, type FieldSpec, type MaskSpec } from './fixtures/gen';
import { auroc, rankingUndefinedReason } from './auroc';
import { auprc } from './auprc';
import { ssim } from './ssim';
import { otsuThreshold, otsuMask } from './otsu';
import { iou, dice, pixelError } from './segmentation';
import { sobelMagnitude } from './edges';
import { studentTCdf, oneSampleTTest, pairedTTest, type Alternative } from './ttest';
import { percentile } from './bootstrap';
import { fleissKappa } from './fleiss';
import { bilinearResize, nearestResize } from './resample';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ref: any = JSON.parse(readFileSync(path.join(__dirname, 'fixtures', 'reference.json'), 'utf8'));

describe('AUROC and AUPRC vs scikit-learn (1e-9)', () => {
  for (const c of ref.ranking as Array<{ name: string; map: FieldSpec; mask: MaskSpec; auroc: number; auprc: number; positives: number }>) {
    it(c.name, () => {
      const m = genField(c.map);
      const k = genMask(c.mask);
      expect(k.reduce((s, v) => s + v, 0)).toBe(c.positives); // same inputs on both sides
      expect(Math.abs(auroc(m, k) - c.auroc)).toBeLessThan(1e-9);
      expect(Math.abs(auprc(m, k) - c.auprc)).toBeLessThan(1e-9);
    });
  }
  it('edge cases: all positive, no positive (defined here, sklearn differs where noted)', () => {
    const e = ref.rankingEdgeCases;
    const m = genField(e.map);
    const all = new Uint8Array(m.length).fill(1);
    const none = new Uint8Array(m.length);
    expect(auroc(m, all)).toBeNaN();
    expect(rankingUndefinedReason(all)).toMatch(/no negative/);
    expect(auroc(m, none)).toBeNaN();
    expect(rankingUndefinedReason(none)).toMatch(/no positive/);
    expect(auprc(m, all)).toBe(e.allPositive.auprc); // 1, as sklearn
    expect(auprc(m, none)).toBeNaN(); // sklearn: 0.5 with a warning; undefined here
    expect(rankingUndefinedReason(new Uint8Array([0, 1]))).toBeNull();
  });
  it('hand-worked: ties count one half', () => {
    // scores pos [0.5, 0.9], neg [0.5, 0.1]: pairs (0.5,0.5)=1/2, (0.5,0.1)=1, (0.9,*)=2 -> 3.5/4
    expect(auroc([0.5, 0.9, 0.5, 0.1], [1, 1, 0, 0])).toBeCloseTo(0.875, 15);
    // PR points: t=0.9 (r 1/2, p 1), t=0.5 (r 1, p 2/3), t=0.1 (r 1, p 1/2); from (0, 1):
    // 0.5*(1+1)/2 + 0.5*(1+2/3)/2 + 0 = 0.5 + 5/12
    expect(auprc([0.5, 0.9, 0.5, 0.1], [1, 1, 0, 0])).toBeCloseTo(0.5 + 5 / 12, 15);
  });
});

describe('SSIM vs skimage.metrics.structural_similarity (1e-6)', () => {
  for (const c of ref.ssim as Array<{ name: string; a: FieldSpec; b: FieldSpec; dataRange: number | null; ssim: number }>) {
    it(c.name, () => {
      const a = genField(c.a);
      const b = genField(c.b);
      const v = ssim(a, b, c.a.h, c.a.w, c.dataRange === null ? {} : { dataRange: c.dataRange });
      expect(Math.abs(v - c.ssim)).toBeLessThan(1e-6);
    });
  }
  it('rejects an image smaller than the window', () => {
    expect(() => ssim(new Float64Array(36), new Float64Array(36), 6, 6)).toThrow(/at least 7x7/);
  });
});

describe('Otsu vs skimage.filters.threshold_otsu (1e-6)', () => {
  for (const c of ref.otsu as Array<{ name: string; map: FieldSpec; threshold: number; above: number }>) {
    it(c.name, () => {
      const m = genField(c.map);
      const { threshold, mask } = otsuMask(m);
      expect(Math.abs(threshold - c.threshold)).toBeLessThan(1e-6);
      expect(mask.reduce((s, v) => s + v, 0)).toBe(c.above);
    });
  }
  it('constant map: its value, nothing strictly above', () => {
    expect(otsuThreshold([2, 2, 2])).toBe(2);
  });
});

describe('IoU, Dice, pixel error vs sklearn jaccard_score / f1_score', () => {
  for (const c of ref.segmentation as Array<{ name: string; a: MaskSpec; b: MaskSpec; iou: number; dice: number; pixelError: number }>) {
    it(c.name, () => {
      const a = genMask(c.a);
      const b = genMask(c.b);
      expect(iou(a, b)).toBeCloseTo(c.iou, 12);
      expect(dice(a, b)).toBeCloseTo(c.dice, 12);
      expect(pixelError(a, b)).toBeCloseTo(c.pixelError, 12);
    });
  }
});

describe('Sobel edge map vs skimage.filters.sobel', () => {
  for (const c of ref.sobel as Array<{ name: string; image: FieldSpec; sum: number; samples: Array<[number, number]> }>) {
    it(c.name, () => {
      const e = sobelMagnitude(genField(c.image), c.image.h, c.image.w);
      expect(e.reduce((s, v) => s + v, 0)).toBeCloseTo(c.sum, 9);
      for (const [i, v] of c.samples) expect(e[i]).toBeCloseTo(v, 12);
    });
  }
});

describe('Student t CDF and t-tests vs SciPy', () => {
  it('t CDF over df 1..1000 and |t| up to 40, relative 1e-10 (values down to 5e-210)', () => {
    for (const { t, df, cdf } of ref.tcdf as Array<{ t: number; df: number; cdf: number }>) {
      const got = studentTCdf(t, df);
      const err = Math.abs(got - cdf);
      expect(err / Math.abs(cdf) < 1e-10, `t=${t} df=${df}: ${got} vs ${cdf}`).toBe(true);
    }
  });
  it('one-sample t-tests (less, greater, two-sided)', () => {
    for (const c of ref.ttest as Array<{ x: number[]; mu: number; alternative: Alternative; t: number; p: number }>) {
      const r = oneSampleTTest(c.x, c.mu, c.alternative);
      expect(r.t).toBeCloseTo(c.t, 10);
      expect(Math.abs(r.p - c.p)).toBeLessThan(1e-10);
    }
  });
  it('paired t-test (ttest_rel, greater)', () => {
    const c = ref.pairedTtest;
    const r = pairedTTest(c.a, c.b, 'greater');
    expect(r.t).toBeCloseTo(c.t, 10);
    expect(Math.abs(r.p - c.p)).toBeLessThan(1e-10);
  });
  it('degenerate samples', () => {
    expect(oneSampleTTest([0.3], 0.5, 'less').p).toBeNaN();
    expect(oneSampleTTest([0.3, 0.3, 0.3], 0.5, 'less').p).toBe(0);
    expect(oneSampleTTest([0.5, 0.5], 0.5, 'less').p).toBeNaN();
  });
});

describe('percentile vs numpy.percentile; Fleiss kappa vs the textbook example', () => {
  it('percentiles', () => {
    const c = ref.percentile;
    c.q.forEach((q: number, i: number) => expect(percentile(c.x, q)).toBeCloseTo(c.values[i], 14));
  });
  it("Fleiss' kappa of Fleiss (1971) / Wikipedia's table (0.210)", () => {
    expect(fleissKappa(ref.fleiss.table)).toBeCloseTo(ref.fleiss.kappa, 12);
    expect(ref.fleiss.kappa).toBeCloseTo(0.21, 3);
  });
});

describe('resampling vs torch interpolate (bilinear align_corners=False, nearest-exact)', () => {
  for (const c of ref.resample as Array<{ name: string; src: FieldSpec; size: [number, number]; bilinearSum: number; nearestSum: number; bilinear: Array<[number, number]>; nearest: Array<[number, number]> }>) {
    it(c.name, () => {
      const s = genField(c.src);
      const bl = bilinearResize(s, c.src.h, c.src.w, c.size[0], c.size[1]);
      const ne = nearestResize(s, c.src.h, c.src.w, c.size[0], c.size[1]);
      expect(bl.reduce((a, v) => a + v, 0)).toBeCloseTo(c.bilinearSum, 8);
      expect(ne.reduce((a, v) => a + v, 0)).toBeCloseTo(c.nearestSum, 8);
      for (const [i, v] of c.bilinear) expect(bl[i]).toBeCloseTo(v, 12);
      for (const [i, v] of c.nearest) expect(ne[i]).toBe(v);
    });
  }
});

describe('sortFloat64 (radix) agrees with the built-in sort', () => {
  it('large arrays with negatives, zeros of both signs, ties and extremes', async () => {
    const { sortFloat64 } = await import('./sort');
    const { mulberry32 } = await import('./prng');
    const r = mulberry32(9);
    const a = new Float64Array(5000).map((_, i) => (i % 7 === 0 ? 0 : i % 11 === 0 ? -1e-300 : i % 13 === 0 ? 1e300 : (r() - 0.5) * 10 ** Math.floor(r() * 8 - 4)));
    a[17] = -Number.MAX_VALUE;
    a[18] = Number.MIN_VALUE;
    const want = Array.from(a).sort((x, y) => x - y);
    expect(Array.from(sortFloat64(a.slice()))).toEqual(want);
  });
});
