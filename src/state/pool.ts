/**
 * How many compute workers the app runs maps on. `auto`: one per core but one (the main thread and
 * the browser need one), at least 1, and no more than the memory estimate allows: each worker
 * holds its own TF.js runtime and copies of the models it runs (at most POOL_WORKER_MODELS of them,
 * plus the randomized copies its probes keep), so a worker is estimated at
 * WORKER_BASE_BYTES + COPIES_PER_MODEL x (the largest model's weights) x models kept, and the
 * workers together may take a quarter of the device's memory (navigator.deviceMemory, which
 * Chrome reports rounded and capped at 8 GiB; 4 GiB assumed where it is not reported).
 * A size forced with `?pool=N` in the URL or the saved setting wins over auto (tests compare 1
 * and 2 workers on any machine); it is still capped at MAX_POOL.
 */
export const POOL_SETTING_KEY = 'heatcheck.pool';
export const MAX_POOL = 16;
/** TF.js runtime, wasm heap and working tensors of one worker (measured about 40-60 MiB on wasm with the demo models). */
export const WORKER_BASE_BYTES = 96 * 2 ** 20;
/** Copies of a model's weights a worker may hold: the model, and up to 3 randomized copies of the cascade. */
export const COPIES_PER_MODEL = 4;
const ASSUMED_DEVICE_MEMORY_GIB = 4;

export interface PoolSizeInput {
  /** `?pool=` in the URL (a number or 'auto'), null when absent. */
  param: string | null;
  /** The saved setting (a number or 'auto'), null when absent. */
  saved: string | null;
  /** navigator.hardwareConcurrency. */
  cores: number | undefined;
  /** navigator.deviceMemory in GiB, undefined where the browser does not report it. */
  deviceMemoryGiB: number | undefined;
  /** The largest model's weights in bytes (0 when no model is known yet). */
  largestModelBytes: number;
  /** Models a pool worker keeps built. */
  modelsPerWorker: number;
}

export interface PoolSize {
  size: number;
  /** Why: forced, or the cores and memory figures of auto. */
  reason: string;
  /** The per-worker estimate in bytes. */
  perWorkerBytes: number;
}

function forcedSize(v: string | null): number | null {
  if (v === null || v === '' || v === 'auto') return null;
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, MAX_POOL) : null;
}

export function poolSize(input: PoolSizeInput): PoolSize {
  const perWorkerBytes = WORKER_BASE_BYTES + COPIES_PER_MODEL * input.largestModelBytes * Math.max(1, input.modelsPerWorker);
  const forced = forcedSize(input.param) ?? forcedSize(input.saved);
  if (forced !== null) return { size: forced, reason: `forced to ${forced} (${forcedSize(input.param) !== null ? '?pool= in the URL' : 'saved setting'})`, perWorkerBytes };
  const cores = input.cores && input.cores > 0 ? input.cores : 1;
  const byCores = Math.max(1, cores - 1);
  const memGiB = input.deviceMemoryGiB && input.deviceMemoryGiB > 0 ? input.deviceMemoryGiB : ASSUMED_DEVICE_MEMORY_GIB;
  const byMemory = Math.max(1, Math.floor((memGiB * 2 ** 30) / 4 / perWorkerBytes));
  const size = Math.min(byCores, byMemory, MAX_POOL);
  const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;
  return {
    size,
    reason: `auto: ${cores} cores - 1 = ${byCores}; memory ${memGiB} GiB${input.deviceMemoryGiB ? '' : ' (assumed)'} / 4 at ${mib(perWorkerBytes)} per worker = ${byMemory}`,
    perWorkerBytes,
  };
}

/** The setting as saved ('auto' or a number), 'auto' when none. */
export function savedPoolSetting(): string {
  try {
    return localStorage.getItem(POOL_SETTING_KEY) ?? 'auto';
  } catch {
    return 'auto';
  }
}

export function savePoolSetting(v: string): void {
  try {
    if (v === 'auto') localStorage.removeItem(POOL_SETTING_KEY);
    else localStorage.setItem(POOL_SETTING_KEY, v);
  } catch { /* private mode: not kept */ }
}
