import type { SaliencyMethodFn } from './types';
import { attribute, gradientPath } from './engine';
import { grayscaleOutput } from './postprocess';

/**
 * `sg`: SmoothGrad (SPEC section 2, PAIR's GetSmoothedMask with magnitude=True): the mean over N
 * samples of grad(x + eps)^2, eps ~ N(0, sigma^2) per element, sigma = noise * (max(x) - min(x)).
 * Noise from ctx.rng only.
 */
export interface SgParams {
  samples: number;
  /** PAIR's stdev_spread: sigma as a fraction of the input's range. */
  noise: number;
}

export const smoothGrad: SaliencyMethodFn<SgParams> = async (probe, x, params, ctx) => {
  const [h, w, c] = x.shape;
  const raw = await attribute(probe, x, gradientPath, ctx, { samples: params.samples, noise: params.noise, square: true, rng: ctx.rng });
  return grayscaleOutput(raw, [h, w, c]);
};
