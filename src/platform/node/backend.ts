import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { chooseBackend, probeBackends, type BackendLoader, type BackendName, type BackendChoice } from '../../core/model/backends';
import { MAX_WASM_THREADS, registerWasmBackend } from './wasmThreads';

const require = createRequire(import.meta.url);

/** How many threads the wasm backend runs: a count, or 'auto' (measured, see initNodeBackend). */
export type ThreadsSpec = number | 'auto';

/**
 * The candidates 'auto' measures: 1 and one thread per core (os.availableParallelism, at most 8,
 * tfjs's pool limit) on the main thread; only 1 inside a worker thread, since `maps --jobs N`
 * already runs one backend per worker and threads inside each would only compete for the same cores.
 */
export function autoThreadCandidates(): number[] {
  const cores = isMainThread ? Math.max(1, Math.min(MAX_WASM_THREADS, os.availableParallelism())) : 1;
  return cores > 1 ? [cores, 1] : [1];
}

/** Reads `--threads` / HEATCHECK_THREADS: a whole number from 1 to 8, or auto. Throws a message naming the source. */
export function parseThreads(raw: string, source: string): ThreadsSpec {
  const s = raw.trim().toLowerCase();
  if (s === 'auto') return 'auto';
  const n = Number(s);
  if (s === '' || !Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new Error(`${source} must be a whole number from 1 to ${MAX_WASM_THREADS} or auto, found "${raw}"`);
  }
  return n;
}

let threadsSpec: ThreadsSpec | null = null;

/** Chooses the wasm thread count for the next initNodeBackend (the CLI's --threads). */
export function setNodeWasmThreads(spec: ThreadsSpec): void {
  threadsSpec = spec;
}

/** The requested thread count: setNodeWasmThreads, else HEATCHECK_THREADS, else auto. */
export function requestedThreadsSpec(): ThreadsSpec {
  if (threadsSpec !== null) return threadsSpec;
  const env = process.env.HEATCHECK_THREADS;
  return env !== undefined && env.trim() !== '' ? parseThreads(env, 'HEATCHECK_THREADS') : 'auto';
}

/** Thread count the next wasm load starts (set just before each load). */
let loadThreads = 1;
let wasmThreads = 0;

/** Backends usable in Node: wasm (default, SIMD; threaded as initNodeBackend chooses) and cpu. No network: wasm files come from node_modules. */
export const nodeLoaders: Partial<Record<BackendName, BackendLoader>> = {
  wasm: async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    const threads = loadThreads;
    if (threads === wasmThreads && tf.findBackend('wasm')) return;
    if (!wasmThreads) wasm.setWasmPaths(dir + path.sep);
    registerWasmBackend(wasm, threads);
    wasmThreads = threads;
  },
  cpu: async () => {},
};

/** Threads of the running wasm backend (XNNPACK's pool), or null when wasm is not running. */
export async function nodeWasmThreads(): Promise<number | null> {
  if (tf.getBackend() !== 'wasm') return null;
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  return wasm.getThreadsCount();
}

/**
 * The threading measurement: a 3x3 conv of a 2x56x56x64 batch to 64 channels (a ResNet/DenseNet
 * middle layer, the shape that dominates the input-gradient pass), one warm-up, median of 3 runs.
 */
async function measureThreadedConv(): Promise<number> {
  const x = tf.tidy(() => tf.randomUniform([2, 56, 56, 64], 0, 1, 'float32', 7)) as tf.Tensor4D;
  const w = tf.tidy(() => tf.randomUniform([3, 3, 64, 64], -0.5, 0.5, 'float32', 11)) as tf.Tensor4D;
  const times: number[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      const y = tf.conv2d(x, w, 1, 'same');
      await y.data();
      y.dispose();
      if (i > 0) times.push(performance.now() - t0);
    }
  } finally {
    x.dispose();
    w.dispose();
  }
  return times.sort((a, b) => a - b)[1];
}

let choice: BackendChoice | null = null;
let choiceSpec: ThreadsSpec | null = null;

/**
 * Starts a backend (wasm by default). wasm runs the thread count of requestedThreadsSpec: a number
 * as given; 'auto' (the default) times the conv above with one thread per core and with one thread
 * and keeps the faster (threads lose on a busy or 2-core machine: XNNPACK's workers spin while they
 * wait). The choice's reason says what was measured. Calling again with another thread request
 * restarts wasm (tensors of the old backend are gone).
 */
export async function initNodeBackend(backend: BackendName | 'auto' = 'wasm'): Promise<BackendChoice> {
  const spec = requestedThreadsSpec();
  const sameThreads = choice?.active !== 'wasm' || spec === choiceSpec;
  if (choice && sameThreads && (backend === 'auto' || choice.active === backend)) return choice;
  const order: BackendName[] = backend === 'auto' ? ['wasm', 'cpu'] : [backend];
  const candidates = spec === 'auto' ? autoThreadCandidates() : [spec];
  if (order[0] !== 'wasm' || candidates.length === 1) {
    loadThreads = candidates[0];
    choice = await chooseBackend(nodeLoaders, order);
    if (choice.active === 'wasm') choice.reason = `wasm with ${loadThreads} thread${loadThreads > 1 ? 's' : ''} (${spec === 'auto' ? 'auto' : 'as asked'})`;
    choiceSpec = spec;
    return choice;
  }
  const timed: Array<{ threads: number; ms: number }> = [];
  let last: BackendChoice | null = null;
  for (const threads of candidates) {
    loadThreads = threads;
    try {
      last = await chooseBackend(nodeLoaders, ['wasm']);
      timed.push({ threads, ms: await measureThreadedConv() });
    } catch (e) {
      if (threads === 1) throw e;
    }
  }
  const best = [...timed].sort((a, b) => a.ms - b.ms)[0];
  if (!best) throw new Error('the wasm backend could not start');
  if (best.threads !== loadThreads) {
    loadThreads = best.threads;
    last = await chooseBackend(nodeLoaders, ['wasm']);
  }
  choice = {
    ...last!,
    reason: `wasm with ${best.threads} thread${best.threads > 1 ? 's' : ''} (auto: a 2x56x56x64 3x3 conv took ${timed.map((t) => `${t.ms.toFixed(1)} ms with ${t.threads}`).join(', ')})`,
  };
  choiceSpec = spec;
  return choice;
}

/** Checks every Node backend; wasm starts with the requested thread count (1 for auto). */
export function probeNodeBackends() {
  const spec = requestedThreadsSpec();
  loadThreads = spec === 'auto' ? 1 : spec;
  return probeBackends(nodeLoaders);
}
