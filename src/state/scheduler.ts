import type { ComputeLane } from '../worker/pool';
import type { ComputeMapRequest, ComputeMapResult } from '../worker/api/saliency';
import { resolveParams, type PresetId } from '../core/saliency/catalog';
import { canonicalJson } from '../storage/results';
import { poolSize, savedPoolSetting, type PoolSize } from './pool';

/**
 * The app's one queue of compute jobs, owned by the stores (not by a React effect): Compare's maps
 * and the Dashboard's maps go through it. A job has a key (a map's key: image, model, method,
 * parameters, seed, cascade step); a second request for a key that is queued or running joins
 * that job instead of starting another. Owners (a page, the dashboard) cancel what they asked for:
 * a queued job nobody waits for any more is dropped, a running one is cancelled in its worker.
 * Lower `priority` runs first (Compare's maps before the dashboard's), then first come, first
 * served. Jobs run on `lanes` (the compute workers of the pool), one job per lane at a time: a
 * lane that frees takes the next job; a job that finds several lanes free prefers one that last
 * ran the same `affinity` (its model), so a worker reuses the model it already holds.
 */
export type JobReply<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

export type JobProgress = { done?: number; total?: number; message?: string };

export interface JobSpec<T, L = unknown> {
  key: string;
  /** Lower runs first. Default 10. */
  priority?: number;
  /** Jobs of one affinity (a model id) go to a lane that last ran it when one is free. */
  affinity?: string;
  run(jobId: string, onProgress: (p: JobProgress) => void, lane: L): Promise<JobReply<T>>;
}

export interface JobListener<T> {
  onStart?(): void;
  onProgress?(p: JobProgress): void;
  onDone(r: JobReply<T>): void;
}

interface Entry<L> {
  spec: JobSpec<unknown, L>;
  seq: number;
  listeners: Array<{ owner: string; l: JobListener<unknown> }>;
  running: boolean;
  jobId: string | null;
  lane: number;
}

export interface SchedulerDeps<L = unknown> {
  newJobId(kind: string): string;
  /** Cancels a running job in the lane (worker) that runs it. */
  cancel(jobId: string, lane: L): Promise<unknown> | unknown;
  /** The lanes jobs run on (default: one). */
  lanes?: readonly L[];
}

/** What the scheduler did so far (for the activity line, e2e checks and the bench). */
export interface SchedulerStats {
  lanes: number;
  /** Jobs started on each lane. */
  startedPerLane: number[];
  /** Jobs dropped from the queue before they started, and running jobs cancelled. */
  dropped: number;
  cancelledRunning: number;
}

export class JobScheduler<L = unknown> {
  private readonly entries = new Map<string, Entry<L>>();
  private readonly lanes: readonly L[];
  private readonly laneJob: Array<Entry<L> | null>;
  private readonly laneAffinity: Array<string | undefined>;
  private readonly counts: SchedulerStats;
  private seq = 0;

  constructor(private readonly deps: SchedulerDeps<L>) {
    this.lanes = deps.lanes?.length ? deps.lanes : [undefined as L];
    this.laneJob = this.lanes.map(() => null);
    this.laneAffinity = this.lanes.map(() => undefined);
    this.counts = { lanes: this.lanes.length, startedPerLane: this.lanes.map(() => 0), dropped: 0, cancelledRunning: 0 };
  }

  /** Asks for a job on behalf of `owner`; joins an equal job (same key) that is queued or running. */
  request<T>(owner: string, spec: JobSpec<T, L>, listener: JobListener<T>): void {
    const e = this.entries.get(spec.key);
    if (e) {
      e.listeners.push({ owner, l: listener as JobListener<unknown> });
      if (spec.priority !== undefined && spec.priority < (e.spec.priority ?? 10)) e.spec = { ...e.spec, priority: spec.priority };
      if (e.running) listener.onStart?.();
    } else this.entries.set(spec.key, { spec: spec as JobSpec<unknown, L>, seq: this.seq++, listeners: [{ owner, l: listener as JobListener<unknown> }], running: false, jobId: null, lane: -1 });
    this.pump();
  }

  /** Withdraws every request of `owner`: jobs left without listeners are dropped or cancelled. */
  cancelOwner(owner: string): void {
    for (const [key, e] of [...this.entries]) {
      const mine = e.listeners.filter((x) => x.owner === owner);
      if (!mine.length) continue;
      e.listeners = e.listeners.filter((x) => x.owner !== owner);
      for (const x of mine) x.l.onDone({ ok: false, code: 'CANCELLED', message: 'cancelled' });
      if (e.listeners.length) continue;
      // Out of the table at once: a later request for the same key starts a fresh job instead of
      // joining one that is being cancelled (the worker answers a cancel asynchronously). Its lane
      // stays taken until the worker has answered.
      this.entries.delete(key);
      if (e.running && e.jobId) {
        this.counts.cancelledRunning++;
        void this.deps.cancel(e.jobId, this.lanes[e.lane]);
      } else this.counts.dropped++;
    }
  }

  /** Jobs queued or running (for tests and the activity line). */
  size(): number {
    return this.entries.size;
  }

  /** Keys of the jobs queued or running, in no particular order. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Number of lanes (compute workers). */
  laneCount(): number {
    return this.lanes.length;
  }

  stats(): SchedulerStats {
    return { ...this.counts, startedPerLane: [...this.counts.startedPerLane] };
  }

  private next(): Entry<L> | null {
    let best: Entry<L> | null = null;
    for (const e of this.entries.values()) {
      if (e.running) continue;
      if (!best || (e.spec.priority ?? 10) < (best.spec.priority ?? 10) || ((e.spec.priority ?? 10) === (best.spec.priority ?? 10) && e.seq < best.seq)) best = e;
    }
    return best;
  }

  /** A free lane for the job: one that last ran its affinity, else the lowest free one; -1 when all are busy. */
  private laneFor(e: Entry<L>): number {
    let first = -1;
    for (let i = 0; i < this.lanes.length; i++) {
      if (this.laneJob[i]) continue;
      if (e.spec.affinity !== undefined && this.laneAffinity[i] === e.spec.affinity) return i;
      if (first < 0) first = i;
    }
    return first;
  }

  private pump(): void {
    for (;;) {
      const e = this.next();
      if (!e) return;
      const lane = this.laneFor(e);
      if (lane < 0) return;
      void this.start(e, lane);
    }
  }

  private async start(e: Entry<L>, lane: number): Promise<void> {
    e.running = true;
    e.lane = lane;
    e.jobId = this.deps.newJobId('job');
    this.laneJob[lane] = e;
    this.laneAffinity[lane] = e.spec.affinity;
    this.counts.startedPerLane[lane]++;
    for (const x of e.listeners) x.l.onStart?.();
    let r: JobReply<unknown>;
    try {
      r = await e.spec.run(e.jobId, (p) => {
        for (const x of e.listeners) x.l.onProgress?.(p);
      }, this.lanes[lane]);
    } catch (err) {
      r = { ok: false, code: (err as { code?: string }).code ?? 'FAILED', message: err instanceof Error ? err.message : String(err) };
    }
    this.laneJob[lane] = null;
    if (this.entries.get(e.spec.key) === e) this.entries.delete(e.spec.key);
    for (const x of e.listeners) x.l.onDone(r);
    this.pump();
  }
}


export type AppScheduler = JobScheduler<ComputeLane>;

let shared: Promise<{ scheduler: AppScheduler; pool: PoolSize }> | null = null;

/** The app's scheduler over the pool of compute workers (sized once, at first use). */
export function appScheduler(): Promise<AppScheduler> {
  return appPool().then((p) => p.scheduler);
}

/** The scheduler with the pool's size and why. */
export function appPool(): Promise<{ scheduler: AppScheduler; pool: PoolSize }> {
  if (!shared) {
    shared = (async () => {
      const { compute, newJobId } = await import('../worker/client');
      const { computeLanes, POOL_WORKER_MODELS } = await import('../worker/pool');
      const models = await compute().listModels().catch(() => null);
      const largest = models?.ok ? Math.max(0, ...models.value.map((m) => m.weightsBytes)) : 0;
      const nav = navigator as Navigator & { deviceMemory?: number };
      const pool = poolSize({
        param: new URLSearchParams(location.search).get('pool'),
        saved: savedPoolSetting(),
        cores: nav.hardwareConcurrency,
        deviceMemoryGiB: nav.deviceMemory,
        largestModelBytes: largest,
        modelsPerWorker: POOL_WORKER_MODELS,
      });
      const lanes = computeLanes(pool.size);
      return { pool, scheduler: new JobScheduler<ComputeLane>({ newJobId, lanes, cancel: (id, lane) => lane.cancel(id) }) };
    })();
    shared.catch(() => { shared = null; });
  }
  return shared;
}

/** A map's key for the scheduler: everything that makes the map (the preset's parameters with their overrides resolved, so equal maps have equal keys). */
export function mapJobKey(q: { imageHash: string; modelId: string; method: string; preset: string; params?: Record<string, unknown>; seed?: number; randomizationStep?: number | null }): string {
  let params: Record<string, unknown> = q.params ?? {};
  try {
    params = resolveParams(q.method, q.preset as PresetId, q.params ?? {});
  } catch { /* an unknown method: the worker answers it with its error */ }
  return ['map', q.imageHash, q.modelId, q.method, q.preset, canonicalJson(params), q.seed ?? 0, q.randomizationStep ?? 'trained'].join('|');
}

/** One map as a job of the pool: it runs on whichever worker the scheduler gives it, with the model as its affinity. */
export function mapJob(request: ComputeMapRequest, priority: number): JobSpec<ComputeMapResult, ComputeLane> {
  return {
    key: mapJobKey(request),
    priority,
    affinity: request.modelId,
    run: (jobId, onProgress, lane) => lane.computeMap(jobId, request, onProgress),
  };
}
