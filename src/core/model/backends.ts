import * as tf from '@tensorflow/tfjs';
import { registerWasmExtraKernels } from './kernels/registerWasmKernels';

import { BACKEND_ORDER, type AdapterInfo, type BackendAttempt, type BackendName } from './backendNames';
export { BACKEND_ORDER, SOFTWARE_ADAPTER, isBackendName, type AdapterInfo, type BackendAttempt, type BackendName } from './backendNames';

/**
 * Registers a backend with tf (imports its package, sets asset paths). Throws when unavailable.
 * May say what device it found (a software-emulated GPU is marked so it never wins by default).
 */
export type BackendLoader = () => Promise<void | AdapterInfo>;

export interface BackendChoice {
  active: BackendName;
  attempts: BackendAttempt[];
  tfjsVersion: string;
  /** Why this backend: forced, or the measurement that chose it. */
  reason?: string;
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
    let info: AdapterInfo = {};
    try {
      info = (await withTimeout(loader(), timeoutMs, `loading the ${name} backend`)) || {};
      const ok = await withTimeout(Promise.resolve(tf.setBackend(name)), timeoutMs, `initialising the ${name} backend`);
      if (!ok) throw new Error(`tf.setBackend('${name}') returned false`);
      await tf.ready();
      if (name === 'wasm') registerWasmExtraKernels();
      await sanityCheck();
      attempts.push({ name, ok: true, version: BACKEND_VERSIONS[name], ms: performance.now() - t0, ...info });
      return { active: name, attempts };
    } catch (e) {
      attempts.push({ name, ok: false, ms: performance.now() - t0, error: e instanceof Error ? e.message : String(e), ...info });
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

/**
 * The start-up measurement: one small conv forward (a 64x64x8 input, 3x3 kernel to 16 channels, ReLU:
 * the shape of a saliency model's early layer) on the active backend. One warm-up run (shader
 * compilation, wasm instantiation), then the median of `reps` timed runs, each read back.
 */
export async function measureConv(reps = 3): Promise<number> {
  const x = tf.tidy(() => tf.randomUniform([1, 64, 64, 8], 0, 1, 'float32', 7));
  const w = tf.tidy(() => tf.randomUniform([3, 3, 8, 16], -0.5, 0.5, 'float32', 11));
  const run = async () => {
    const y = tf.tidy(() => tf.relu(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')));
    await y.data();
    y.dispose();
  };
  try {
    await run();
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      await run();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  } finally {
    x.dispose();
    w.dispose();
  }
}

/**
 * Picks the default backend from measurements: the fastest start-up conv among the backends that
 * started, where a software-emulated GPU (SwiftShader, llvmpipe, WARP, a WebGPU fallback adapter)
 * never wins while wasm or cpu work (it is a GPU emulated on the CPU: slower than wasm on real
 * models by far, whatever a tiny conv says). Pure: the caller measures.
 */
export function pickMeasured(attempts: BackendAttempt[]): { active: BackendName; reason: string } | null {
  const ok = attempts.filter((a) => a.ok && typeof a.convMs === 'number');
  if (!ok.length) return null;
  const hardware = ok.filter((a) => !a.software);
  const pool = hardware.length ? hardware : ok;
  const best = [...pool].sort((a, b) => a.convMs! - b.convMs!)[0];
  const fmt = (a: BackendAttempt) => `${a.name} ${a.convMs!.toFixed(1)} ms${a.software ? ` (${a.adapter ?? 'software'}: a GPU emulated on the CPU, never chosen by default)` : ''}`;
  const others = ok.filter((a) => a !== best);
  const soft = ok.filter((a) => a.software);
  const why = soft.length && hardware.length
    ? `fastest of the measured backends not emulated in software`
    : `fastest of the measured backends`;
  return {
    active: best.name,
    reason: `${why}: start-up conv ${fmt(best)}${others.length ? `; ${others.map(fmt).join('; ')}` : ''}`,
  };
}

/**
 * Starts every backend of `order`, times one small conv on each (measureConv), and activates the one
 * pickMeasured chooses. A backend that fails or hangs is listed with its error.
 */
export async function chooseMeasuredBackend(
  loaders: Partial<Record<BackendName, BackendLoader>>,
  order: readonly BackendName[] = BACKEND_ORDER,
  timeoutMs = 20_000,
): Promise<BackendChoice> {
  const attempts: BackendAttempt[] = [];
  for (const name of order) {
    const r = await tryBackends(loaders, [name], timeoutMs);
    const a = r.attempts[0];
    if (a.ok) {
      try {
        a.convMs = await withTimeout(measureConv(), timeoutMs, `the start-up conv on ${name}`);
      } catch (e) {
        a.ok = false;
        a.error = e instanceof Error ? e.message : String(e);
      }
    }
    attempts.push(a);
  }
  const pick = pickMeasured(attempts);
  if (!pick) {
    const summary = attempts.map((a) => `${a.name}: ${a.error}`).join('; ');
    throw new Error(`No compute backend could start (${summary})`);
  }
  if (!(await tf.setBackend(pick.active))) throw new Error(`tf.setBackend('${pick.active}') returned false after measuring`);
  await tf.ready();
  return { active: pick.active, attempts, tfjsVersion: tf.version.tfjs, reason: pick.reason };
}
