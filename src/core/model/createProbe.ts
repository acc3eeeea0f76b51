import * as tf from '@tensorflow/tfjs';
import { ModelError, type ModelManifest } from './manifest';
import { createTfProbe, type TfProbe, type TfProbeOptions } from './probe';
import { createGraphProbe } from './graphProbe';

/** A loaded TF.js model of either format. */
export type AnyTfModel = tf.LayersModel | tf.GraphModel;

export function isGraphModel(m: AnyTfModel): m is tf.GraphModel {
  return m instanceof tf.GraphModel;
}

/** The ModelProbe of a LayersModel (createTfProbe) or a GraphModel (createGraphProbe). */
export function createProbe(model: AnyTfModel, manifest: ModelManifest, opts: TfProbeOptions = {}): TfProbe {
  return isGraphModel(model) ? createGraphProbe(model, manifest, opts) : createTfProbe(model, manifest, opts);
}

/**
 * The model as a LayersModel, for what needs Keras layers (cascading randomization re-initialises
 * layers' weights block by block; a GraphModel has ops and constants, no layers or initializers).
 */
export function asLayersModel(m: AnyTfModel, what: string, modelId: string): tf.LayersModel {
  if (isGraphModel(m)) {
    throw new ModelError('UNSUPPORTED_GRAPH_MODEL', `${what} needs a Keras LayersModel; model "${modelId}" is a TF.js GraphModel (ops and constants, no layers to re-initialise). Convert it from Keras (tensorflowjs_converter --input_format keras) to use it here`);
  }
  return m;
}
