import type { SaliencyMethodFn } from './types';
import { gradCam } from './gradcam';
import { vanillaGradient } from './grad';
import { integratedGradients } from './ig';
import { smoothGrad } from './sg';
import { smoothIntegratedGradients } from './sig';
import { xrai } from './xrai';
import { blurIntegratedGradients } from './blurIg';
import { occlusion } from './occlusion';
import { guidedIntegratedGradients } from './guidedIg';

/**
 * The saliency methods by id: the catalog's data (catalog.ts, TF-free) with each method's TF
 * function attached. A new method is one file, one catalog entry and one line here.
 */
import { METHOD_CATALOG, methodInfo, type MethodInfo } from './catalog';
export { PRESET_LABELS, METHOD_ORDER, methodIds, SaliencyError, isSeeded, unknownMethods, resolveParams, methodCost, methodLabel, type PresetId, type MethodFamily } from './catalog';

export interface SaliencyMethod<P extends object = Record<string, unknown>> extends MethodInfo<P> {
  fn: SaliencyMethodFn<P>;
}

const FUNCTIONS: Record<string, SaliencyMethodFn<never>> = {
  gradcam: gradCam as SaliencyMethodFn<never>,
  grad: vanillaGradient as SaliencyMethodFn<never>,
  ig: integratedGradients as SaliencyMethodFn<never>,
  sg: smoothGrad as SaliencyMethodFn<never>,
  sig: smoothIntegratedGradients as SaliencyMethodFn<never>,
  xrai: xrai as SaliencyMethodFn<never>,
  'guided-ig': guidedIntegratedGradients as SaliencyMethodFn<never>,
  'blur-ig': blurIntegratedGradients as SaliencyMethodFn<never>,
  occlusion: occlusion as SaliencyMethodFn<never>,
};

export const METHODS: Record<string, SaliencyMethod> = Object.fromEntries(
  Object.entries(METHOD_CATALOG).map(([id, info]) => {
    const fn = FUNCTIONS[id];
    if (!fn) throw new Error(`saliency method "${id}" is in the catalog but has no function in registry.ts`);
    return [id, { ...info, fn } as unknown as SaliencyMethod];
  }),
);

export function getMethod(id: string): SaliencyMethod {
  methodInfo(id);
  return METHODS[id];
}
