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
}
