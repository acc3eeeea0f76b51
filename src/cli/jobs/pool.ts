import { Worker } from 'node:worker_threads';
import os from 'node:os';
import { HeatcheckError } from '../errors';
import { JobRunner, type JobResult, type MapEngine } from './compute';
import type { MapJob, MapPlan } from '../plan/plan';

/** "--jobs N|auto": N >= 1, auto = the cores this process may use. */
export function parseJobs(raw: string | undefined): number {
  if (raw === undefined) return 1;
  if (raw === 'auto') return Math.max(1, os.availableParallelism());
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new HeatcheckError('USAGE_BAD_OPTION', `--jobs takes a whole number >= 1 or "auto" (one worker per core), found "${raw}".`);
  return n;
}

/** Jobs by estimated cost, largest first; ties in plan order. */
export function byCostDescending(jobs: MapJob[]): MapJob[] {
  return jobs.map((j, k) => ({ j, k })).sort((a, b) => b.j.cost - a.j.cost || a.k - b.k).map((x) => x.j);
}

/**
 * The units a pool hands out: the jobs of one case on one network (a model, or one of its
 * randomized copies), which share the decoded image, the model input and what the network says at
 * it (a forward pass or two), so one worker does that work once instead of every worker that meets
 * the case. Units go largest estimated cost first (ties in plan order), each unit's jobs largest
 * first, so that the last units to finish are small ones.
 */
export function unitsByCost(jobs: MapJob[]): MapJob[][] {
  const units = new Map<string, MapJob[]>();
  for (const j of jobs) {
    const k = `${j.case}\u0000${j.model}\u0000${j.step ?? ''}\u0000${j.reinitSeed ?? ''}`;
    const u = units.get(k);
    if (u) u.push(j);
    else units.set(k, [j]);
  }
  const cost = (u: MapJob[]) => u.reduce((a, j) => a + j.cost, 0);
  return [...units.values()].map((u, k) => ({ u: byCostDescending(u), k, c: cost(u) })).sort((a, b) => b.c - a.c || a.k - b.k).map((x) => x.u);
}

/**
 * Hands jobs to `workers` workers one at a time: the next job of the worker's unit, else the
 * largest unit left (unitsByCost), else the largest job another worker still holds, so that a plan
 * of fewer units than workers (one case, say) still keeps every worker busy.
 */
export class UnitQueue {
  private readonly units: MapJob[][];
  private readonly held: MapJob[][];

  constructor(jobs: MapJob[], workers: number) {
    this.units = unitsByCost(jobs);
    this.held = Array.from({ length: workers }, () => []);
  }

  take(worker: number): MapJob | undefined {
    const held = this.held;
    if (!held[worker].length) held[worker] = this.units.shift() ?? [];
    if (held[worker].length) return held[worker].shift();
    let from = -1;
    for (let k = 0; k < held.length; k++) if (held[k].length && (from < 0 || held[k][0].cost > held[from][0].cost)) from = k;
    return from < 0 ? undefined : held[from].shift();
  }
}

/** Where a worker's time went: start-up (thread, TypeScript loader, TF.js and wasm) until ready, then its jobs. */
export interface WorkerTimes {
  worker: number;
  readyMs: number;
  jobs: number;
  /** Wall time inside its jobs (image decoding, model building, saliency, writing). */
  busyMs: number;
  /** Of which the saliency methods themselves (the entries' ms). */
  saliencyMs: number;
}

/**
 * Runs jobs with `workers` compute threads (1: in this thread, in plan order), each fed one job at
 * a time: the next of its unit (unitsByCost: a case on one network), or when its unit is done the
 * largest unit left, so that the last jobs to finish are short ones.
 * `onResult` sees every result as it comes (the caller logs progress). A job that throws (not an
 * unreadable image, which is a result) stops the pool: the jobs in flight finish, the error is thrown.
 */
export async function runJobs(plan: MapPlan, jobs: MapJob[], out: string, workers: number, onResult: (r: JobResult, job: MapJob) => void, onTimes?: (t: WorkerTimes[]) => void, startEngine?: () => Promise<MapEngine>): Promise<void> {
  const t0 = performance.now();
  if (workers <= 1 || jobs.length <= 1 || startEngine) {
    // One worker: plan order (case by case, so each image is decoded once); order does not change a map.
    // An engine of its own (a browser page) always runs here, one job at a time.
    const runner = new JobRunner(plan, out, startEngine && jobs.length ? await startEngine() : undefined);
    const times: WorkerTimes = { worker: 0, readyMs: performance.now() - t0, jobs: 0, busyMs: 0, saliencyMs: 0 };
    try {
      for (const job of jobs) {
        const s = performance.now();
        const r = await runner.run(job);
        times.busyMs += performance.now() - s;
        times.jobs++;
        if ('entry' in r) times.saliencyMs += r.entry.ms;
        onResult(r, job);
      }
    } finally {
      await runner.dispose();
    }
    onTimes?.([times]);
    return;
  }
  // Worker threads do not inherit tsx's loader: a tiny bootstrap loads TF.js (before the loader's
  // hooks, as scripts/heatcheck.mjs does: preloadTfjs.mjs), registers tsx, then loads the TypeScript worker.
  const workerUrl = new URL('./worker.ts', import.meta.url).href;
  const preloadUrl = new URL('../preloadTfjs.mjs', import.meta.url).href;
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `(async () => { await import(${JSON.stringify(preloadUrl)}); const { register } = await import(${JSON.stringify(tsxApi)}); register(); await import(${JSON.stringify(workerUrl)}); })().catch((e) => { console.error(e); process.exit(1); });`;
  let failed: unknown = null;
  const n = Math.min(workers, jobs.length);
  const queue = new UnitQueue(jobs, n);
  const threads: Worker[] = [];
  const times: WorkerTimes[] = Array.from({ length: n }, (_, worker) => ({ worker, readyMs: 0, jobs: 0, busyMs: 0, saliencyMs: 0 }));
  try {
    await Promise.all(
      Array.from({ length: n }, (_, wi) =>
        new Promise<void>((resolve, reject) => {
          const started = performance.now();
          const w = new Worker(boot, { eval: true, workerData: { plan, out } });
          threads.push(w);
          let current: MapJob | undefined;
          const next = () => {
            current = failed ? undefined : queue.take(wi);
            if (current) w.postMessage({ job: current });
            else w.postMessage({ stop: true });
          };
          w.on('message', (m: { ready?: true; result?: JobResult; wallMs?: number; error?: { code: string; message: string; details?: Record<string, unknown> } }) => {
            if (m.ready) {
              times[wi].readyMs = performance.now() - started;
              return next();
            }
            if (m.error) failed ??= new HeatcheckError(m.error.code, m.error.message, m.error.details);
            else if (m.result && current) {
              times[wi].jobs++;
              times[wi].busyMs += m.wallMs ?? 0;
              if ('entry' in m.result) times[wi].saliencyMs += m.result.entry.ms;
              onResult(m.result, current);
            }
            next();
          });
          w.on('error', (e) => {
            failed ??= e;
            reject(e);
          });
          w.on('exit', (code) => (code === 0 || failed ? resolve() : reject(new Error(`map worker exited with code ${code}${current ? ` during ${current.key}` : ''}`))));
        }),
      ),
    );
  } finally {
    // A crashed thread rejects at once: end the others (their jobs in flight are lost, never half-written).
    await Promise.all(threads.map((w) => w.terminate()));
  }
  if (failed) throw failed;
  onTimes?.(times);
}
