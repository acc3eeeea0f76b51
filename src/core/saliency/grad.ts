import type { SaliencyMethodFn } from './types';
import { attribute, gradientPath } from './engine';
import { grayscaleOutput } from './postprocess';

/** `grad`: the vanilla gradient dy/dx, signed, same shape as x (SPEC section 2). No parameters. */
export type GradParams = Record<string, never>;

export const vanillaGradient: SaliencyMethodFn<GradParams> = async (probe, x, _params, ctx) => {
  const [h, w, c] = x.shape;
  const raw = await attribute(probe, x, gradientPath, ctx);
  return grayscaleOutput(raw, [h, w, c]);
};
