import * as tf from '@tensorflow/tfjs';
import type { SaliencyMethodFn } from './types';
import { postprocessGrayscale, resizeBilinear } from './postprocess';

/**
 * `gradcam` (SPEC section 2): at a 4-D layer A [h, w, k], w_k = mean over i, j of dy/dA_ijk;
 * cam = ReLU(sum_k w_k A_k); divided by its max when that is > 0; upsampled bilinearly to the input
 * size (half-pixel grid, mirrored borders). Raw = the upsampled cam [H, W, 1].
 */
export interface GradCamParams {
  /** Layer name; default the probe's (manifest.gradcamLayer, else the last 4-D output before pooling). */
  layer?: string;
}

/** The cam at the layer's resolution, before normalisation: [h, w] read back. */
export async function gradCamAtLayer(probe: Parameters<SaliencyMethodFn<GradCamParams>>[0], x: tf.Tensor3D, layer?: string): Promise<{ cam: Float32Array; h: number; w: number }> {
  const cam = tf.tidy(() => {
    const { activations, gradients } = probe.layerGradients(x.expandDims(0) as tf.Tensor4D, layer);
    const weights = gradients.mean([1, 2], true); // [1, 1, 1, k]
    return tf.relu(activations.mul(weights).sum(-1)).squeeze([0]) as tf.Tensor2D; // [h, w]
  });
  try {
    const [h, w] = cam.shape;
    return { cam: (await cam.data()) as Float32Array, h, w };
  } finally {
    cam.dispose();
  }
}

export const gradCam: SaliencyMethodFn<GradCamParams> = async (probe, x, params, ctx) => {
  const [H, W] = x.shape;
  const { cam, h, w } = await gradCamAtLayer(probe, x, params.layer);
  let max = 0;
  for (let i = 0; i < cam.length; i++) if (cam[i] > max) max = cam[i];
  if (max > 0) for (let i = 0; i < cam.length; i++) cam[i] /= max;
  ctx.onProgress?.(1, 1);
  const raw = resizeBilinear(cam, h, w, H, W);
  return { raw, rawShape: [H, W, 1], map: postprocessGrayscale(raw, [H, W, 1]), width: W, height: H, info: { camShape: [h, w], camMax: max } };
};
