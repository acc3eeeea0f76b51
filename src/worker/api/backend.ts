import * as tf from '@tensorflow/tfjs';
import { BACKEND_ORDER, chooseBackend, chooseMeasuredBackend, probeBackends, type BackendAttempt, type BackendName } from '../../core/model/backends';
import { simdKernelStatus } from '../../core/model/kernels/simdKernels';
import { fusedMaxPoolBackward, maxPoolBackwardFused, reluBackward, splitAxis } from '../../core/model/kernels/fusedBackward';
import { maxPoolBackprop } from '../../core/model/kernels/poolBackprop';
import { browserLoaders, setRequestedWasmThreads } from '../browserBackends';

export interface BackendState {
  active: BackendName;
  attempts: BackendAttempt[];
  tfjsVersion: string;
  /** Why this backend (forced, or what the start-up measurement found). */
  reason: string;
  /** Threads of the wasm backend (XNNPACK's pool) when wasm won. */
  wasmThreads?: number;
  /** On wasm: how fastgrad's fused backward kernels run ("wasm SIMD (plain memory)", or JavaScript loops and why). */
  fusedKernels?: string;
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
      reason: `${c.reason ?? ''}${wasmThreads !== undefined ? `; ${wasmThreads} wasm thread${wasmThreads > 1 ? 's' : ''}; fused backward kernels: ${simdKernelStatus()}` : ''}`,
      wasmThreads,
      fusedKernels: c.active === 'wasm' ? simdKernelStatus() : undefined,
    };
  });
  current.catch(() => { current = null; });
  return current;
}

export async function activeBackend(): Promise<BackendName> {
  if (!current) await initBackend();
  return (await current!).active;
}

/**
 * Runs a tiny fixed computation on a given backend and on cpu, for the backend path checks: a
 * matMul with ReLU and sigmoid, and fastgrad's backward kernels (ReLU backward, max-pool backward,
 * the concat backward's split), which on wasm are Heatcheck's own SIMD kernels on the backend's heap.
 */
export async function crossCheck(name: BackendName): Promise<{ backend: BackendName; result: number[]; cpu: number[]; maxAbsDiff: number; kernels: number[]; kernelsCpu: number[]; fusedKernels?: string }> {
  const prev = tf.getBackend();
  const HEAD = 4;
  const compute = () => tf.tidy(() => {
    const a = tf.tensor2d([0.5, -1, 2, 3, 0.25, -0.75], [2, 3]);
    const b = tf.tensor2d([1, 2, -1, 0.5, 3, -2], [3, 2]);
    const head = tf.relu(tf.matMul(a, b)).add(tf.sigmoid(tf.scalar(0.3))).reshape([-1]);
    // x: 2x5x5x6 with ties (values rounded to quarters, ReLU'd), dy its pooled shape
    // the values are made here in JS, so every backend gets exactly the same inputs (quarters: exact in float32)
    const x = tf.tensor4d(Float32Array.from({ length: 300 }, (_, i) => Math.max(0, Math.round(Math.sin(i * 0.7) * 4) / 4)), [2, 5, 5, 6]);
    const dy = tf.tensor4d(Float32Array.from({ length: 48 }, (_, i) => Math.round(Math.cos(i * 1.3) * 64) / 64), [2, 2, 2, 6]);
    const pool = fusedMaxPoolBackward()
      ? maxPoolBackwardFused(dy, x, [3, 3], [2, 2], 'valid')
      : maxPoolBackprop(dy, x, tf.maxPool(x, [3, 3], [2, 2], 'valid'), null, [3, 3], [2, 2], 'valid');
    const relu = reluBackward(tf.sub(x, 0.5), tf.sub(x, 0.25));
    const split = splitAxis(x, [1, 4, 1], -1);
    return tf.concat([head, pool.reshape([-1]), relu.reshape([-1]), ...split.map((t) => t.reshape([-1]))]);
  });
  await tf.setBackend('cpu');
  const c = compute();
  const cpuAll = Array.from(await c.data());
  c.dispose();
  const attempts = await probeBackends(browserLoaders, [name]);
  if (!attempts[0].ok) throw new Error(`${name}: ${attempts[0].error}`);
  const r = compute();
  const all = Array.from(await r.data());
  r.dispose();
  const fusedKernels = name === 'wasm' ? simdKernelStatus() : undefined;
  if (prev) await tf.setBackend(prev);
  // result / cpu: the matMul head (4 values); kernels / kernelsCpu: the backward kernels' outputs
  return {
    backend: name,
    result: all.slice(0, HEAD),
    cpu: cpuAll.slice(0, HEAD),
    kernels: all.slice(HEAD),
    kernelsCpu: cpuAll.slice(HEAD),
    maxAbsDiff: Math.max(...all.map((v, i) => Math.abs(v - cpuAll[i]))),
    fusedKernels,
  };
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
