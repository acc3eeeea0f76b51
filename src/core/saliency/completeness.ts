/**
 * Completeness of the IG family (SPEC section 2): an IG attribution should add up to
 * f(x) - f(baseline); how far it misses measures the path integral's numerical error. Steps start
 * at the method's `steps` and double until the error is at most `tolerance` or `maxSteps` is
 * reached; a result still over tolerance carries a warning in plain words.
 */

/** Default largest relative completeness error accepted (SPEC: 0.05). */
export const IG_TOLERANCE = 0.05;
/**
 * Default cap on adaptive steps: 400 gradients a baseline (16x IG's start of 25; two doublings
 * past PAIR's 100-step XRAI). Above it a map carries a warning instead of costing more.
 */
export const IG_MAX_STEPS = 400;

/** The accuracy parameters every IG-family method takes. */
export interface IgAccuracyParams {
  /** Largest relative completeness error accepted before doubling the steps (default 0.05). */
  tolerance?: number;
  /** Steps are doubled up to this many (default 400); the starting steps are never cut. */
  maxSteps?: number;
}

/**
 * |sum - (fx - fb)| / |fx - fb|, or undefined when f(x) and f(baseline) are too close for a
 * relative error to mean anything (|fx - fb| <= 1e-6 * max(1, |fx|, |fb|)).
 */
export function completenessError(attributionSum: number, fx: number, fb: number): number | undefined {
  const delta = fx - fb;
  if (!(Math.abs(delta) > 1e-6 * Math.max(1, Math.abs(fx), Math.abs(fb)))) return undefined;
  return Math.abs(attributionSum - delta) / Math.abs(delta);
}

/** The step counts to try: start, 2 start, 4 start, ... and maxSteps last when doubling would pass it. */
export function stepSchedule(start: number, maxSteps: number): number[] {
  const out = [start];
  let n = start;
  while (n < maxSteps) {
    n = Math.min(2 * n, maxSteps);
    out.push(n);
  }
  return out;
}

/**
 * The trapezoid's nested schedule: n, 2n - 1, 4n - 3, ... (the intervals double, so every node of
 * one grid is a node of the next and only the new midpoints cost gradients), the largest not over
 * maxSteps last. A start above the cap runs once.
 */
export function nestedTrapezoidSchedule(start: number, maxSteps: number): number[] {
  const out = [start];
  let n = start;
  while (n >= 2 && 2 * n - 1 <= maxSteps) {
    n = 2 * n - 1;
    out.push(n);
  }
  return out;
}

export function checkAccuracyParams(what: string, p: IgAccuracyParams): { tolerance: number; maxSteps: number } {
  const tolerance = p.tolerance ?? IG_TOLERANCE;
  const maxSteps = p.maxSteps ?? IG_MAX_STEPS;
  if (!(tolerance >= 0)) throw new RangeError(`${what}: tolerance must be a number >= 0, found ${String(p.tolerance)}`);
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new RangeError(`${what}: maxSteps must be a positive integer, found ${String(p.maxSteps)}`);
  return { tolerance, maxSteps };
}

export interface Adapted<T> {
  result: T;
  /** Steps of the returned result. */
  steps: number;
  /** Its completeness error (undefined when it cannot be measured). */
  error: number | undefined;
  /** Every step count tried, in order. */
  tried: number[];
}

/**
 * Runs `attempt` at start, 2 start, ... (stepSchedule, or the given schedule) until its
 * completeness error is at most `tolerance` (or cannot be measured: more steps would not help to
 * know), and returns the last. Each attempt sees the previous one's result (to refine it).
 */
export async function adaptSteps<T>(
  start: number,
  acc: { tolerance: number; maxSteps: number },
  attempt: (steps: number, previous: { steps: number; result: T } | null) => Promise<{ result: T; error: number | undefined }>,
  schedule: number[] = stepSchedule(start, acc.maxSteps),
): Promise<Adapted<T>> {
  const tried: number[] = [];
  let last: { result: T; error: number | undefined } | null = null;
  for (const n of schedule) {
    const previous = last && tried.length ? { steps: tried[tried.length - 1], result: last.result } : null;
    tried.push(n);
    last = await attempt(n, previous);
    if (last.error === undefined || last.error <= acc.tolerance) break;
  }
  return { result: last!.result, steps: tried[tried.length - 1], error: last!.error, tried };
}

/** A relative error as a percentage with three significant digits: 4.24 %, 5 %, 0.0001 %. */
const pct = (e: number) => `${Number((e * 100).toPrecision(3))} %`;

/**
 * The warning a reader of the map must see, or none: the error over tolerance after the last
 * steps tried (adaptSteps stops early only within tolerance, so the cap was reached), or completeness that cannot be checked because f(x) = f(baseline).
 */
export function completenessWarnings(
  label: string,
  o: { error: number | undefined; steps: number; tolerance: number; maxSteps: number; rule?: string; fx: number; fb: number; baseline?: string },
): string[] {
  const rule = o.rule ? ` (${o.rule} rule)` : '';
  const base = o.baseline ?? 'baseline';
  if (o.error === undefined) {
    return [`${label}: completeness cannot be checked because f(x) = ${o.fx.toPrecision(4)} and f(${base}) = ${o.fb.toPrecision(4)} are (nearly) equal; the map's total attribution has no reference.`];
  }
  if (o.error <= o.tolerance) return [];
  return [`${label}: completeness error ${pct(o.error)} after ${o.steps} steps${rule} is above the tolerance of ${pct(o.tolerance)}: the attribution does not add up to f(x) - f(${base}) = ${(o.fx - o.fb).toPrecision(4)}, so the map is a rough approximation (more steps would pass the cap of ${o.maxSteps}; raise --ig-max-steps to refine it).`];
}

/**
 * The IG family's completeness fields of a method's output, only those present, for records that
 * keep them (maps' index.json entries, the app's stored results, trust reports).
 */
export function completenessFields(o: { completenessError?: number; steps?: number; warnings?: string[] }): { completenessError?: number; steps?: number; warnings?: string[] } {
  return {
    ...(o.completenessError !== undefined ? { completenessError: o.completenessError } : {}),
    ...(o.steps !== undefined ? { steps: o.steps } : {}),
    ...(o.warnings?.length ? { warnings: [...o.warnings] } : {}),
  };
}
