import * as tf from '@tensorflow/tfjs';
import type { MethodContext, ModelProbe, SaliencyMethodFn } from './types';
import { attribute, baselineTensor, integratedGradientsPath, targetValues, weightedIntegratedGradientsPath } from './engine';
import { attributionSum, grayscaleOutput } from './postprocess';
import { DEFAULT_IG_RULE, type IgRule } from './quadrature';
import { adaptSteps, checkAccuracyParams, completenessError, completenessWarnings, nestedTrapezoidSchedule, stepSchedule, type IgAccuracyParams } from './completeness';

/**
 * `ig`: Integrated Gradients (SPEC section 2): (x - b) * integral over a in [0, 1] of dy/dx at
 * b + a (x - b), by the quadrature `rule` (quadrature.ts; `pair` is PAIR's IntegratedGradients,
 * (1/n) * sum over linspace(0, 1, n) with both ends). Steps start at `steps` and double until the
 * completeness error |sum(attr) - (f(x) - f(b))| / |f(x) - f(b)| is at most `tolerance` or
 * `maxSteps` is reached (completeness.ts); the output records the error, the steps used and a
 * warning when the error stays over tolerance.
 */
export interface IgParams extends IgAccuracyParams {
  /** Starting steps (SPEC: 25). */
  steps: number;
  /** 'black' = input-range minimum, 'white' = maximum, or a constant in the input space. */
  baseline: 'black' | 'white' | number;
  /** Quadrature rule (default: DEFAULT_IG_RULE, chosen by bench/igCompleteness.ts). */
  rule?: IgRule;
}

/**
 * Raw IG attribution [H, W, C] (row-major Float32Array) at exactly `steps` nodes, no adaptation.
 * The interpolants go through the probe in batches of probe.maxBatch, built on the device.
 */
export async function integratedGradientsRaw(
  probe: ModelProbe,
  x: tf.Tensor3D,
  params: { steps: number; baseline: 'black' | 'white' | number; rule?: IgRule },
  ctx: Pick<MethodContext, 'checkpoint' | 'onProgress'> = {},
): Promise<Float32Array> {
  const b = baselineTensor(probe, x.shape, params.baseline);
  try {
    return await attribute(probe, x, integratedGradientsPath(b, params.steps, params.rule ?? DEFAULT_IG_RULE), ctx);
  } finally {
    b.dispose();
  }
}

/** Target at the input and at a baseline, in one model call. */
export async function targetAtInputAndBaseline(probe: ModelProbe, x: tf.Tensor3D, baseline: IgParams['baseline']): Promise<{ input: number; baseline: number }> {
  const both = tf.tidy(() => tf.concat([x.expandDims(0), baselineTensor(probe, x.shape, baseline)], 0) as tf.Tensor4D);
  try {
    const [input, base] = await targetValues(probe, both);
    return { input, baseline: base };
  } finally {
    both.dispose();
  }
}

/**
 * The trapezoid at 2m - 1 nodes from the one at m nodes (`coarse`, [H, W, C]): the new nodes are the
 * midpoints a_j = (2j + 1) / (2(m - 1)), j = 0..m-2, each weighing h = 1 / (2(m - 1)), and
 * T_{2m-1} = T_m / 2 + (x - b) * h * sum_j grad(b + a_j (x - b)).
 */
export async function refineTrapezoid(
  probe: ModelProbe,
  x: tf.Tensor3D,
  baseline: IgParams['baseline'],
  coarse: Float32Array,
  m: number,
  ctx: Pick<MethodContext, 'checkpoint' | 'onProgress'> = {},
): Promise<Float32Array> {
  const h = 1 / (2 * (m - 1));
  const nodes = Array.from({ length: m - 1 }, (_, j) => (2 * j + 1) * h);
  const b = baselineTensor(probe, x.shape, baseline);
  let mid: Float32Array;
  try {
    mid = await attribute(probe, x, weightedIntegratedGradientsPath(b, { nodes, weights: nodes.map(() => h) }), ctx);
  } finally {
    b.dispose();
  }
  const out = new Float32Array(coarse.length);
  for (let i = 0; i < out.length; i++) out[i] = coarse[i] / 2 + mid[i];
  return out;
}

/** Adaptive IG from one baseline: the raw attribution, its completeness error and the steps used (XRAI runs this per baseline). */
export async function adaptiveIntegratedGradients(
  probe: ModelProbe,
  x: tf.Tensor3D,
  params: IgParams,
  ctx: Pick<MethodContext, 'checkpoint' | 'onProgress'> = {},
  known?: { input: number; baseline: number },
  label = 'Integrated Gradients',
): Promise<{ raw: Float32Array; steps: number; completenessError: number | undefined; tried: number[]; warnings: string[]; target: { input: number; baseline: number } }> {
  const rule = params.rule ?? DEFAULT_IG_RULE;
  const acc = checkAccuracyParams(label, params);
  const t = known ?? (await targetAtInputAndBaseline(probe, x, params.baseline));
  // The trapezoid refines in place: n -> 2n - 1 nodes reuses every gradient (T_2m = T_m / 2 + h sum of the new midpoints).
  const nested = rule === 'trapezoid' && params.steps >= 2;
  const schedule = nested ? nestedTrapezoidSchedule(params.steps, acc.maxSteps) : stepSchedule(params.steps, acc.maxSteps);
  const r = await adaptSteps<Float32Array>(params.steps, acc, async (steps, previous) => {
    const raw = nested && previous ? await refineTrapezoid(probe, x, params.baseline, previous.result, previous.steps, ctx) : await integratedGradientsRaw(probe, x, { steps, baseline: params.baseline, rule }, ctx);
    return { result: raw, error: completenessError(attributionSum(raw), t.input, t.baseline) };
  }, schedule);
  const warnings = completenessWarnings(label, { error: r.error, steps: r.steps, tolerance: acc.tolerance, maxSteps: acc.maxSteps, rule, fx: t.input, fb: t.baseline, baseline: `${String(params.baseline)} baseline` });
  return { raw: r.result, steps: r.steps, completenessError: r.error, tried: r.tried, warnings, target: t };
}

export const integratedGradients: SaliencyMethodFn<IgParams> = async (probe, x, params, ctx) => {
  const [h, w, c] = x.shape;
  const r = await adaptiveIntegratedGradients(probe, x, params, ctx);
  const out = grayscaleOutput(r.raw, [h, w, c], {
    targetAtInput: r.target.input,
    targetAtBaselines: { [String(params.baseline)]: r.target.baseline },
    attributionSum: attributionSum(r.raw),
    rule: params.rule ?? DEFAULT_IG_RULE,
    stepsTried: r.tried,
  });
  return withCompleteness(out, r.completenessError, r.steps, r.warnings);
};

/** The output with the IG family's completeness fields filled (the error only when measurable). */
export function withCompleteness<T extends { completenessError?: number; steps?: number; warnings?: string[] }>(out: T, error: number | undefined, steps: number, warnings: string[]): T {
  if (error !== undefined) out.completenessError = error;
  out.steps = steps;
  if (warnings.length) out.warnings = [...(out.warnings ?? []), ...warnings];
  return out;
}
