import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterConfig } from './conv2dBackpropFilter';

let registered = false;

/** Registers the kernels that stock tfjs-backend-wasm 4.22 lacks. Idempotent. */
export function registerWasmExtraKernels(): void {
  if (registered) return;
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) tf.registerKernel(conv2dBackpropFilterConfig('wasm'));
  registered = true;
}
