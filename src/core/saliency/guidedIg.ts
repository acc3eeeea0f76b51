import * as tf from '@tensorflow/tfjs';
import type { SaliencyMethodFn } from './types';
import { baselineTensor } from './engine';
import { attributionSum, grayscaleOutput } from './postprocess';
import { targetAtInputAndBaseline, withCompleteness } from './ig';
import { adaptSteps, checkAccuracyParams, completenessError, completenessWarnings, type IgAccuracyParams } from './completeness';

/**
 * `guided-ig` (extra): Guided Integrated Gradients (Kapishnikov et al. 2021), PAIR saliency v0.2's
 * guided_ig_impl. The path starts at the baseline and, at each of `steps` steps, moves the features
 * with the smallest |gradient| (the `fraction` quantile, NumPy's 'lower' interpolation) toward the
 * input until the L1 distance to the input has shrunk by 1/steps of the total, while no feature
 * strays more than `maxDist` (in alpha) from the straight line; attribution += (x_new - x_old) *
 * gradient at x_old. Each step needs the gradient at the point the previous one reached, so the
 * steps run one after another (batch 1); the bookkeeping is in float64 on the CPU.
 * Completeness: |sum(attr) - (f(x) - f(b))| / |f(x) - f(b)| along its own path, which ends at x.
 */
export interface GuidedIgParams extends IgAccuracyParams {
  /** Starting steps; doubled (the whole path rerun) until completeness is within tolerance. */
  steps: number;
  fraction: number;
  maxDist: number;
  baseline: 'black' | 'white' | number;
}

const EPS = 1e-9;
const isClose = (a: number, b: number) => Math.abs(a - b) <= Math.max(EPS * Math.max(Math.abs(a), Math.abs(b)), EPS);

/** The path and attribution, given a gradient function: the algorithm alone (tested against a Python port of PAIR's). */
export async function guidedIgCore(
  input: Float64Array,
  base: Float64Array,
  grad: (x: Float64Array) => Promise<ArrayLike<number>>,
  p: Pick<GuidedIgParams, 'steps' | 'fraction' | 'maxDist'>,
  onStep?: (step: number) => Promise<void> | void,
): Promise<Float64Array> {
  const n = input.length;
  const x = Float64Array.from(base);
  const attr = new Float64Array(n);
  let l1Total = 0;
  for (let i = 0; i < n; i++) l1Total += Math.abs(input[i] - base[i]);
  if (l1Total === 0) return attr;
  const g = new Float64Array(n);
  const absSorted = new Float64Array(n);
  const xOld = new Float64Array(n);
  const sel = new Uint8Array(n);
  const xMin = new Float64Array(n);
  const xMax = new Float64Array(n);
  for (let step = 0; step < p.steps; step++) {
    const gActual = await grad(x);
    for (let i = 0; i < n; i++) g[i] = gActual[i];
    const alpha = (step + 1) / p.steps;
    const aMin = Math.max(alpha - p.maxDist, 0);
    const aMax = Math.min(alpha + p.maxDist, 1);
    const l1Target = l1Total * (1 - (step + 1) / p.steps);
    // The points of the straight line at alpha_min and alpha_max, once per step.
    for (let i = 0; i < n; i++) {
      xMin[i] = base[i] + (input[i] - base[i]) * aMin;
      xMax[i] = base[i] + (input[i] - base[i]) * aMax;
    }
    let gamma = Infinity;
    while (gamma > 1) {
      xOld.set(x);
      // Features left behind alpha_min jump to x_min.
      for (let i = 0; i < n; i++) {
        const d = input[i] - base[i];
        const a = d !== 0 ? (x[i] - base[i]) / d : aMax;
        if (a < aMin) x[i] = xMin[i];
      }
      let l1Current = 0;
      for (let i = 0; i < n; i++) l1Current += Math.abs(x[i] - input[i]);
      if (isClose(l1Target, l1Current)) {
        for (let i = 0; i < n; i++) attr[i] += (x[i] - xOld[i]) * gActual[i];
        break;
      }
      // Features at x_max are out of the selection; the rest: |grad| at or under the fraction quantile.
      for (let i = 0; i < n; i++) {
        if (x[i] === xMax[i]) g[i] = Infinity;
        absSorted[i] = Math.abs(g[i]);
      }
      absSorted.sort();
      const threshold = absSorted[Math.floor(p.fraction * (n - 1))];
      let l1S = 0;
      for (let i = 0; i < n; i++) {
        sel[i] = Math.abs(g[i]) <= threshold && g[i] !== Infinity ? 1 : 0;
        if (sel[i]) l1S += Math.abs(x[i] - xMax[i]);
      }
      gamma = l1S > 0 ? (l1Current - l1Target) / l1S : Infinity;
      for (let i = 0; i < n; i++) {
        if (!sel[i]) continue;
        x[i] = gamma > 1 ? xMax[i] : x[i] + (xMax[i] - x[i]) * gamma;
      }
      for (let i = 0; i < n; i++) attr[i] += (x[i] - xOld[i]) * gActual[i];
    }
    if (onStep) await onStep(step + 1);
  }
  return attr;
}

export const guidedIntegratedGradients: SaliencyMethodFn<GuidedIgParams> = async (probe, x, params, ctx) => {
  const [h, w, c] = x.shape;
  if (!Number.isInteger(params.steps) || params.steps < 1) throw new RangeError(`guided IG: steps must be a positive integer, found ${params.steps}`);
  if (!(params.fraction > 0 && params.fraction <= 1)) throw new RangeError(`guided IG: fraction must be in (0, 1], found ${params.fraction}`);
  if (!(params.maxDist >= 0 && params.maxDist <= 1)) throw new RangeError(`guided IG: maxDist must be in [0, 1], found ${params.maxDist}`);
  const b = baselineTensor(probe, [h, w, c], params.baseline);
  let base: Float64Array;
  try {
    base = Float64Array.from(await b.data());
  } finally {
    b.dispose();
  }
  const input = Float64Array.from(await x.data());
  const t = await targetAtInputAndBaseline(probe, x, params.baseline);
  const grad = async (at: Float64Array) => {
    const t = tf.tensor4d(Float32Array.from(at), [1, h, w, c]);
    const gt = probe.inputGradients(t);
    t.dispose();
    try {
      return await gt.data();
    } finally {
      gt.dispose();
    }
  };
  const acc = checkAccuracyParams('Guided IG', params);
  const r = await adaptSteps(params.steps, acc, async (steps) => {
    const attr = await guidedIgCore(input, base, grad, { ...params, steps }, async (s) => {
      ctx.onProgress?.(s, steps);
      if (ctx.checkpoint) await ctx.checkpoint();
    });
    return { result: attr, error: completenessError(attributionSum(attr), t.input, t.baseline) };
  });
  const attr = r.result;
  const warnings = completenessWarnings('Guided IG', { error: r.error, steps: r.steps, tolerance: acc.tolerance, maxSteps: acc.maxSteps, fx: t.input, fb: t.baseline, baseline: `${String(params.baseline)} baseline` });
  const out = grayscaleOutput(Float32Array.from(attr), [h, w, c], { targetAtInput: t.input, targetAtBaselines: { [String(params.baseline)]: t.baseline }, attributionSum: attributionSum(attr), stepsTried: r.tried });
  return withCompleteness(out, r.error, r.steps, warnings);
};
