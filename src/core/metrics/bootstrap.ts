/**
 * Bootstrap confidence interval of a mean over cases (SPEC 5): resample the cases with
 * replacement `resamples` times (default 1000) from a seeded generator, take the mean of each,
 * and report the percentile interval (numpy.percentile's linear interpolation) at `level`.
 */
import { mulberry32 } from './prng';

/** numpy.percentile(values, q) with the default linear method; q in [0, 100]. */
export function percentile(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values).sort();
  return percentileSorted(s, q);
}

export function percentileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (q / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const f = pos - lo;
  // numpy's _lerp: a + (b - a) * t, switching to b - (b - a) * (1 - t) for t >= 0.5.
  const a = sorted[lo];
  const b = sorted[hi];
  const d = b - a;
  return f >= 0.5 ? b - d * (1 - f) : a + d * f;
}

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  /** Two-sided coverage; default 0.95. */
  level?: number;
}

export interface BootstrapCI {
  mean: number;
  ci: [number, number];
  resamples: number;
  seed: number;
  level: number;
  n: number;
}

export function bootstrapMeanCI(values: ArrayLike<number>, opts: BootstrapOptions = {}): BootstrapCI {
  const resamples = opts.resamples ?? 1000;
  const seed = opts.seed ?? 0;
  const level = opts.level ?? 0.95;
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  const mean = n > 0 ? s / n : NaN;
  if (n === 0) return { mean, ci: [NaN, NaN], resamples, seed, level, n };
  const next = mulberry32(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let t = 0;
    for (let i = 0; i < n; i++) t += values[Math.floor(next() * n)];
    means[r] = t / n;
  }
  means.sort();
  const alpha = (1 - level) / 2;
  return { mean, ci: [percentileSorted(means, 100 * alpha), percentileSorted(means, 100 * (1 - alpha))], resamples, seed, level, n };
}
