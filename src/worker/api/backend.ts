import * as tf from '@tensorflow/tfjs';
import { BACKEND_ORDER, chooseBackend, chooseMeasuredBackend, probeBackends, type BackendAttempt, type BackendName } from '../../core/model/backends';
import { browserLoaders, setRequestedWasmThreads } from '../browserBackends';

export interface BackendState {
  active: BackendName;
  attempts: BackendAttempt[];
  tfjsVersion: string;
  /** Why this backend (forced, or what the start-up measurement found). */
  reason: string;
  /** Threads of the wasm backend (XNNPACK's pool) when wasm won. */
  wasmThreads?: number;
}

let current: Promise<BackendState> | null = null;

/**
 * Starts TF.js in the worker. `forced` (`?backend=`) uses that one backend; otherwise every backend
 * is started and timed on one small conv, and the fastest that is not a software-emulated GPU wins.
 */
export function initBackend(forced?: BackendName | null, threads?: number | null): Promise<BackendState> {
  if (current) return current;
  setRequestedWasmThreads(threads ?? null);
  const choice = forced
    ? chooseBackend(browserLoaders, [forced]).then((c) => ({ ...c, reason: `forced by ?backend=${forced} or the saved setting` }))
    : chooseMeasuredBackend(browserLoaders, BACKEND_ORDER);
  current = choice.then(async (c) => {
    const wasmThreads = c.active === 'wasm' ? (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount() : undefined;
    return {
      active: c.active,
      attempts: c.attempts,
      tfjsVersion: c.tfjsVersion,
      reason: `${c.reason ?? ''}${wasmThreads !== undefined ? `; ${wasmThreads} wasm thread${wasmThreads > 1 ? 's' : ''}` : ''}`,
      wasmThreads,
    };
  });
  current.catch(() => { current = null; });
  return current;
}

export async function activeBackend(): Promise<BackendName> {
  if (!current) await initBackend();
  return (await current!).active;
}

/** Runs a tiny fixed computation on a given backend and on cpu, for the backend path checks. */
export async function crossCheck(name: BackendName): Promise<{ backend: BackendName; result: number[]; cpu: number[]; maxAbsDiff: number }> {
  const prev = tf.getBackend();
  const compute = () => tf.tidy(() => {
    const a = tf.tensor2d([0.5, -1, 2, 3, 0.25, -0.75], [2, 3]);
    const b = tf.tensor2d([1, 2, -1, 0.5, 3, -2], [3, 2]);
    return tf.relu(tf.matMul(a, b)).add(tf.sigmoid(tf.scalar(0.3)));
  });
  await tf.setBackend('cpu');
  const c = compute();
  const cpu = Array.from(await c.data());
  c.dispose();
  const attempts = await probeBackends(browserLoaders, [name]);
  if (!attempts[0].ok) throw new Error(`${name}: ${attempts[0].error}`);
  const r = compute();
  const result = Array.from(await r.data());
  r.dispose();
  if (prev) await tf.setBackend(prev);
  return { backend: name, result, cpu, maxAbsDiff: Math.max(...result.map((v, i) => Math.abs(v - cpu[i]))) };
}

/** Tries every backend, then returns to the active one. */
export async function probe(): Promise<BackendAttempt[]> {
  const prev = tf.getBackend();
  try {
    return await probeBackends(browserLoaders);
  } finally {
    if (prev) await tf.setBackend(prev);
  }
}
