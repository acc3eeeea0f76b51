import { methodInfo } from '../../core/saliency/catalog';

/**
 * The estimated cost of one map: model passes (forward + backward) of the method with these
 * resolved parameters, the method catalog's `cost(params)`. The IG family's adaptive doubling may
 * use more steps than it starts with (up to maxSteps); the estimate is the starting steps.
 */
export function methodCost(method: string, params: Record<string, unknown>): number {
  return methodInfo(method).cost(params);
}
