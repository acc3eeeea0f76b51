import type * as tf from '@tensorflow/tfjs';

/**
 * What a saliency method may ask of a model (DESIGN principle 2, PAIR's call_model_function).
 * Methods are written against this, so they can be tested on analytic probes (a linear model:
 * gradient = w, IG = (x - b) * w exactly) and run on any TF.js model.
 *
 * Every tensor argument is owned by the caller (never disposed by the probe); every returned
 * tensor is owned by the caller. Batches are [N, H, W, C] in the model's input space.
 */
export interface ModelProbe {
  /** Input shape of one example, [H, W, C]. */
  readonly inputShape: readonly [number, number, number];
  /** The input range of the preprocessed input space (for example [-1, 1]): black and white baselines. */
  readonly inputRange: readonly [number, number];
  /** Largest batch the probe runs at once; methods chunk their batches by it. */
  readonly maxBatch: number;
  /** Target (abnormal logit by default, or the probability) for each example: [N]. */
  target(x: tf.Tensor4D): tf.Tensor1D;
  /** Gradient of the target with respect to the input, same shape as x. */
  inputGradients(x: tf.Tensor4D): tf.Tensor4D;
  /**
   * Activations at a named 4-D layer (default: the last 4-D output before global pooling) and the
   * gradients of the target with respect to them: both [N, h, w, k].
   */
  layerGradients(x: tf.Tensor4D, layer?: string): { activations: tf.Tensor4D; gradients: tf.Tensor4D };
}

/** A seeded random generator: uniform in [0, 1). Every random draw comes from one of these. */
export type Rng = () => number;

/** What every method returns. */
export interface SaliencyOutput {
  /** Raw attribution in the model input's shape [H, W, C] (Grad-CAM: [H, W, 1]). */
  raw: Float32Array;
  rawShape: [number, number, number];
  /** Post-processed 2-D map in [0, 1] at the input resolution (SPEC section 3). */
  map: Float32Array;
  width: number;
  height: number;
  /** Extra facts worth recording (for example target logits at the input and the baselines). */
  info?: Record<string, unknown>;
  /**
   * IG family: |sum(attribution) - (f(x) - f(baseline))| / |f(x) - f(baseline)|, the error of the
   * path integral's quadrature (worst over baselines/samples where there are several).
   */
  completenessError?: number;
  /** IG family: interpolation steps actually used (after adaptive doubling). */
  steps?: number;
  /** Anything a reader of this map must know, for example an approximation over tolerance. */
  warnings?: string[];
}

/** Per-call context of a method: the seeded generator, cancellation and progress between batches. */
export interface MethodContext {
  rng: Rng;
  /** Awaited between batches; throws when the job was cancelled. */
  checkpoint?: () => Promise<void>;
  onProgress?: (done: number, total: number) => void;
}

/**
 * One saliency method: a pure function of (probe, input, parameters, context). `x` is one example
 * [H, W, C] in the model's input space, owned by the caller.
 */
export type SaliencyMethodFn<P> = (probe: ModelProbe, x: tf.Tensor3D, params: P, ctx: MethodContext) => Promise<SaliencyOutput>;
