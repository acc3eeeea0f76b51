import * as tf from '@tensorflow/tfjs';
import type { BackendLoader, BackendName } from '../core/model/backends';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/**
 * Backend loaders for the browser worker. All assets come from this origin (Vite emits the wasm
 * files into the build). WASM threads are off on purpose: the threaded build's pthread workers
 * fail inside the minified bundle ("e is not defined", setBackend never resolves); single-thread
 * SIMD works everywhere.
 */
export const browserLoaders: Record<BackendName, BackendLoader> = {
  webgpu: async () => {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    if (!gpu) throw new Error('WebGPU is not available in this browser (navigator.gpu is missing)');
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error('WebGPU found no adapter');
    await import('@tensorflow/tfjs-backend-webgpu');
  },
  webgl: async () => {
    if (typeof OffscreenCanvas === 'undefined') throw new Error('OffscreenCanvas is missing, so WebGL cannot run in the worker');
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2') ?? new OffscreenCanvas(1, 1).getContext('webgl');
    if (!gl) throw new Error('WebGL is not available');
  },
  wasm: async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasm.setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmUrl,
      'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
    });
  },
  cpu: async () => {},
};
