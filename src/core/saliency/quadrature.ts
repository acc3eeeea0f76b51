/**
 * Quadrature rules for the IG family's path integral over a in [0, 1] (SPEC section 2, `ig`).
 * A rule with n steps is n nodes a_k and weights w_k: integral of g ~ sum_k w_k g(a_k), one model
 * gradient per node, so rules compare at equal cost when n is equal.
 *
 * - `pair`: PAIR's IntegratedGradients, a_k = linspace(0, 1, n) with both ends, w_k = 1/n. Its
 *   weights sum to 1 but over-weight both ends by half a step, so it is first order: the error
 *   falls like 1/n (about (g(0) + g(1)) / (2n)).
 * - `trapezoid`: the same nodes, w_k = 1/(n - 1) with both ends halved; second order (1/n^2).
 * - `gauss-legendre`: the n Gauss-Legendre nodes mapped from [-1, 1] to [0, 1] (Captum's default);
 *   exact for polynomials of degree 2n - 1.
 * With n = 1, `pair` is its one node a = 0 (NumPy's linspace), `trapezoid` falls back to the
 * midpoint a = 1/2 (a trapezoid needs two nodes) and `gauss-legendre` is the midpoint too.
 */
export type IgRule = 'pair' | 'trapezoid' | 'gauss-legendre';
export const IG_RULES: readonly IgRule[] = ['pair', 'trapezoid', 'gauss-legendre'];

export interface Quadrature {
  nodes: Float64Array;
  weights: Float64Array;
}

export function isIgRule(v: unknown): v is IgRule {
  return typeof v === 'string' && (IG_RULES as readonly string[]).includes(v);
}

/** The nodes in [0, 1] and weights (summing to 1) of `rule` with n nodes. */
export function quadrature(rule: IgRule, n: number): Quadrature {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`quadrature: steps must be a positive integer, found ${n}`);
  if (!isIgRule(rule)) throw new RangeError(`quadrature: rule must be one of ${IG_RULES.join(', ')}, found ${String(rule)}`);
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  if (rule === 'gauss-legendre') return gaussLegendre(n);
  if (n === 1) {
    nodes[0] = rule === 'pair' ? 0 : 0.5;
    weights[0] = 1;
    return { nodes, weights };
  }
  for (let k = 0; k < n; k++) {
    nodes[k] = k / (n - 1);
    weights[k] = rule === 'pair' ? 1 / n : (k === 0 || k === n - 1 ? 0.5 : 1) / (n - 1);
  }
  return { nodes, weights };
}

/**
 * Gauss-Legendre nodes and weights on [0, 1]: the roots t_i of the Legendre polynomial P_n by
 * Newton's method from Tricomi's estimate cos(pi (i + 3/4) / (n + 1/2)), weights
 * 2 / ((1 - t^2) P_n'(t)^2), then a = (t + 1)/2, w = w_t / 2. Nodes in ascending order.
 */
function gaussLegendre(n: number): Quadrature {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let t = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      // P_n(t) and P_n'(t) by the three-term recurrence.
      let p0 = 1;
      let p1 = t;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * t * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      const pn = n === 1 ? t : p1;
      const pn1 = n === 1 ? 1 : p0;
      dp = (n * (t * pn - pn1)) / (t * t - 1);
      const dt = pn / dp;
      t -= dt;
      if (Math.abs(dt) < 1e-15) break;
    }
    if (n === 1) dp = 1;
    const w = 2 / ((1 - t * t) * dp * dp);
    // t is the i-th largest root; -t its mirror.
    nodes[n - 1 - i] = (1 + t) / 2;
    nodes[i] = (1 - t) / 2;
    weights[n - 1 - i] = w / 2;
    weights[i] = w / 2;
  }
  return { nodes, weights };
}

/**
 * The rule `ig`, `sig` and `xrai` use unless told: the most accurate at equal cost as measured by
 * bench/igCompleteness.ts (table in bench/igCompleteness.md): `trapezoid`.
 */
export const DEFAULT_IG_RULE: IgRule = 'trapezoid';
