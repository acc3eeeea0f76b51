import type { SaliencyMethodFn } from './types';
import { attribute, baselineTensor, integratedGradientsPath } from './engine';
import { targetAtInputAndBaseline, type IgParams } from './ig';
import { grayscaleOutput } from './postprocess';

/**
 * `sig`: Smooth IG (SPEC section 2): SmoothGrad wrapped around IG. Noise on x only, the baseline
 * fixed; each sample's IG squared; mean over N samples. All N x n interpolants go through the model
 * in batches of probe.maxBatch (a batch may hold rows of two samples).
 */
export interface SigParams {
  samples: number;
  steps: number;
  noise: number;
  baseline: IgParams['baseline'];
}

export const smoothIntegratedGradients: SaliencyMethodFn<SigParams> = async (probe, x, params, ctx) => {
  const [h, w, c] = x.shape;
  const b = baselineTensor(probe, x.shape, params.baseline);
  let raw: Float32Array;
  try {
    raw = await attribute(probe, x, integratedGradientsPath(b, params.steps), ctx, { samples: params.samples, noise: params.noise, square: true, rng: ctx.rng });
  } finally {
    b.dispose();
  }
  const t = await targetAtInputAndBaseline(probe, x, params.baseline);
  return grayscaleOutput(raw, [h, w, c], { targetAtInput: t.input, targetAtBaselines: { [String(params.baseline)]: t.baseline } });
};
