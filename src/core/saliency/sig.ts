import type { SaliencyMethodFn } from './types';
import { attribute, baselineTensor, integratedGradientsPath, type SampleRecord } from './engine';
import { targetAtInputAndBaseline, withCompleteness, type IgParams } from './ig';
import { grayscaleOutput } from './postprocess';
import { gaussianArray } from './rng';
import { DEFAULT_IG_RULE, type IgRule } from './quadrature';
import { adaptSteps, checkAccuracyParams, completenessError, completenessWarnings, type IgAccuracyParams } from './completeness';

/**
 * `sig`: Smooth IG (SPEC section 2): SmoothGrad wrapped around IG. Noise on x only, the baseline
 * fixed; each sample's IG squared; mean over N samples. All N x n interpolants go through the model
 * in batches of probe.maxBatch (a batch may hold rows of two samples).
 *
 * Completeness is checked per noise sample, on its IG before squaring: |sum(IG_s) - (f(x + eps_s)
 * - f(b))| / |f(x + eps_s) - f(b)|. The recorded completenessError is the worst over the samples
 * (samples whose f(x + eps_s) equals f(b) cannot be checked and are left out); steps double for
 * all samples together, over the same noise draws, until that worst error is within tolerance.
 */
export interface SigParams extends IgAccuracyParams {
  samples: number;
  /** Starting steps per sample. */
  steps: number;
  noise: number;
  baseline: IgParams['baseline'];
  rule?: IgRule;
}

export const smoothIntegratedGradients: SaliencyMethodFn<SigParams> = async (probe, x, params, ctx) => {
  const [h, w, c] = x.shape;
  const rule = params.rule ?? DEFAULT_IG_RULE;
  const acc = checkAccuracyParams('Smooth IG', params);
  if (!Number.isInteger(params.samples) || params.samples < 1) throw new RangeError(`smoothing: samples must be a positive integer, found ${params.samples}`);
  // The noise is drawn once, in sample order (the draws attribute() would make), and reused by every rerun.
  const draws = Array.from({ length: params.samples }, () => gaussianArray(ctx.rng, h * w * c));
  const t = await targetAtInputAndBaseline(probe, x, params.baseline);
  let worstSample = -1;
  let worstTargets: [number, number] = [t.input, t.baseline];
  const r = await adaptSteps(params.steps, acc, async (steps) => {
    const b = baselineTensor(probe, x.shape, params.baseline);
    const record: SampleRecord = { sums: [], targets: [] };
    let raw: Float32Array;
    try {
      raw = await attribute(probe, x, integratedGradientsPath(b, steps, rule), ctx, { samples: params.samples, noise: params.noise, square: true, rng: ctx.rng, draws }, record);
    } finally {
      b.dispose();
    }
    let worst: number | undefined;
    worstSample = -1;
    for (let s = 0; s < params.samples; s++) {
      const e = completenessError(record.sums[s], record.targets[s], t.baseline);
      if (e !== undefined && (worst === undefined || e > worst)) {
        worst = e;
        worstSample = s;
        worstTargets = [record.targets[s], t.baseline];
      }
    }
    return { result: raw, error: worst };
  });
  const warnings = completenessWarnings(`Smooth IG (worst of ${params.samples} noise samples)`, { error: r.error, steps: r.steps, tolerance: acc.tolerance, maxSteps: acc.maxSteps, rule, fx: worstTargets[0], fb: worstTargets[1], baseline: `${String(params.baseline)} baseline` });
  const out = grayscaleOutput(r.result, [h, w, c], { targetAtInput: t.input, targetAtBaselines: { [String(params.baseline)]: t.baseline }, rule, stepsTried: r.tried, worstSample });
  return withCompleteness(out, r.error, r.steps, warnings);
};
