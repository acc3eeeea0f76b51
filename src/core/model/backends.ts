import * as tf from '@tensorflow/tfjs';
import { registerWasmExtraKernels } from './kernels/registerWasmKernels';

import { BACKEND_ORDER, type BackendAttempt, type BackendName } from './backendNames';
export { BACKEND_ORDER, isBackendName, type BackendAttempt, type BackendName } from './backendNames';

/** Registers a backend with tf (imports its package, sets asset paths). Throws when unavailable. */
export type BackendLoader = () => Promise<void>;

export interface BackendChoice {
  active: BackendName;
  attempts: BackendAttempt[];
  tfjsVersion: string;
}

export const BACKEND_VERSIONS: Record<BackendName, string> = {
  webgpu: tf.version.tfjs,
  webgl: tf.version.tfjs,
  wasm: tf.version.tfjs,
  cpu: tf.version.tfjs,
};

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    p.then(
      (v) => { clearTimeout(t); resolve(v); },
      (e) => { clearTimeout(t); reject(e); },
    );
  });
}

/** Runs one small op on the active backend and compares with the known answer. */
export async function sanityCheck(): Promise<void> {
  const out = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])));
  const v = await out.data();
  out.dispose();
  const want = [19, 22, 43, 50];
  for (let i = 0; i < 4; i++) {
    if (Math.abs(v[i] - want[i]) > 1e-3) throw new Error(`sanity matMul gave ${Array.from(v)} instead of ${want}`);
  }
}

/** Tries backends in order; returns the first that works (or null) and every attempt. */
export async function tryBackends(
  loaders: Partial<Record<BackendName, BackendLoader>>,
  order: readonly BackendName[] = BACKEND_ORDER,
  timeoutMs = 20_000,
): Promise<{ active: BackendName | null; attempts: BackendAttempt[] }> {
  const attempts: BackendAttempt[] = [];
  for (const name of order) {
    const t0 = performance.now();
    const loader = loaders[name];
    if (!loader) {
      attempts.push({ name, ok: false, ms: 0, error: 'not available in this environment' });
      continue;
    }
    try {
      await withTimeout(loader(), timeoutMs, `loading the ${name} backend`);
      const ok = await withTimeout(Promise.resolve(tf.setBackend(name)), timeoutMs, `initialising the ${name} backend`);
      if (!ok) throw new Error(`tf.setBackend('${name}') returned false`);
      await tf.ready();
      if (name === 'wasm') registerWasmExtraKernels();
      await sanityCheck();
      attempts.push({ name, ok: true, version: BACKEND_VERSIONS[name], ms: performance.now() - t0 });
      return { active: name, attempts };
    } catch (e) {
      attempts.push({ name, ok: false, ms: performance.now() - t0, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return { active: null, attempts };
}

/**
 * Activates the first backend of `order` that initialises and passes a sanity op.
 * `order` may be a single forced backend (settings, `?backend=wasm`, `--backend`).
 */
export async function chooseBackend(
  loaders: Partial<Record<BackendName, BackendLoader>>,
  order: readonly BackendName[] = BACKEND_ORDER,
  timeoutMs = 20_000,
): Promise<BackendChoice> {
  const { active, attempts } = await tryBackends(loaders, order, timeoutMs);
  if (active) return { active, attempts, tfjsVersion: tf.version.tfjs };
  const summary = attempts.map((a) => `${a.name}: ${a.error}`).join('; ');
  throw new Error(`No compute backend could start (${summary})`);
}

/** Checks every backend separately (for `heatcheck backends` and the Data page). */
export async function probeBackends(
  loaders: Partial<Record<BackendName, BackendLoader>>,
  order: readonly BackendName[] = BACKEND_ORDER,
): Promise<BackendAttempt[]> {
  const out: BackendAttempt[] = [];
  for (const name of order) {
    const r = await tryBackends(loaders, [name]);
    out.push(r.attempts[0]);
  }
  return out;
}
