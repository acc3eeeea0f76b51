import { asLayersModel, isOnnxModel, type AnyTfModel } from './createProbe';
import { ModelError } from './manifest';
import { onnxCascadeSteps, randomizeOnnx } from './onnx/randomize';
import { cascadeSteps, randomizeCascade, type CascadeStep } from './randomization';

/**
 * Cascading randomization of any loaded model, one rule for the browser's worker and the CLI:
 * a Keras LayersModel re-initialises its layers block by block (randomization.ts); an imported
 * ONNX graph its Conv, ConvTranspose and Gemm nodes one by one, as PyTorch initialises them
 * (onnx/randomize.ts); a TF.js GraphModel has ops and constants, nothing to re-initialise.
 */

/** The cascade's steps, from the output back to the input. Throws ModelError for a GraphModel. */
export function modelCascadeSteps(model: AnyTfModel, modelId: string): CascadeStep[] {
  if (isOnnxModel(model)) return onnxCascadeSteps(model.graph);
  return cascadeSteps(asLayersModel(model, 'cascading randomization', modelId));
}

/** A NEW model whose steps 0..upToStep are re-initialised (the loaded model is never touched). */
export function randomizeModel(model: AnyTfModel, upToStep: number, seed: number, modelId: string): AnyTfModel {
  if (isOnnxModel(model)) {
    if (!onnxCascadeSteps(model.graph).length) throw new ModelError('UNSUPPORTED_ONNX_MODEL', `model "${modelId}" has no Conv, ConvTranspose or Gemm node with its weight stored in the graph, so cascading randomization has nothing to re-initialise`);
    return randomizeOnnx(model, upToStep, seed);
  }
  return randomizeCascade(asLayersModel(model, 'cascading randomization', modelId), upToStep, seed);
}
