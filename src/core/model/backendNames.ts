/** Compute backends in the order Heatcheck tries them (DESIGN principle 5). No tfjs import here. */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export function isBackendName(s: unknown): s is BackendName {
  return typeof s === 'string' && (BACKEND_ORDER as readonly string[]).includes(s);
}

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** Package version of the backend, when its package was loaded. */
  version?: string;
  ms: number;
  error?: string;
  /** What the backend runs on (WebGL renderer, WebGPU adapter), when the browser says. */
  adapter?: string;
  /** True for a GPU emulated on the CPU (SwiftShader, llvmpipe, WARP, a WebGPU fallback adapter). */
  software?: boolean;
  /** Median time of the start-up conv forward on this backend (ms), when measured. */
  convMs?: number;
}

/** What a backend loader found out about the device it will run on. */
export interface AdapterInfo { adapter?: string; software?: boolean }

/** Renderer / adapter names of GPUs emulated on the CPU: they never win over wasm by default. */
export const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|softpipe|lavapipe|microsoft basic render|\bwarp\b|software/i;
