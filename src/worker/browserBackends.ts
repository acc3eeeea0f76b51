import * as tf from '@tensorflow/tfjs';
import { SOFTWARE_ADAPTER, type AdapterInfo, type BackendLoader, type BackendName } from '../core/model/backends';
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
    const adapter = (await gpu.requestAdapter()) as GpuAdapterLike | null;
    if (!adapter) throw new Error('WebGPU found no adapter');
    await import('@tensorflow/tfjs-backend-webgpu');
    return webgpuAdapterInfo(adapter);
  },
  webgl: async () => {
    if (typeof OffscreenCanvas === 'undefined') throw new Error('OffscreenCanvas is missing, so WebGL cannot run in the worker');
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2') ?? new OffscreenCanvas(1, 1).getContext('webgl');
    if (!gl) throw new Error('WebGL is not available');
    return webglAdapterInfo(gl);
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

/** The WebGL renderer's name (WEBGL_debug_renderer_info where the browser exposes it). */
export function webglAdapterInfo(gl: WebGLRenderingContext | WebGL2RenderingContext): AdapterInfo {
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  const vendor = String(ext ? gl.getParameter(ext.UNMASKED_VENDOR_WEBGL) : gl.getParameter(gl.VENDOR));
  const adapter = `${renderer}${vendor && !renderer.includes(vendor) ? ` (${vendor})` : ''}`;
  return { adapter, software: SOFTWARE_ADAPTER.test(adapter) };
}

interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
}

/** The WebGPU adapter's name; a fallback adapter (the browser's CPU implementation) counts as software. */
export function webgpuAdapterInfo(adapter: GpuAdapterLike): AdapterInfo {
  const i = adapter.info ?? {};
  const adapter_ = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ') || 'unnamed adapter';
  const fallback = Boolean(adapter.isFallbackAdapter ?? i.isFallbackAdapter);
  return { adapter: fallback ? `${adapter_} (fallback adapter)` : adapter_, software: fallback || SOFTWARE_ADAPTER.test(adapter_) };
}
