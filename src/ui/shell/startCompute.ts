import { isBackendName, type BackendName } from '../../core/model/backendNames';
import { appStore } from '../../state/appStore';
import { compute } from '../../worker/client';
import './saliencyHook';

export const FORCED_BACKEND_KEY = 'heatcheck.backend';

/** The backend the user forced: `?backend=` in the URL wins over the saved setting. */
export function forcedBackend(): BackendName | null {
  const fromUrl = new URLSearchParams(location.search).get('backend');
  if (isBackendName(fromUrl)) return fromUrl;
  const saved = localStorage.getItem(FORCED_BACKEND_KEY);
  return isBackendName(saved) ? saved : null;
}

/** `?threads=N` (1 to 8): the wasm backend's thread count; null: one per core but one when cross-origin isolated. */
export function requestedThreads(): number | null {
  const raw = new URLSearchParams(location.search).get('threads');
  const n = raw === null ? NaN : Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= 8 ? n : null;
}

/** Starts the compute worker and its backend; the header badge follows appStore.backend. */
export function startCompute(): void {
  const forced = forcedBackend();
  appStore.getState().setBackend({ state: 'starting', forced });
  compute()
    .initBackend(forced, requestedThreads())
    .then((b) => appStore.getState().setBackend({ state: 'ready', forced, active: b.active, attempts: b.attempts, tfjsVersion: b.tfjsVersion, reason: b.reason, wasmThreads: b.wasmThreads }))
    .catch((e: unknown) => appStore.getState().setBackend({ state: 'failed', forced, error: e instanceof Error ? e.message : String(e) }));
}

/** A small console/e2e hook onto the worker (read-only checks, no state changes). */
declare global {
  interface Window { __heatcheck?: Record<string, unknown> }
}
window.__heatcheck = {
  ...(window.__heatcheck ?? {}),
  crossCheck: (name: BackendName) => compute().crossCheckBackend(name),
  probeBackends: () => compute().probeBackends(),
};
