import { describe, expect, it } from 'vitest';
import { createRng, deriveSeed, gaussian } from './rng';

describe('seeded generator', () => {
  it('repeats for one seed and differs across seeds', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const xa = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(xa);
    expect(Array.from({ length: 5 }, c)).not.toEqual(xa);
    for (const v of xa) expect(v >= 0 && v < 1).toBe(true);
  });

  it('gaussian draws have mean ~0 and variance ~1', () => {
    const r = createRng(123);
    const n = 20000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const g = gaussian(r);
      s += g;
      s2 += g * g;
    }
    // Standard errors: mean 1/sqrt(n) ~ 0.007, variance sqrt(2/n) ~ 0.01.
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });

  it('derived seeds depend on the label', () => {
    expect(deriveSeed(1, 'conv1')).toBe(deriveSeed(1, 'conv1'));
    expect(deriveSeed(1, 'conv1')).not.toBe(deriveSeed(1, 'conv2'));
    expect(deriveSeed(1, 'conv1')).not.toBe(deriveSeed(2, 'conv1'));
  });
});
