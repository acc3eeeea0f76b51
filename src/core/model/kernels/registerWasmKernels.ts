import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterConfig } from './conv2dBackpropFilter';
import { conv2dBackpropInputConfig } from './conv2dBackpropInput';
import { simdKernelsFor } from './simdKernels';
import { CROP_SPATIAL, MAXPOOL_BACKWARD, RELU_BACKWARD, SPLIT_CHANNELS, cropSpatialConfig, maxPoolBackwardConfig, reluBackwardConfig, splitChannelsConfig } from './fusedBackward';

let registered = false;

/** Registers the kernels that stock tfjs-backend-wasm 4.22 lacks, and fastgrad's fused backward kernels (wasm SIMD where they start, simdKernels.ts). Idempotent. */
export function registerWasmExtraKernels(): void {
  // the SIMD kernels bind to this backend instance's heap (a re-initialised backend gets its own)
  if (tf.getBackend() === 'wasm') simdKernelsFor(tf.backend());
  if (registered) return;
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) tf.registerKernel(conv2dBackpropFilterConfig('wasm'));
  // fused ReLU and max-pool backward for fastgrad (kernels/fusedBackward.ts)
  if (!tf.getKernel(RELU_BACKWARD, 'wasm')) tf.registerKernel(reluBackwardConfig('wasm'));
  if (!tf.getKernel(MAXPOOL_BACKWARD, 'wasm')) tf.registerKernel(maxPoolBackwardConfig('wasm'));
  if (!tf.getKernel(SPLIT_CHANNELS, 'wasm')) tf.registerKernel(splitChannelsConfig('wasm'));
  if (!tf.getKernel(CROP_SPATIAL, 'wasm')) tf.registerKernel(cropSpatialConfig('wasm'));
  registered = true;
}

let fastBackprop = false;

/**
 * Opt-in: replaces stock wasm's Conv2DBackpropInput (a direct loop, 7-12x slower than the forward
 * conv here) with forward convolutions of flipped filters (kernels/conv2dBackpropInput.ts), so
 * plain tf.grad paths (Grad-CAM's activation gradients, training) get faster too. The saliency
 * input-gradient path (fastgrad.ts) does not need this: it calls the same code directly.
 * Idempotent; call after the wasm backend is ready.
 */
export function registerFastWasmBackprops(): void {
  if (fastBackprop) return;
  if (tf.getKernel('Conv2DBackpropInput', 'wasm')) tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel(conv2dBackpropInputConfig('wasm'));
  fastBackprop = true;
}
