import * as tf from '@tensorflow/tfjs';
import type { MethodContext, ModelProbe, SaliencyMethodFn } from './types';
import { attribute, baselineTensor, integratedGradientsPath, targetValues } from './engine';
import { attributionSum, grayscaleOutput } from './postprocess';

/**
 * `ig`: Integrated Gradients (SPEC section 2, PAIR's IntegratedGradients):
 * (x - b) * (1/n) * sum over a in linspace(0, 1, n) (both ends) of dy/dx at b + a (x - b).
 */
export interface IgParams {
  steps: number;
  /** 'black' = input-range minimum, 'white' = maximum, or a constant in the input space. */
  baseline: 'black' | 'white' | number;
}

/**
 * Raw IG attribution [H, W, C] (row-major Float32Array). XRAI calls this for each of its baselines.
 * The interpolants go through the probe in batches of probe.maxBatch, built on the device.
 */
export async function integratedGradientsRaw(
  probe: ModelProbe,
  x: tf.Tensor3D,
  params: { steps: number; baseline: 'black' | 'white' | number },
  ctx: Pick<MethodContext, 'checkpoint' | 'onProgress'> = {},
): Promise<Float32Array> {
  const b = baselineTensor(probe, x.shape, params.baseline);
  try {
    return await attribute(probe, x, integratedGradientsPath(b, params.steps), ctx);
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

export const integratedGradients: SaliencyMethodFn<IgParams> = async (probe, x, params, ctx) => {
  const [h, w, c] = x.shape;
  const raw = await integratedGradientsRaw(probe, x, params, ctx);
  const t = await targetAtInputAndBaseline(probe, x, params.baseline);
  // Completeness: attributionSum should approach targetAtInput - targetAtBaseline as steps grow.
  return grayscaleOutput(raw, [h, w, c], { targetAtInput: t.input, targetAtBaselines: { [String(params.baseline)]: t.baseline }, attributionSum: attributionSum(raw) });
};
