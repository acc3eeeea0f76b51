/** Progress and cancellation for long worker jobs. */
export interface Progress { done: number; total: number; message?: string }
export type ProgressFn = (p: Progress) => void;

export class CancelledError extends Error {
  readonly code = 'CANCELLED';
  constructor(jobId: string) {
    super(`Job ${jobId} was cancelled`);
    this.name = 'CancelledError';
  }
}

/** A job's context: report progress, and check whether the user cancelled (at every batch). */
export interface JobContext {
  id: string;
  progress: ProgressFn;
  /** Throws CancelledError when the job was cancelled. Await it between batches to let messages in. */
  checkpoint(): Promise<void>;
  readonly cancelled: boolean;
}

const cancelled = new Set<string>();

export function cancelJob(id: string): void {
  cancelled.add(id);
}

export function makeJobContext(id: string, onProgress?: ProgressFn): JobContext {
  return {
    id,
    progress: (p) => onProgress?.(p),
    async checkpoint() {
      // Yield to the event loop so a cancel message can arrive.
      await new Promise((r) => setTimeout(r, 0));
      if (cancelled.has(id)) {
        cancelled.delete(id);
        throw new CancelledError(id);
      }
    },
    get cancelled() {
      return cancelled.has(id);
    },
  };
}

/** Replies across postMessage are values, never thrown errors (STYLE: {ok: false, code, message}). */
export type Reply<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

export async function reply<T>(fn: () => Promise<T>): Promise<Reply<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    const code = (e as { code?: unknown })?.code;
    return {
      ok: false,
      code: typeof code === 'string' ? code : 'FAILED',
      message: e instanceof Error ? e.message : String(e),
    };
  }
}
