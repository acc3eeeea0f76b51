import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../manifest';
import { OnnxGraph, importOnnx } from './graph';
import type { ExternalDataLookup } from './decode';
import { logical } from './values';

/**
 * An imported ONNX model with the small surface the app uses of a TF.js model: `inputs[0].shape`
 * (channels-last [null, H, W, C], as a TF.js image model's), `outputs[0].shape`, `predict` and
 * `dispose`. The graph itself (for the probe, Grad-CAM cuts and re-initialisation) is `graph`.
 */
export class OnnxModel {
  readonly format = 'onnx' as const;
  readonly inputs: Array<{ name: string; shape: Array<number | null> }>;
  readonly outputs: Array<{ name: string; shape: Array<number | null> | undefined }>;

  constructor(readonly graph: OnnxGraph, outputShape: Array<number | null> | null) {
    const [, c, h, w] = graph.inputDims;
    this.inputs = [{ name: graph.inputName, shape: [null, h, w, c] }];
    this.outputs = graph.outputNames.map((name, i) => ({ name, shape: i === 0 && outputShape ? outputShape : undefined }));
  }

  /** The model's first output (ONNX layout) for a batch of channels-last images [N, H, W, C]. */
  predict(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4) throw new ModelError('BAD_INPUT_SHAPE', `${this.graph.where}: predict takes a batch [N, H, W, C], got shape [${x.shape.join(', ')}]`);
    return tf.tidy(() => logical(this.graph.run(x, [this.graph.outputNames[0]])[0]));
  }

  dispose(): void {
    this.graph.dispose();
  }
}

export function isOnnxModel(m: unknown): m is OnnxModel {
  return m instanceof OnnxModel;
}

/** Builds an OnnxModel from the .onnx bytes and its external-data files (by the name the model gives). */
export function buildOnnxModel(bytes: Uint8Array, where: string, external?: ExternalDataLookup): OnnxModel {
  const graph = importOnnx(bytes, where, external);
  return new OnnxModel(graph, graph.proto.outputs[0]?.shape ?? null);
}
