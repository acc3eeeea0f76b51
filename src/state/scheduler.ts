/**
 * The app's one queue of worker jobs, owned by the stores (not by a React effect): Compare's maps
 * and the Dashboard's evaluation go through it. A job has a key (a map's key: image, model,
 * method, preset, seed, cascade step); a second request for a key that is queued or running joins
 * that job instead of starting another. Owners (a page, the dashboard) cancel what they asked for:
 * a queued job nobody waits for any more is dropped, a running one is cancelled in the worker.
 * Lower `priority` runs first (Compare's maps before a whole evaluation), then first come, first
 * served; one job runs at a time.
 */
export type JobReply<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

export interface JobSpec<T> {
  key: string;
  /** Lower runs first. Default 10. */
  priority?: number;
  run(jobId: string, onProgress: (p: { done?: number; total?: number; message?: string }) => void): Promise<JobReply<T>>;
}

export interface JobListener<T> {
  onStart?(): void;
  onProgress?(p: { done?: number; total?: number; message?: string }): void;
  onDone(r: JobReply<T>): void;
}

interface Entry {
  spec: JobSpec<unknown>;
  seq: number;
  listeners: Array<{ owner: string; l: JobListener<unknown> }>;
  running: boolean;
  jobId: string | null;
}

export interface SchedulerDeps {
  newJobId(kind: string): string;
  cancel(jobId: string): Promise<unknown> | unknown;
}

export class JobScheduler {
  private readonly entries = new Map<string, Entry>();
  private seq = 0;
  private busy = false;

  constructor(private readonly deps: SchedulerDeps) {}

  /** Asks for a job on behalf of `owner`; joins an equal job (same key) that is queued or running. */
  request<T>(owner: string, spec: JobSpec<T>, listener: JobListener<T>): void {
    const e = this.entries.get(spec.key);
    if (e) {
      e.listeners.push({ owner, l: listener as JobListener<unknown> });
      if (spec.priority !== undefined && spec.priority < (e.spec.priority ?? 10)) e.spec = { ...e.spec, priority: spec.priority };
      if (e.running) listener.onStart?.();
    } else this.entries.set(spec.key, { spec: spec as JobSpec<unknown>, seq: this.seq++, listeners: [{ owner, l: listener as JobListener<unknown> }], running: false, jobId: null });
    void this.pump();
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
      // joining one that is being cancelled (the worker answers a cancel asynchronously).
      this.entries.delete(key);
      if (e.running && e.jobId) void this.deps.cancel(e.jobId);
    }
  }

  /** Jobs queued or running (for tests and the activity line). */
  size(): number {
    return this.entries.size;
  }

  private next(): Entry | null {
    let best: Entry | null = null;
    for (const e of this.entries.values()) {
      if (e.running) continue;
      if (!best || (e.spec.priority ?? 10) < (best.spec.priority ?? 10) || ((e.spec.priority ?? 10) === (best.spec.priority ?? 10) && e.seq < best.seq)) best = e;
    }
    return best;
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let e = this.next(); e; e = this.next()) {
        e.running = true;
        e.jobId = this.deps.newJobId('job');
        for (const x of e.listeners) x.l.onStart?.();
        let r: JobReply<unknown>;
        try {
          r = await e.spec.run(e.jobId, (p) => {
            for (const x of e!.listeners) x.l.onProgress?.(p);
          });
        } catch (err) {
          r = { ok: false, code: (err as { code?: string }).code ?? 'FAILED', message: err instanceof Error ? err.message : String(err) };
        }
        if (this.entries.get(e.spec.key) === e) this.entries.delete(e.spec.key);
        for (const x of e.listeners) x.l.onDone(r);
      }
    } finally {
      this.busy = false;
    }
  }
}

let shared: JobScheduler | null = null;

/** The app's scheduler over the compute worker. */
export async function appScheduler(): Promise<JobScheduler> {
  if (!shared) {
    const { compute, newJobId } = await import('../worker/client');
    shared = new JobScheduler({ newJobId, cancel: (id) => compute().cancel(id) });
  }
  return shared;
}

/** A map's key for the scheduler: everything that makes the map. */
export function mapJobKey(q: { imageHash: string; modelId: string; method: string; preset: string; seed?: number; randomizationStep?: number | null }): string {
  return ['map', q.imageHash, q.modelId, q.method, q.preset, q.seed ?? 0, q.randomizationStep ?? 'trained'].join('|');
}
