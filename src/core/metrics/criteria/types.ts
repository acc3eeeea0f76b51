/** Common vocabulary of the four trust criteria (SPEC section 5). Plain data: arrays and records. */

export type CriterionId = 'localization' | 'randomization' | 'repeatability' | 'reproducibility' | (string & {});

/** A 2-D array, row-major. */
export interface Plane {
  data: ArrayLike<number>;
  height: number;
  width: number;
}

/** One case's figure behind a criterion (value is the headline metric; the rest are extras). */
export interface PerCaseValue {
  caseId: string;
  value: number;
  [extra: string]: unknown;
}

/** The result every criterion returns. */
export interface CriterionResult<D = Record<string, unknown>> {
  criterion: CriterionId;
  method: string;
  /** Headline figure: a mean over cases. */
  value: number;
  /** 95% bootstrap CI of that mean (percentile method, seeded). */
  ci: [number, number];
  /** Number of cases behind the value. */
  n: number;
  /** p-value of the criterion's test (named in params.test). */
  p: number;
  pass: boolean;
  /** Everything that produced the result (test, thresholds, grid, seeds, case set...). */
  params: Record<string, unknown>;
  perCase: PerCaseValue[];
  /** Criterion-specific extras (baselines, the randomization curve, skipped cases...). */
  details: D;
}

export interface StatsOptions {
  /** Bootstrap resamples (default 1000). */
  resamples?: number;
  /** Bootstrap seed (default 0). */
  seed?: number;
  /** Significance level of the criterion's test (default 0.05). */
  alpha?: number;
}

export const DEFAULT_STATS: Required<StatsOptions> = { resamples: 1000, seed: 0, alpha: 0.05 };

/** A method is trustworthy only when it passes all four criteria. */
export interface TrustVerdict {
  method: string;
  trustworthy: boolean;
  /** Pass or fail per criterion; null when that criterion has not been computed. */
  criteria: Record<CriterionId, boolean | null>;
}

export function verdict(method: string, results: readonly CriterionResult<unknown>[]): TrustVerdict {
  const criteria: TrustVerdict['criteria'] = { localization: null, randomization: null, repeatability: null, reproducibility: null };
  for (const r of results) if (r.method === method) criteria[r.criterion] = criteria[r.criterion] === false ? false : r.pass;
  return { method, trustworthy: Object.values(criteria).every((v) => v === true), criteria };
}
