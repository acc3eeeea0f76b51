/** Helpers shared by the criteria. */
import { bootstrapMeanCI } from '../bootstrap';
import type { StatsOptions } from './types';
import { DEFAULT_STATS } from './types';
import { MetricError } from '../errors';
import type { Plane } from './types';

export function meanCI(values: number[], stats: StatsOptions): { mean: number; ci: [number, number] } {
  const s = { ...DEFAULT_STATS, ...stats };
  const r = bootstrapMeanCI(values, { resamples: s.resamples, seed: s.seed });
  return { mean: r.mean, ci: r.ci };
}

export function checkPlane(p: Plane, what: string): void {
  if (p.data.length !== p.height * p.width) {
    throw new MetricError('BAD_INPUT_SHAPE', `${what}: expected ${p.height}x${p.width} = ${p.height * p.width} values, found ${p.data.length}`);
  }
}

export const finiteMean = (xs: number[]): number => {
  const f = xs.filter((x) => Number.isFinite(x));
  return f.length === 0 ? NaN : f.reduce((a, b) => a + b, 0) / f.length;
};
