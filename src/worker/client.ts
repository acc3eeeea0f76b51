import * as Comlink from 'comlink';
import type { ComputeApi } from './api';
import type { Progress } from './jobs';

let remote: Comlink.Remote<ComputeApi> | null = null;

/** The main thread's handle on the compute worker (created once). */
export function compute(): Comlink.Remote<ComputeApi> {
  if (!remote) {
    const worker = new Worker(new URL('./compute.worker.ts', import.meta.url), { type: 'module', name: 'heatcheck-compute' });
    remote = Comlink.wrap<ComputeApi>(worker);
  }
  return remote;
}

let jobCounter = 0;
export function newJobId(prefix = 'job'): string {
  jobCounter += 1;
  return `${prefix}-${Date.now().toString(36)}-${jobCounter}`;
}

/** Wraps a progress callback so it can cross to the worker. */
export function progressProxy(fn: (p: Progress) => void): (p: Progress) => void {
  return Comlink.proxy(fn);
}
