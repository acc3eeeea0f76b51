/**
 * States of units, cells and verdicts (the rules are in report.ts's header): pass and fail from the
 * criterion's test, inconclusive when too few cases to tell, n/a with a reason.
 */
import type { CellState, TrustCell, TrustUnit, TrustVerdict } from './report';
import type { CriterionResult } from '../metrics/criteria/types';
import type { TestSample } from '../metrics/criteria/definition';

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** The standardized effect (mean / sd) a study should be able to detect: Cohen's "medium", 0.5. */
export const DESIGN_EFFECT = 0.5;

/**
 * Cases a one-sided one-sample t-test needs to detect a standardized effect `effect` at alpha with
 * 80% power: ((z_(1-alpha) + z_0.8) / effect)^2 rounded up, plus one for the t distribution's
 * heavier tails (26 at alpha 0.05 and effect 0.5).
 */
export function casesNeeded(alpha: number, effect = DESIGN_EFFECT): number {
  const z = normalQuantile(1 - alpha) + normalQuantile(0.8);
  return Math.max(2, Math.ceil((z / effect) ** 2) + 1);
}

/**
 * A unit from its criterion result: pass when the test passes; fail when it does not and the
 * mean points the failing way, or when there were enough cases to detect a medium effect;
 * otherwise inconclusive, with the cases needed.
 */
export function classifyUnit(r: CriterionResult<unknown>, sample: TestSample, alpha: number): Pick<TrustUnit, 'state' | 'nNeeded' | 'reason'> {
  const n = sample.oriented.length;
  if (n < 2) return { state: 'inconclusive', nNeeded: Math.max(2, casesNeeded(alpha)), reason: `the test (${sample.test}) needs at least 2 cases; found ${n}` };
  if (r.pass) return { state: 'pass' };
  const mean = sample.oriented.reduce((s, x) => s + x, 0) / n;
  const need = casesNeeded(alpha);
  if (mean > 0 && n < need) {
    return { state: 'inconclusive', nNeeded: need, reason: `p = ${fmtP(r.p)} with ${n} cases; about ${need} cases are needed to detect a medium effect (d = ${DESIGN_EFFECT}) at alpha ${alpha} with 80% power` };
  }
  return { state: 'fail' };
}

const fmtP = (p: number) => (Number.isFinite(p) ? (p < 0.001 ? p.toExponential(1) : p.toFixed(3)) : String(p));

/** A cell from its units: fail if any fails; else n/a, pending or inconclusive if any is (in that order); pass when all pass. */
export function combineUnits(units: readonly TrustUnit[]): Pick<TrustCell, 'state' | 'reason' | 'nNeeded'> {
  if (!units.length) return { state: 'n/a', reason: 'no unit' };
  const named = (u: TrustUnit) => `${u.models.join(' vs ')}: ${u.reason ?? u.state}`;
  if (units.some((u) => u.state === 'fail')) {
    const f = units.filter((u) => u.state === 'fail');
    return { state: 'fail', ...(f.length < units.length ? { reason: `failed on ${f.map((u) => u.models.join(' vs ')).join(', ')}` } : {}) };
  }
  for (const s of ['n/a', 'pending', 'inconclusive'] as CellState[]) {
    const us = units.filter((u) => u.state === s);
    if (us.length) {
      const need = us.map((u) => u.nNeeded ?? 0).reduce((a, b) => Math.max(a, b), 0);
      return { state: s, reason: us.map(named).join('; '), ...(s === 'inconclusive' && need ? { nNeeded: need } : {}) };
    }
  }
  return { state: 'pass' };
}

/** The verdict from a method's cells. */
export function methodVerdict(method: string, cells: Record<string, TrustCell>): TrustVerdict {
  const states = Object.fromEntries(Object.entries(cells).map(([c, cell]) => [c, cell.state])) as Record<string, CellState>;
  const list = Object.values(states);
  const reasons = Object.entries(cells)
    .filter(([, c]) => c.state !== 'pass')
    .map(([id, c]) => `${id}: ${c.state}${c.reason ? ` (${c.reason})` : ''}`);
  const state = list.some((s) => s === 'fail') ? 'not trustworthy' : list.every((s) => s === 'pass') ? 'trustworthy' : list.some((s) => s === 'pending') ? 'pending' : 'undetermined';
  return { method, state, trustworthy: state === 'trustworthy', criteria: states, reasons };
}

/** One cell as a line of text (CLI table, CSV). */
export function cellText(c: TrustCell): string {
  const v = c.value === null ? '' : ` ${c.value.toFixed(3)}${c.units.length > 1 ? ` (${c.average})` : ''}`;
  switch (c.state) {
    case 'pass':
    case 'fail':
      return `${c.state}${v}`;
    case 'inconclusive':
      return `inconclusive${v}, n=${c.n}${c.nNeeded ? `, needs ~${c.nNeeded}` : ''}`;
    case 'n/a':
      return `n/a: ${c.reason ?? 'not computed'}`;
    default:
      return 'pending';
  }
}
