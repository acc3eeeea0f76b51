/**
 * One-sample and paired t-tests with an exact Student-t CDF:
 *   P(T <= t) = 1 - I_x(df/2, 1/2) / 2 for t > 0 (and I_x / 2 for t <= 0), x = df / (df + t^2),
 * with I the regularized incomplete beta function (continued fraction, modified Lentz; log-gamma by
 * Lanczos). Checked against scipy.stats.t.cdf and scipy.stats.ttest_1samp / ttest_rel in the fixtures.
 */

export type Alternative = 'less' | 'greater' | 'two-sided';

const LANCZOS = [676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];

/** log Gamma(x) for x > 0 (Lanczos, g = 7; relative error ~1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = 0.99999999999980993;
  const t = x + 7.5;
  for (let i = 0; i < 8; i++) a += LANCZOS[i] / (x + i + 1);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

function betaContinuedFraction(a: number, b: number, x: number): number {
  const TINY = 1e-300;
  const EPS = 1e-16;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  return incompleteBetaXY(x, 1 - x, a, b);
}

/** I_x(a, b) given both x and y = 1 - x, each computed accurately by the caller. */
function incompleteBetaXY(x: number, y: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const lbt = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(y);
  const bt = Math.exp(lbt);
  if (x < (a + 1) / (a + b + 2)) return (bt * betaContinuedFraction(a, b, x)) / a;
  return 1 - (bt * betaContinuedFraction(b, a, y)) / b;
}

/** Student-t CDF P(T <= t) with df degrees of freedom (df > 0). */
export function studentTCdf(t: number, df: number): number {
  if (t !== t || !(df > 0)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  // P(T > |t|) = I_x(df/2, 1/2) / 2 with x = df / (df + t^2); 1 - x = t^2 / (df + t^2) passed
  // separately so neither loses digits.
  const t2 = t * t;
  const tail = 0.5 * incompleteBetaXY(df / (df + t2), t2 / (df + t2), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

export interface TTestResult {
  n: number;
  mean: number;
  sd: number;
  df: number;
  t: number;
  p: number;
  alternative: Alternative;
  mu: number;
}

function pFromT(t: number, df: number, alternative: Alternative): number {
  if (t !== t) return NaN;
  if (alternative === 'less') return studentTCdf(t, df);
  if (alternative === 'greater') return studentTCdf(-t, df);
  return Math.min(1, 2 * studentTCdf(-Math.abs(t), df));
}

/**
 * One-sample t-test of mean(xs) against mu (scipy.stats.ttest_1samp). `less`: H1 mean < mu.
 * n < 2: t and p are NaN. Zero spread: t = +-Infinity (p 0 or 1), or NaN when the mean equals mu.
 */
export function oneSampleTTest(xs: ArrayLike<number>, mu: number, alternative: Alternative): TTestResult {
  const n = xs.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i];
  const mean = n > 0 ? s / n : NaN;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (xs[i] - mean) * (xs[i] - mean);
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : NaN;
  const df = n - 1;
  let t: number;
  if (n < 2) t = NaN;
  else if (sd === 0) t = mean === mu ? NaN : mean > mu ? Infinity : -Infinity;
  else t = (mean - mu) / (sd / Math.sqrt(n));
  return { n, mean, sd, df, t, p: n < 2 ? NaN : pFromT(t, df, alternative), alternative, mu };
}

/** Paired t-test of a - b against 0 (scipy.stats.ttest_rel). `greater`: H1 mean(a - b) > 0. */
export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>, alternative: Alternative): TTestResult {
  if (a.length !== b.length) throw new Error(`pairedTTest: the two samples must pair up; found ${a.length} and ${b.length} values`);
  const d = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) d[i] = a[i] - b[i];
  return oneSampleTTest(d, 0, alternative);
}
