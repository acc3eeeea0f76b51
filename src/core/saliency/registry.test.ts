import { describe, expect, it } from 'vitest';
import { getMethod, methodIds, resolveParams } from './registry';

describe('method registry', () => {
  it('"all methods" is the seed study\'s six; the extras are registered and come after them on request', () => {
    expect(methodIds()).toEqual(['gradcam', 'grad', 'ig', 'sg', 'sig', 'xrai']);
    expect(methodIds({ extras: true })).toEqual(['gradcam', 'grad', 'ig', 'sg', 'sig', 'xrai', 'guided-ig', 'blur-ig', 'occlusion']);
    for (const id of ['guided-ig', 'blur-ig', 'occlusion']) expect(getMethod(id).extra).toBe(true);
  });

  it('extras carry SPEC section 2\'s defaults in the paper preset', () => {
    expect(resolveParams('guided-ig', 'paper')).toMatchObject({ steps: 200, fraction: 0.25, maxDist: 0.02 });
    expect(resolveParams('blur-ig', 'paper')).toMatchObject({ sigmaMax: 50, steps: 100 });
    expect(resolveParams('occlusion', 'paper')).toMatchObject({ patch: 1 / 8, stride: 0.5 });
  });
});
