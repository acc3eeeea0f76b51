import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../manifest';
import type { CascadeStep } from '../randomization';
import { deriveSeed } from '../../saliency/rng';
import { OnnxGraph } from './graph';
import { OnnxModel } from './model';
import { logicalShape } from './values';

/**
 * Cascading weight randomization of an imported ONNX graph (the sanity check of SPEC section 5.2):
 * one step per Conv, ConvTranspose and Gemm node whose weight is an initializer, from the output
 * back to the input. Step s re-initialises the nodes of steps 0..s of a COPY of the graph with
 * PyTorch's default initialisation of Conv2d / ConvTranspose2d / Linear (kaiming_uniform_ with
 * a = sqrt(5): weight and bias uniform in +-1/sqrt(fan_in), fan_in computed as PyTorch does from
 * the weight tensor's dims 1.. ), seeded per node and weight, so step s+1 re-draws the same values
 * for steps 0..s plus the next node. Batch norms keep their statistics (torch.onnx.export folds most
 * of them into the convolutions). The imported model is never touched.
 */

const WEIGHTED = new Set(['Conv', 'ConvTranspose', 'Gemm']);

export function onnxCascadeSteps(graph: OnnxGraph): CascadeStep[] {
  const nodes = graph.nodes.filter((n) => WEIGHTED.has(n.opType) && n.inputs[1] && graph.weightNames().includes(n.inputs[1]));
  return nodes.reverse().map((n, i) => ({ step: i, block: n.name, layers: [n.name] }));
}

/** fan_in as PyTorch's _calculate_fan_in_and_fan_out computes it on the weight as stored. */
function fanIn(op: string, shape: number[], transB: boolean): number {
  if (op === 'Gemm') return transB ? shape[1] : shape[0];
  return shape.slice(1).reduce((a, b) => a * b, 1);
}

/** A NEW model whose steps 0..upToStep (onnxCascadeSteps order) are re-initialised; -1: an untouched copy. */
export function randomizeOnnx(model: OnnxModel, upToStep: number, seed: number): OnnxModel {
  const steps = onnxCascadeSteps(model.graph);
  if (!Number.isInteger(upToStep) || upToStep < -1 || upToStep >= steps.length) {
    throw new ModelError('BAD_INPUT_RANDOMIZATION_STEP', `randomization step ${upToStep} is out of range: this model has steps 0..${steps.length - 1}, or -1 for none`);
  }
  const graph = new OnnxGraph(model.graph.proto, model.graph.where);
  const copy = new OnnxModel(graph, model.outputs[0].shape ?? null);
  for (const s of steps.slice(0, upToStep + 1)) {
    const node = graph.nodes.find((n) => n.name === s.block)!;
    const wName = node.inputs[1];
    const wShape = logicalShape({ kind: 'tensor', t: graph.getWeight(wName), nhwc: false });
    const bound = 1 / Math.sqrt(fanIn(node.opType, wShape, node.attrs.transB === 1));
    graph.setWeight(wName, tf.randomUniform(wShape, -bound, bound, 'float32', deriveSeed(seed, `${node.name}/weight`)));
    const bName = node.inputs[2];
    if (bName && graph.weightNames().includes(bName)) {
      const bShape = graph.getWeight(bName).shape;
      graph.setWeight(bName, tf.randomUniform(bShape, -bound, bound, 'float32', deriveSeed(seed, `${node.name}/bias`)));
    }
  }
  return copy;
}
