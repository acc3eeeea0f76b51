import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { ModelProbe } from './types';
import { quadrature, IG_RULES, type IgRule } from './quadrature';
import { adaptSteps, completenessError, nestedTrapezoidSchedule, stepSchedule } from './completeness';
import { integratedGradients, integratedGradientsRaw } from './ig';
import { smoothIntegratedGradients } from './sig';
import { guidedIntegratedGradients } from './guidedIg';
import { blurIntegratedGradients } from './blurIg';
import { xrai } from './xrai';
import { METHODS } from './registry';
import { countingProbe, linearProbe, seededValues } from './testing';
import { createRng } from './rng';

beforeAll(async () => { await tf.setBackend('cpu'); });

/**
 * An analytic probe f(x) = exp(sum(w * x)): along the straight path from b to x, s(a) = s_b + a D
 * with D = s_x - s_b, the path derivative is g(a) = D exp(s_b + a D) and its integral is
 * exp(s_x) - exp(s_b). Each rule's sum has a closed form, computed below without quadrature.ts.
 */
function expProbe(w: Float32Array, shape: [number, number, number], maxBatch = 8): ModelProbe {
  const [h, wd, c] = shape;
  const wt = () => tf.tensor4d(w, [1, h, wd, c]);
  return {
    inputShape: shape,
    inputRange: [-1, 1],
    maxBatch,
    target: (x) => tf.tidy(() => x.mul(wt()).sum([1, 2, 3]).exp() as tf.Tensor1D),
    inputGradients: (x) => tf.tidy(() => x.mul(wt()).sum([1, 2, 3], true).exp().mul(wt()) as tf.Tensor4D),
    layerGradients: () => { throw new Error('not used'); },
  };
}

const shape: [number, number, number] = [3, 4, 1];
const N = 12;
// Weights and input such that D = s_x - s_b is about 2.5: the path integrand varies by a factor e^2.5.
const w = Float32Array.from(seededValues(N, 41), (v) => 0.2 + 0.5 * v);
const xv = Float32Array.from(seededValues(N, 42), (v) => v * 1.6);
let sx = 0;
let sb = 0;
for (let i = 0; i < N; i++) { sx += w[i] * xv[i]; sb += -w[i]; }
const D = sx - sb;
const exact = Math.exp(sx) - Math.exp(sb);

/** Hand-worked sums of g(a) = D e^{s_b + a D} for each rule at n nodes. */
function closedFormSum(rule: IgRule, n: number): number {
  if (rule === 'pair' || rule === 'trapezoid') {
    const r = Math.exp(D / (n - 1));
    const geometric = (Math.pow(r, n) - 1) / (r - 1); // sum_k r^k, k = 0..n-1
    if (rule === 'pair') return (D / n) * Math.exp(sb) * geometric;
    return (D / (n - 1)) * Math.exp(sb) * (geometric - (1 + Math.pow(r, n - 1)) / 2);
  }
  // Gauss-Legendre nodes and weights on [-1, 1] from Abramowitz & Stegun table 25.4.
  const tables: Record<number, Array<[number, number]>> = {
    2: [[-1 / Math.sqrt(3), 1], [1 / Math.sqrt(3), 1]],
    3: [[-Math.sqrt(3 / 5), 5 / 9], [0, 8 / 9], [Math.sqrt(3 / 5), 5 / 9]],
    4: [[-0.8611363115940526, 0.3478548451374538], [-0.3399810435848563, 0.6521451548625461], [0.3399810435848563, 0.6521451548625461], [0.8611363115940526, 0.3478548451374538]],
  };
  return tables[n].reduce((acc, [t, wt]) => acc + (wt / 2) * D * Math.exp(sb + ((t + 1) / 2) * D), 0);
}

describe('quadrature rules', () => {
  it('Gauss-Legendre with 5 nodes matches the tabulated nodes and weights (A&S 25.4) on [0, 1]', () => {
    const q = quadrature('gauss-legendre', 5);
    const t = [-0.906179845938664, -0.5384693101056831, 0, 0.5384693101056831, 0.906179845938664];
    const wt = [0.23692688505618908, 0.47862867049936647, 0.5688888888888889, 0.47862867049936647, 0.23692688505618908];
    for (let k = 0; k < 5; k++) {
      expect(q.nodes[k]).toBeCloseTo((t[k] + 1) / 2, 12);
      expect(q.weights[k]).toBeCloseTo(wt[k] / 2, 12);
    }
  });

  it('every rule integrates a linear g exactly; trapezoid and pair disagree on a^2 by the hand-worked amounts', () => {
    for (const rule of IG_RULES) for (const n of [2, 3, 7, 25]) {
      const q = quadrature(rule, n);
      let s = 0;
      for (let k = 0; k < n; k++) s += q.weights[k] * (3 + 2 * q.nodes[k]);
      expect(s).toBeCloseTo(4, 12);
    }
    // integral of a^2 = 1/3; pair: (2n - 1) / (6 (n - 1)); trapezoid: 1/3 + 1 / (6 (n - 1)^2); GL (n >= 2): exact.
    for (const n of [3, 10, 25]) {
      const sq = (rule: IgRule) => { const q = quadrature(rule, n); let s = 0; for (let k = 0; k < n; k++) s += q.weights[k] * q.nodes[k] ** 2; return s; };
      expect(sq('pair')).toBeCloseTo((2 * n - 1) / (6 * (n - 1)), 12);
      expect(sq('trapezoid')).toBeCloseTo(1 / 3 + 1 / (6 * (n - 1) ** 2), 12);
      expect(sq('gauss-legendre')).toBeCloseTo(1 / 3, 12);
    }
  });
});

describe('IG completeness on the analytic exp probe', () => {
  it('each rule\'s completeness error at n steps equals the hand-computed quadrature error', async () => {
    const probe = expProbe(w, shape);
    const x = tf.tensor3d(xv, shape);
    const cases: Array<[IgRule, number]> = [['pair', 4], ['pair', 25], ['trapezoid', 4], ['trapezoid', 25], ['gauss-legendre', 2], ['gauss-legendre', 3], ['gauss-legendre', 4]];
    for (const [rule, n] of cases) {
      const out = await integratedGradients(probe, x, { steps: n, baseline: 'black', rule, maxSteps: n }, { rng: createRng(0) });
      const want = Math.abs(closedFormSum(rule, n) - exact) / Math.abs(exact);
      expect(out.steps).toBe(n);
      // float32 sums: agreement to 1e-4 relative of the integral (errors here run from 2e-4 to 0.5).
      expect(Math.abs(out.completenessError! - want)).toBeLessThan(1e-4 + 1e-3 * want);
    }
    x.dispose();
  });

  it('doubling stops at the first n whose hand-computed error is within tolerance', async () => {
    const probe = expProbe(w, shape);
    const x = tf.tensor3d(xv, shape);
    const tolerance = 0.01;
    // pair's error falls like 1/n: find the first of 4, 8, 16, ... within tolerance from the closed form.
    let n = 4;
    while (Math.abs(closedFormSum('pair', n) - exact) / Math.abs(exact) > tolerance) n *= 2;
    expect(n).toBeGreaterThan(4); // the test must exercise doubling
    const out = await integratedGradients(probe, x, { steps: 4, baseline: 'black', rule: 'pair', tolerance, maxSteps: 4096 }, { rng: createRng(0) });
    expect(out.steps).toBe(n);
    expect(out.completenessError!).toBeLessThanOrEqual(tolerance);
    expect(out.warnings ?? []).toEqual([]);
    expect((out.info as { stepsTried: number[] }).stepsTried).toEqual(stepSchedule(4, 4096).filter((k) => k <= n));
    x.dispose();
  });

  it('the trapezoid refines in place: 4 -> 7 -> 13 -> ... nodes, equal to the closed-form trapezoid, each gradient computed once', async () => {
    const { probe, calls } = countingProbe(expProbe(w, shape));
    const x = tf.tensor3d(xv, shape);
    const tolerance = 1e-3;
    let n = 4;
    while (Math.abs(closedFormSum('trapezoid', n) - exact) / Math.abs(exact) > tolerance) n = 2 * n - 1;
    expect(n).toBeGreaterThan(7); // at least two refinements
    const out = await integratedGradients(probe, x, { steps: 4, baseline: 'black', rule: 'trapezoid', tolerance, maxSteps: 4096 }, { rng: createRng(0) });
    x.dispose();
    expect(out.steps).toBe(n);
    const want = Math.abs(closedFormSum('trapezoid', n) - exact) / Math.abs(exact);
    expect(Math.abs(out.completenessError! - want)).toBeLessThan(1e-5 + 1e-2 * want);
    // n nodes in all: the coarse grids' gradients are reused, never recomputed.
    expect(calls.inputGradients.reduce((a, b) => a + b, 0)).toBe(n);
    expect(nestedTrapezoidSchedule(25, 400)).toEqual([25, 49, 97, 193, 385]);
    expect(nestedTrapezoidSchedule(16, 128)).toEqual([16, 31, 61, 121]);
    expect(nestedTrapezoidSchedule(1, 128)).toEqual([1]);
  });

  it('warns in words with the figures when the cap is reached above tolerance', async () => {
    const probe = expProbe(w, shape);
    const x = tf.tensor3d(xv, shape);
    const out = await integratedGradients(probe, x, { steps: 4, baseline: 'black', rule: 'pair', tolerance: 1e-6, maxSteps: 12 }, { rng: createRng(0) });
    const want = Math.abs(closedFormSum('pair', 12) - exact) / Math.abs(exact);
    expect(out.steps).toBe(12); // 4, 8, then the cap 12
    expect(out.completenessError!).toBeCloseTo(want, 4);
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings![0]).toContain('12 steps');
    expect(out.warnings![0]).toContain(`completeness error ${Number((want * 100).toPrecision(3))} %`);
    expect(out.warnings![0]).toContain("tolerance of 0.0001 %");
    expect(out.warnings![0]).toContain('--ig-max-steps');
    x.dispose();
  });

  it('schedule: start, doublings, then the cap; a start above the cap runs once', () => {
    expect(stepSchedule(25, 400)).toEqual([25, 50, 100, 200, 400]);
    expect(stepSchedule(16, 128)).toEqual([16, 32, 64, 128]);
    expect(stepSchedule(25, 120)).toEqual([25, 50, 100, 120]);
    expect(stepSchedule(500, 400)).toEqual([500]);
  });

  it('adaptSteps stops when the error cannot be measured (f(x) = f(b))', async () => {
    const tried: number[] = [];
    const r = await adaptSteps(5, { tolerance: 0.05, maxSteps: 100 }, async (n) => { tried.push(n); return { result: n, error: completenessError(1, 2, 2) }; });
    expect(tried).toEqual([5]);
    expect(r.error).toBeUndefined();
  });
});

describe('completeness on a linear model is exact for the whole IG family', () => {
  const wl = seededValues(N, 51);
  const probe = linearProbe(wl, shape, 0.3, { inputRange: [-1, 1] });
  it('ig (every rule), sig, guided-ig: error ~0 at the starting steps, no warning', async () => {
    const x = tf.tensor3d(xv, shape);
    for (const rule of IG_RULES) {
      const out = await integratedGradients(probe, x, { steps: 3, baseline: 'black', rule }, { rng: createRng(0) });
      expect(out.completenessError!).toBeLessThan(1e-5);
      expect(out.steps).toBe(3);
      expect(out.warnings).toBeUndefined();
    }
    const sig = await smoothIntegratedGradients(probe, x, { samples: 4, steps: 3, noise: 0.15, baseline: 'black' }, { rng: createRng(2) });
    expect(sig.completenessError!).toBeLessThan(1e-5);
    expect(sig.steps).toBe(3);
    const gig = await guidedIntegratedGradients(probe, x, { steps: 10, fraction: 0.25, maxDist: 0.02, baseline: 'black' }, { rng: createRng(0) });
    expect(gig.completenessError!).toBeLessThan(1e-5);
    expect(gig.steps).toBe(10);
    x.dispose();
  });
});

describe('Smooth IG and XRAI record the worst of their samples and baselines', () => {
  it('sig: worst over noise samples, each checked against f(x + eps_s) - f(b) in plain JS', async () => {
    const probe = expProbe(w, shape);
    const x = tf.tensor3d(xv, shape);
    const steps = 6;
    const out = await smoothIntegratedGradients(probe, x, { samples: 3, steps, noise: 0.15, baseline: 'black', rule: 'pair', maxSteps: steps }, { rng: createRng(5) });
    x.dispose();
    // Redo the noise (same draws in sample order) and each sample's IG sum in closed form.
    const { gaussian } = await import('./rng');
    const rng = createRng(5);
    const sigma = 0.15 * (Math.max(...xv) - Math.min(...xv));
    let worst = 0;
    for (let s = 0; s < 3; s++) {
      let ss = 0;
      for (let i = 0; i < N; i++) ss += w[i] * (xv[i] + Math.fround(gaussian(rng)) * sigma);
      const Ds = ss - sb;
      const r = Math.exp(Ds / (steps - 1));
      const sum = (Ds / steps) * Math.exp(sb) * ((Math.pow(r, steps) - 1) / (r - 1));
      const ex = Math.exp(ss) - Math.exp(sb);
      worst = Math.max(worst, Math.abs(sum - ex) / Math.abs(ex));
    }
    expect(out.steps).toBe(steps);
    expect(Math.abs(out.completenessError! - worst)).toBeLessThan(1e-4 + 1e-3 * worst);
    expect(out.warnings?.[0]).toContain('worst of 3 noise samples');
  });

  it('xrai: worst over the black and white baselines; steps the larger of the two', async () => {
    const [h, wd] = [16, 16];
    const n = h * wd;
    const w2 = Float32Array.from(seededValues(n, 61), (v) => 0.02 * v);
    const x2 = Float32Array.from(seededValues(n, 62), (v) => v * 1.8);
    const probe = expProbe(w2, [h, wd, 1]);
    const x = tf.tensor3d(x2, [h, wd, 1]);
    const steps = 4;
    const out = await xrai(probe, x, { steps, rule: 'trapezoid', maxSteps: steps }, { rng: createRng(0) });
    x.dispose();
    let s = 0;
    let sumW = 0;
    for (let i = 0; i < n; i++) { s += w2[i] * x2[i]; sumW += w2[i]; }
    const errFrom = (sBase: number) => {
      const d = s - sBase;
      const r = Math.exp(d / (steps - 1));
      const sum = (d / (steps - 1)) * Math.exp(sBase) * ((Math.pow(r, steps) - 1) / (r - 1) - (1 + Math.pow(r, steps - 1)) / 2);
      const ex = Math.exp(s) - Math.exp(sBase);
      return Math.abs(sum - ex) / Math.abs(ex);
    };
    const want = Math.max(errFrom(-sumW), errFrom(sumW));
    expect(out.steps).toBe(steps);
    expect(Math.abs(out.completenessError! - want)).toBeLessThan(1e-4 + 1e-3 * want);
    expect((out.info as { stepsPerBaseline: number[] }).stepsPerBaseline).toEqual([steps, steps]);
  });
});

describe('Blur IG and Guided IG measure along their own paths', () => {
  it('blur-ig: error against f(x) - f(most blurred), steps double until tolerance', async () => {
    const probe = expProbe(Float32Array.from(seededValues(64, 71), (v) => 0.1 * v), [8, 8, 1]);
    const x = tf.tensor3d(Float32Array.from(seededValues(64, 72), (v) => 2 * v), [8, 8, 1]);
    const out = await blurIntegratedGradients(probe, x, { sigmaMax: 3, steps: 4, gradStep: 0.01, sqrt: false, tolerance: 0.02, maxSteps: 256 }, { rng: createRng(0) });
    x.dispose();
    const info = out.info as { targetAtInput: number; targetAtBaselines: Record<string, number>; attributionSum: number; stepsTried: number[] };
    const fb = info.targetAtBaselines['blur 3'];
    expect(out.completenessError!).toBeCloseTo(Math.abs(info.attributionSum - (info.targetAtInput - fb)) / Math.abs(info.targetAtInput - fb), 6);
    expect(info.stepsTried[0]).toBe(4);
    expect(out.steps).toBe(info.stepsTried[info.stepsTried.length - 1]);
    if (out.completenessError! > 0.02) expect(out.warnings).toHaveLength(1);
    else expect(out.warnings).toBeUndefined();
  });
});

describe('no tensor leaks through adaptive reruns and warnings', () => {
  it('every IG-family method, forced to double and warn, ends with the tensor count it started with', async () => {
    const probe = expProbe(w, shape, 3);
    const x = tf.tensor3d(xv, shape);
    const force = { tolerance: 0, maxSteps: 8 };
    const runs: Array<() => Promise<unknown>> = [
      () => integratedGradients(probe, x, { steps: 2, baseline: 'black', ...force }, { rng: createRng(1) }),
      () => smoothIntegratedGradients(probe, x, { samples: 2, steps: 2, noise: 0.15, baseline: 'black', ...force }, { rng: createRng(1) }),
      () => guidedIntegratedGradients(probe, x, { steps: 2, fraction: 0.25, maxDist: 0.02, baseline: 'black', ...force }, { rng: createRng(1) }),
      () => blurIntegratedGradients(probe, x, { sigmaMax: 2, steps: 2, gradStep: 0.01, sqrt: false, ...force }, { rng: createRng(1) }),
      () => integratedGradientsRaw(probe, x, { steps: 5, baseline: 'white', rule: 'gauss-legendre' }),
    ];
    for (const run of runs) await run();
    const before = tf.memory().numTensors;
    for (let k = 0; k < 5; k++) for (const run of runs) await run();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('the registry\'s IG-family presets all carry a tolerance and a cap', () => {
    for (const id of ['ig', 'sig', 'xrai', 'guided-ig', 'blur-ig']) {
      for (const preset of ['paper', 'quick'] as const) {
        const p = METHODS[id].presets[preset] as { tolerance?: number; maxSteps?: number; steps: number };
        expect(p.tolerance).toBe(0.05);
        expect(p.maxSteps).toBeGreaterThanOrEqual(p.steps);
      }
    }
  });
});
