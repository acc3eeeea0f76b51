/**
 * Sensitivity to weight randomization (SPEC 5.2, cascading top-down). Input: per step (ordered from
 * the first re-initialised block to the fully randomized model) the per-case SSIM between the
 * trained model's map and the randomized model's map. Threshold: the mean SSIM between the trained
 * maps of 50 seeded random pairs of DIFFERENT cases (randomizationThreshold). A step passes when the
 * per-case SSIMs are significantly below the threshold: one-sided one-sample t-test
 * (scipy.stats.ttest_1samp(ssims, threshold, alternative='less')), p < alpha. The method passes
 * when the fully randomized (last) step passes. The whole curve is returned.
 */
import { ssim } from '../ssim';
import { mulberry32 } from '../prng';
import { oneSampleTTest } from '../ttest';
import { meanCI, checkPlane } from './common';
import { DEFAULT_STATS, type CriterionResult, type PerCaseValue, type Plane, type StatsOptions } from './types';
import { MetricError } from '../errors';
import { everyModel, type CriterionDefinition } from './definition';

export interface ThresholdPair {
  a: string;
  b: string;
  ssim: number;
}

/**
 * Mean SSIM between trained maps of `pairs` (default 50) seeded random pairs of different cases,
 * drawn without repeating an unordered pair (all pairs when fewer exist).
 */
export function randomizationThreshold(
  maps: ReadonlyArray<{ caseId: string; map: Plane }>,
  opts: { pairs?: number; seed?: number; dataRange?: number } = {},
): { threshold: number; pairs: ThresholdPair[]; seed: number } {
  const want = opts.pairs ?? 50;
  const seed = opts.seed ?? 0;
  const n = maps.length;
  if (n < 2) throw new MetricError('BAD_INPUT_CASES', `randomization threshold: needs maps of at least 2 cases; found ${n}`);
  for (const m of maps) checkPlane(m.map, `case ${m.caseId}: trained map`);
  const total = (n * (n - 1)) / 2;
  const chosen: Array<[number, number]> = [];
  if (total <= want) {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) chosen.push([i, j]);
  } else {
    const next = mulberry32(seed);
    const seen = new Set<number>();
    while (chosen.length < want) {
      const i = Math.floor(next() * n);
      const j = Math.floor(next() * n);
      if (i === j) continue;
      const key = Math.min(i, j) * n + Math.max(i, j);
      if (seen.has(key)) continue;
      seen.add(key);
      chosen.push([i, j]);
    }
  }
  const pairs = chosen.map(([i, j]) => {
    const a = maps[i].map;
    const b = maps[j].map;
    if (a.height !== b.height || a.width !== b.width) throw new MetricError('BAD_INPUT_SHAPE', `randomization threshold: maps of ${maps[i].caseId} and ${maps[j].caseId} are on different grids`);
    return { a: maps[i].caseId, b: maps[j].caseId, ssim: ssim(a.data, b.data, a.height, a.width, { dataRange: opts.dataRange }) };
  });
  return { threshold: pairs.reduce((s, p) => s + p.ssim, 0) / pairs.length, pairs, seed };
}

export interface RandomizationStepInput {
  /** Name of the step (for example the block re-initialised last, or 'all'). */
  step: string;
  perCase: Array<{ caseId: string; ssim: number }>;
}

export interface RandomizationStep {
  step: string;
  mean: number;
  ci: [number, number];
  n: number;
  t: number;
  p: number;
  pass: boolean;
}

export interface RandomizationDetails {
  threshold: number;
  thresholdPairs: ThresholdPair[];
  curve: RandomizationStep[];
}

export function randomization(
  method: string,
  steps: readonly RandomizationStepInput[],
  threshold: { threshold: number; pairs?: ThresholdPair[]; seed?: number },
  opts: StatsOptions & { dataRange?: number } = {},
): CriterionResult<RandomizationDetails> {
  if (steps.length === 0) throw new MetricError('BAD_INPUT_STEPS', `randomization (${method}): no randomization step given`);
  const stats = { ...DEFAULT_STATS, ...opts };
  const curve = steps.map((s) => {
    const v = s.perCase.map((c) => c.ssim);
    const { mean, ci } = meanCI(v, stats);
    const t = oneSampleTTest(v, threshold.threshold, 'less');
    return { step: s.step, mean, ci, n: v.length, t: t.t, p: t.p, pass: t.p < stats.alpha };
  });
  const last = curve[curve.length - 1];
  const lastStep = steps[steps.length - 1];
  const perCase: PerCaseValue[] = lastStep.perCase.map((c) => ({
    caseId: c.caseId,
    value: c.ssim,
    byStep: steps.map((s) => s.perCase.find((x) => x.caseId === c.caseId)?.ssim ?? NaN),
  }));
  return {
    criterion: 'randomization',
    method,
    value: last.mean,
    ci: last.ci,
    n: last.n,
    p: last.p,
    pass: last.pass,
    params: {
      cascade: 'top-down (output to input), one block at a time',
      fullyRandomizedStep: last.step,
      test: "one-sample t-test, one-sided (per-case SSIM < threshold), scipy.stats.ttest_1samp(alternative='less')",
      threshold: threshold.threshold,
      thresholdPairs: threshold.pairs?.length ?? null,
      thresholdSeed: threshold.seed ?? null,
      ssim: { window: 7, K1: 0.01, K2: 0.03, dataRange: opts.dataRange ?? 2 },
      alpha: stats.alpha,
      bootstrap: { resamples: stats.resamples, seed: stats.seed, method: 'percentile' },
    },
    perCase,
    details: { threshold: threshold.threshold, thresholdPairs: threshold.pairs ?? [], curve },
  };
}

/**
 * Cascading randomization per model: on the randomization cases, the SSIM between the trained
 * map and the map of each visited cascade step; the threshold from the trained maps of every
 * mapped case of the model. Models that cannot be randomized (GraphModels) are n/a with the reason.
 */
export const randomizationCriterion: CriterionDefinition = {
  id: 'randomization',
  label: 'Randomization',
  unit: 'model',
  units: everyModel,
  perCaseLabel: 'SSIM between the trained and the fully randomized model\'s maps (lower is better)',
  readsReaders: false,
  cases: (u) => u.randomizationCases,
  perCase(u, caseId) {
    const model = u.models[0];
    const plan = u.cascade(model);
    if ('unavailable' in plan) return { skip: plan.unavailable };
    const trained = u.map(caseId, model);
    if (!trained) return null;
    const byStep: number[] = [];
    for (const s of plan.visited) {
      const r = u.randomizedMap(caseId, model, s.step);
      if (!r) return null;
      byStep.push(ssim(trained.data, r.data, trained.height, trained.width, { dataRange: u.settings.dataRange }));
    }
    return { caseId, value: byStep[byStep.length - 1], byStep };
  },
  aggregate(u, perCase) {
    const model = u.models[0];
    const plan = u.cascade(model);
    const visited = 'visited' in plan ? plan.visited : [];
    const maps = u.mappedCases.map((caseId) => ({ caseId, map: u.map(caseId, model)! }));
    const thr = randomizationThreshold(maps, { pairs: u.settings.thresholdPairs, seed: u.settings.randomizationSeed, dataRange: u.settings.dataRange });
    const steps = visited.map((s, i) => ({ step: s.label, perCase: perCase.map((c) => ({ caseId: c.caseId, ssim: (c.byStep as number[])[i] })) }));
    const r = randomization(u.method, steps, thr, { resamples: u.settings.resamples, seed: u.settings.bootstrapSeed, alpha: u.settings.alpha, dataRange: u.settings.dataRange });
    r.params.model = model;
    r.params.reinitSeed = u.settings.randomizationSeed;
    return r;
  },
  testSample(r) {
    const thr = r.params.threshold as number;
    return { oriented: r.perCase.map((c) => thr - c.value), test: String(r.params.test) };
  },
};
