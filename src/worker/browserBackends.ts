import * as tf from '@tensorflow/tfjs';
import { SOFTWARE_ADAPTER, type AdapterInfo, type BackendLoader, type BackendName } from '../core/model/backends';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/** tfjs-backend-wasm 4.22 pre-creates 8 pthread workers; its XNNPACK pool never exceeds that. */
export const MAX_WASM_THREADS = 8;

/**
 * Threads the wasm backend runs: `requested` (`?threads=N`) when given, else one per core but one,
 * left to the page (a 2-core machine: 1). Threads need cross-origin isolation (COOP/COEP headers,
 * so SharedArrayBuffer exists): without it, 1. At most 8. Pure.
 */
export function wasmThreadsFor(requested: number | null, isolated: boolean, cores: number): number {
  if (!isolated) return 1;
  const want = requested ?? Math.max(1, Math.floor(cores) - 1);
  return Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(want)));
}

let requestedThreads: number | null = null;

/** `?threads=N` forwarded from the page (null: the default of wasmThreadsFor). */
export function setRequestedWasmThreads(n: number | null): void {
  requestedThreads = n;
}

/**
 * Backend loaders for the browser worker. All assets come from this origin (Vite emits the wasm
 * files into the build). WASM runs the threaded SIMD build when the page is cross-origin isolated
 * and wasmThreadsFor gives more than one thread (the minified bundle needs tfjsWasmThreadsFix in
 * vite.config.ts), else the single-thread SIMD build.
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
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    const threads = wasmThreadsFor(requestedThreads, isolated, navigator.hardwareConcurrency ?? 1);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads > 1);
    wasm.setThreadsCount(threads);
    if (threads > 1) {
      // tfjs caps its XNNPACK pool at hardwareConcurrency / 2 (it assumes two hyper-threads per
      // core), read once when the module starts: in this worker, report twice the threads wanted
      // so the pool gets exactly that many.
      Object.defineProperty(navigator, 'hardwareConcurrency', { value: threads * 2, configurable: true });
    }
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
