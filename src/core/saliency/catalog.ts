/**
 * The saliency methods as data, without TF.js: ids, labels, families, parameter defaults, presets
 * and cost estimates. The UI, the CLI and the worker read this module; the TF part of each method
 * stays in its own file and is attached in registry.ts.
 *
 * Presets (labelled on every result):
 * - `paper` ("paper defaults"): SPEC section 2, PAIR's defaults — IG 25 steps, SG 25 samples,
 *   SIG 25 samples x 25 steps, noise 0.15 of the input range, black baseline, XRAI 100 steps.
 * - `quick` ("quick preview"): IG 16 steps, SG 6 samples, SIG 6 samples x 8 steps, XRAI 16 steps;
 *   Grad-CAM and the gradient are the same in both (one pass each). The maps are noisier and not
 *   for the trust criteria.
 * In both, the IG family's steps are only a start: they double (the trapezoid: n -> 2n - 1 nodes,
 * reusing every gradient) until the completeness error is at most `tolerance` (0.05) or `maxSteps`
 * is reached, and a map left over tolerance carries a warning (completeness.ts). `quick` caps the
 * doubling lower (IG and XRAI 128, SIG 32, Guided IG 160, Blur IG 80; `paper`: 400, SIG 100), so
 * it stays quick and says when it is rough. The quadrature `rule` is DEFAULT_IG_RULE in both;
 * `pair` stays available for parity with PAIR. Cost estimates count the starting steps.
 */
import { DEFAULT_IG_RULE } from './quadrature';
import { IG_MAX_STEPS, IG_TOLERANCE } from './completeness';

export type PresetId = 'paper' | 'quick';
export const PRESET_LABELS: Record<PresetId, string> = { paper: 'paper defaults', quick: 'quick preview' };

/** How a method attributes: one gradient, a CAM of a layer, a path integral, noise averaging, regions, or perturbation. */
export type MethodFamily = 'gradient' | 'cam' | 'path' | 'noise' | 'region' | 'perturbation';

export interface MethodInfo<P extends object = Record<string, unknown>> {
  id: string;
  label: string;
  family: MethodFamily;
  /** SPEC section 2's defaults (= presets.paper). */
  defaults: P;
  /** The raw map is signed (a diverging view is meaningful). */
  signed: boolean;
  presets: Record<PresetId, P>;
  /** Post-processing SPEC section 3 applies: 'grayscale' or 'minmax' (XRAI); 'positive-max' (occlusion): negatives to 0, divided by the max, like Grad-CAM. */
  postprocess: 'grayscale' | 'minmax' | 'positive-max';
  /** Draws noise from the seed (SmoothGrad family). Unseeded methods ignore the seed, and cache keys drop it. Default true. */
  seeded?: boolean;
  /**
   * Not one of the seed study's six (SPEC section 2 "extra"): run when asked for by id (--methods,
   * the Compare page's extras), never by default, so "all methods" stays the study's six.
   */
  extra?: boolean;
  /** Model passes (forward + backward) of one map with these parameters: the relative cost used for ETAs. */
  cost(params: P): number;
}

const num = (p: Record<string, unknown>, k: string, d = 1) => (typeof p[k] === 'number' ? (p[k] as number) : d);

export const METHOD_CATALOG: Record<string, MethodInfo> = {
  gradcam: { id: 'gradcam', label: 'Grad-CAM', family: 'cam', defaults: {}, signed: false, presets: { paper: {}, quick: {} }, postprocess: 'grayscale', seeded: false, cost: () => 1 },
  grad: { id: 'grad', label: 'Gradient', family: 'gradient', defaults: {}, signed: true, presets: { paper: {}, quick: {} }, postprocess: 'grayscale', seeded: false, cost: () => 1 },
  ig: {
    id: 'ig',
    label: 'Integrated Gradients',
    family: 'path',
    defaults: { steps: 25, baseline: 'black', rule: DEFAULT_IG_RULE, tolerance: IG_TOLERANCE, maxSteps: IG_MAX_STEPS },
    signed: true,
    presets: {
      paper: { steps: 25, baseline: 'black', rule: DEFAULT_IG_RULE, tolerance: IG_TOLERANCE, maxSteps: IG_MAX_STEPS },
      quick: { steps: 16, baseline: 'black', rule: DEFAULT_IG_RULE, tolerance: IG_TOLERANCE, maxSteps: 128 },
    },
    postprocess: 'grayscale',
    seeded: false,
    cost: (p) => num(p, 'steps'),
  },
  sg: {
    id: 'sg',
    label: 'SmoothGrad',
    family: 'noise',
    defaults: { samples: 25, noise: 0.15 },
    signed: false,
    presets: { paper: { samples: 25, noise: 0.15 }, quick: { samples: 6, noise: 0.15 } },
    postprocess: 'grayscale',
    cost: (p) => num(p, 'samples'),
  },
  sig: {
    id: 'sig',
    label: 'Smooth IG',
    family: 'noise',
    defaults: { samples: 25, steps: 25, noise: 0.15, baseline: 'black', rule: DEFAULT_IG_RULE, tolerance: IG_TOLERANCE, maxSteps: 100 },
    signed: false,
    presets: {
      paper: { samples: 25, steps: 25, noise: 0.15, baseline: 'black', rule: DEFAULT_IG_RULE, tolerance: IG_TOLERANCE, maxSteps: 100 },
      quick: { samples: 6, steps: 8, noise: 0.15, baseline: 'black', rule: DEFAULT_IG_RULE, tolerance: IG_TOLERANCE, maxSteps: 32 },
    },
    postprocess: 'grayscale',
    cost: (p) => num(p, 'samples') * num(p, 'steps'),
  },
  xrai: {
    id: 'xrai',
    label: 'XRAI',
    family: 'region',
    defaults: { steps: 100, algorithm: 'full', baselines: 'range', rule: DEFAULT_IG_RULE, tolerance: IG_TOLERANCE, maxSteps: IG_MAX_STEPS },
    signed: false,
    presets: {
      paper: { steps: 100, algorithm: 'full', baselines: 'range', rule: DEFAULT_IG_RULE, tolerance: IG_TOLERANCE, maxSteps: IG_MAX_STEPS },
      quick: { steps: 16, algorithm: 'full', baselines: 'range', rule: DEFAULT_IG_RULE, tolerance: IG_TOLERANCE, maxSteps: 128 },
    },
    postprocess: 'minmax',
    seeded: false,
    cost: (p) => 2 * num(p, 'steps') + 4,
  },
  'guided-ig': {
    id: 'guided-ig',
    label: 'Guided IG',
    family: 'path',
    defaults: { steps: 200, fraction: 0.25, maxDist: 0.02, baseline: 'black', tolerance: IG_TOLERANCE, maxSteps: IG_MAX_STEPS },
    signed: true,
    presets: {
      paper: { steps: 200, fraction: 0.25, maxDist: 0.02, baseline: 'black', tolerance: IG_TOLERANCE, maxSteps: IG_MAX_STEPS },
      quick: { steps: 40, fraction: 0.25, maxDist: 0.02, baseline: 'black', tolerance: IG_TOLERANCE, maxSteps: 160 },
    },
    postprocess: 'grayscale',
    seeded: false,
    extra: true,
    cost: (p) => num(p, 'steps'),
  },
  'blur-ig': {
    id: 'blur-ig',
    label: 'Blur IG',
    family: 'path',
    defaults: { sigmaMax: 50, steps: 100, gradStep: 0.01, sqrt: false, tolerance: IG_TOLERANCE, maxSteps: IG_MAX_STEPS },
    signed: true,
    presets: {
      paper: { sigmaMax: 50, steps: 100, gradStep: 0.01, sqrt: false, tolerance: IG_TOLERANCE, maxSteps: IG_MAX_STEPS },
      quick: { sigmaMax: 50, steps: 20, gradStep: 0.01, sqrt: false, tolerance: IG_TOLERANCE, maxSteps: 80 },
    },
    postprocess: 'grayscale',
    seeded: false,
    extra: true,
    cost: (p) => num(p, 'steps'),
  },
  occlusion: {
    id: 'occlusion',
    label: 'Occlusion',
    family: 'perturbation',
    defaults: { patch: 0.125, stride: 0.5, baseline: 'black' },
    signed: true,
    presets: { paper: { patch: 0.125, stride: 0.5, baseline: 'black' }, quick: { patch: 0.25, stride: 0.5, baseline: 'black' } },
    postprocess: 'positive-max',
    seeded: false,
    extra: true,
    // forward passes only: one per patch position ((1 - patch) / (patch * stride) + 1)^2, a forward about a third of a gradient pass
    cost: (p) => Math.ceil((Math.floor((1 - num(p, 'patch', 0.125)) / (num(p, 'patch', 0.125) * num(p, 'stride', 0.5))) + 1) ** 2 / 3),
  },
};

/** Method ids in display order: the seed's six first, extras after. */
export const METHOD_ORDER = ['gradcam', 'grad', 'ig', 'sg', 'sig', 'xrai', 'guided-ig', 'blur-ig', 'occlusion'];

/** Catalogued method ids in display order: the seed study's six, and the extras too with {extras: true}. */
export function methodIds(opts: { extras?: boolean } = {}): string[] {
  const known = Object.keys(METHOD_CATALOG).filter((id) => opts.extras || !METHOD_CATALOG[id].extra);
  return [...METHOD_ORDER.filter((id) => known.includes(id)), ...known.filter((id) => !METHOD_ORDER.includes(id))];
}

export class SaliencyError extends Error {
  constructor(public readonly code: string, message: string) {
    super(message);
    this.name = 'SaliencyError';
  }
}

/** Does the method use the seed? */
export function isSeeded(m: Pick<MethodInfo, 'seeded'>): boolean {
  return m.seeded !== false;
}

export function methodInfo(id: string): MethodInfo {
  const m = METHOD_CATALOG[id];
  if (!m) {
    throw new SaliencyError('BAD_INPUT_METHOD', `saliency method "${id}" is not registered (src/core/saliency/catalog.ts); registered: ${methodIds({ extras: true }).join(', ')}`);
  }
  return m;
}

/** The method's label, or its id when it is not catalogued. */
export function methodLabel(id: string): string {
  return METHOD_CATALOG[id]?.label ?? id;
}

/** Unregistered ids among `ids` (for a clear error naming all of them at once). */
export function unknownMethods(ids: string[]): string[] {
  return ids.filter((id) => !METHOD_CATALOG[id]);
}

/** The parameters a run uses: the preset's, then `overrides` for keys the method knows (unknown keys are an error). */
export function resolveParams(id: string, preset: PresetId = 'paper', overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const m = methodInfo(id);
  const base = m.presets[preset];
  if (!base) throw new SaliencyError('BAD_INPUT_PRESET', `preset "${preset}" does not exist; use "paper" or "quick"`);
  const bad = Object.keys(overrides).filter((k) => !(k in m.defaults) && !(id === 'gradcam' && k === 'layer'));
  if (bad.length) throw new SaliencyError('BAD_INPUT_PARAMS', `method "${id}" has no parameter ${bad.map((k) => `"${k}"`).join(', ')}; it takes ${Object.keys(m.defaults).join(', ') || 'none'}`);
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) out[k] = v;
  return out;
}

/** Relative cost of one map (model passes) with the preset's parameters and overrides. */
export function methodCost(id: string, preset: PresetId, overrides: Record<string, unknown> = {}): number {
  return methodInfo(id).cost(resolveParams(id, preset, overrides));
}
