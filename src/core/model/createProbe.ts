import * as tf from '@tensorflow/tfjs';
import { ModelError, type ModelManifest } from './manifest';
import { createTfProbe, type TfProbe, type TfProbeOptions } from './probe';
import { createGraphProbe } from './graphProbe';
import { isOnnxModel, type OnnxModel } from './onnx/model';
import { createOnnxProbe } from './onnx/probe';

/** A loaded model: TF.js LayersModel or GraphModel, or an ONNX graph lowered onto TF.js ops. */
export type AnyTfModel = tf.LayersModel | tf.GraphModel | OnnxModel;

export { isOnnxModel };

export function isGraphModel(m: AnyTfModel): m is tf.GraphModel {
  return m instanceof tf.GraphModel;
}

/** The ModelProbe of a LayersModel (createTfProbe), a GraphModel (createGraphProbe) or an ONNX model (createOnnxProbe). */
export function createProbe(model: AnyTfModel, manifest: ModelManifest, opts: TfProbeOptions = {}): TfProbe {
  if (isOnnxModel(model)) return createOnnxProbe(model, manifest, opts);
  return isGraphModel(model) ? createGraphProbe(model, manifest, opts) : createTfProbe(model, manifest, opts);
}

/**
 * The model as a LayersModel, for what needs Keras layers (cascading randomization re-initialises
 * layers' weights block by block; a GraphModel has ops and constants, no layers or initializers).
 */
export function asLayersModel(m: AnyTfModel, what: string, modelId: string): tf.LayersModel {
  if (isOnnxModel(m)) {
    throw new ModelError('UNSUPPORTED_ONNX_MODEL', `${what} needs a Keras LayersModel; model "${modelId}" is an imported ONNX graph (cascading randomization re-initialises it with modelCascadeSteps / randomizeModel in cascade.ts)`);
  }
  if (isGraphModel(m)) {
    throw new ModelError('UNSUPPORTED_GRAPH_MODEL', `${what} needs a Keras LayersModel; model "${modelId}" is a TF.js GraphModel (ops and constants, no layers to re-initialise). Convert it from Keras (tensorflowjs_converter --input_format keras) to use it here`);
  }
  return m;
}
