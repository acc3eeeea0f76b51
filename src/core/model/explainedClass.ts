import * as tf from '@tensorflow/tfjs';
import type { AnyTfModel } from './createProbe';
import type { ModelManifest } from './manifest';

/**
 * The manifest with the class to explain fixed for one image. A model read with
 * `output.explain: 'predicted'` (a softmax model and no class chosen) explains, for each image, the
 * class it predicts: the argmax of its output for that image (the unperturbed input, never a point
 * on an attribution path). Other manifests come back unchanged. `x`: one preprocessed image
 * [H, W, C] or [1, H, W, C].
 */
export function manifestForImage(model: AnyTfModel, manifest: ModelManifest, x: tf.Tensor): ModelManifest {
  if (manifest.output.explain !== 'predicted') return manifest;
  const index = predictedClasses(model, x.rank === 3 ? x.expandDims(0) : x)[0];
  return { ...manifest, output: { kind: manifest.output.kind, index } };
}

/** The argmax of the model's output for each image of a batch [N, H, W, C]. */
export function predictedClasses(model: AnyTfModel, batch: tf.Tensor): number[] {
  return tf.tidy(() => {
    const y = model.predict(batch as tf.Tensor4D) as tf.Tensor;
    return Array.from(y.reshape([batch.shape[0], -1]).argMax(1).dataSync());
  });
}
