import * as tf from '@tensorflow/tfjs';
import type { AnyTfModel } from './createProbe';
import { ModelError, type ModelManifest } from './manifest';
import type { FieldSource } from './modelFolder';

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

/**
 * Which output unit a model folder explains, and where that choice came from: the `--class`
 * option, else the manifest's index, else the only unit, else (several sigmoid units, multi-label)
 * unit 0 with a warning, else (softmax) each image's predicted class (index null). `label` names
 * the folder in the error for a class that does not exist.
 */
export function chooseExplainedClass(
  classIndex: number | undefined,
  manifestIndex: number | undefined,
  classes: number | null,
  kind: string,
  label: string,
  warnings: string[],
): { index: number | null; source: FieldSource } {
  if (classIndex !== undefined) {
    if (!Number.isInteger(classIndex) || classIndex < 0 || (classes !== null && classIndex >= classes)) {
      throw new ModelError('USAGE_BAD_CLASS', `${label}: class ${classIndex} does not exist; the output has ${classes ?? 'an unknown number of'} class(es), numbered from 0`);
    }
    return { index: classIndex, source: 'option' };
  }
  if (manifestIndex !== undefined && Number.isInteger(manifestIndex)) return { index: manifestIndex, source: 'manifest' };
  if (classes === null || classes <= 1) return { index: 0, source: classes === null ? 'default' : 'inferred' };
  if (kind === 'sigmoid') {
    // Several independent sigmoid units (multi-label): no "predicted class" among them; the first, stated.
    warnings.push(`the output has ${classes} sigmoid units (multi-label); unit 0 is explained unless a class is chosen`);
    return { index: 0, source: 'default' };
  }
  return { index: null, source: 'predicted' };
}
