import * as Comlink from 'comlink';
import type { ComputeApi } from './api';
import type { ComputeMapRequest, ComputeMapResult } from './api/saliency';
import type { Progress } from './jobs';
import type { Reply } from './jobs';
import { compute } from './client';

/**
 * The pool of compute workers that maps run on. Lane 0 is the app's compute worker (the one that
 * also serves storage, imports and the trust session); lanes 1..n-1 are workers of their own,
 * each with its own TF.js, backend and model copies. A lane's worker is created on its first job
 * and started on the backend lane 0 chose (forced, so every lane computes on the same backend and
 * a map does not depend on the lane that made it). Maps are cached in IndexedDB (the `results`
 * store), which every worker of the origin reads, so a map made on one lane is a cache hit on any.
 */
export interface ComputeLane {
  readonly index: number;
  computeMap(jobId: string, request: ComputeMapRequest, onProgress?: (p: Progress) => void): Promise<Reply<ComputeMapResult>>;
  cancel(jobId: string): Promise<void>;
}

/** Models a pool worker keeps built at most (least recently used dropped first). */
export const POOL_WORKER_MODELS = 2;

function primaryLane(): ComputeLane {
  return {
    index: 0,
    computeMap: (jobId, request, onProgress) => compute().computeMap(jobId, request, onProgress ? Comlink.proxy(onProgress) : undefined),
    cancel: async (jobId) => { await compute().cancel(jobId); },
  };
}

function workerLane(index: number): ComputeLane {
  let remote: Comlink.Remote<ComputeApi> | null = null;
  let ready: Promise<void> | null = null;
  const start = (): Promise<void> => {
    if (!ready) {
      const worker = new Worker(new URL('./compute.worker.ts', import.meta.url), { type: 'module', name: `heatcheck-compute-${index}` });
      const r = Comlink.wrap<ComputeApi>(worker);
      remote = r;
      ready = compute().initBackend().then(async (b) => {
        await r.initBackend(b.active);
        await r.limitModels(POOL_WORKER_MODELS);
      });
      ready.catch(() => { ready = null; worker.terminate(); remote = null; });
    }
    return ready;
  };
  return {
    index,
    async computeMap(jobId, request, onProgress) {
      try {
        await start();
      } catch (e) {
        return { ok: false, code: 'BACKEND', message: `compute worker ${index} did not start: ${e instanceof Error ? e.message : String(e)}` };
      }
      return remote!.computeMap(jobId, request, onProgress ? Comlink.proxy(onProgress) : undefined);
    },
    async cancel(jobId) {
      if (remote) await remote.cancel(jobId);
    },
  };
}

/** n lanes: the app's worker first, then n - 1 workers created on first use. */
export function computeLanes(n: number): ComputeLane[] {
  return Array.from({ length: Math.max(1, Math.floor(n)) }, (_, i) => (i === 0 ? primaryLane() : workerLane(i)));
}
