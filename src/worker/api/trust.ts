/**
 * Worker API of the in-app trust evaluation. The session (a TrustStudy, trustSession.ts) lives
 * here, in the worker, between calls: `evaluateTrust` runs it with progress, partial reports and
 * cancellation; `updateTrustReaders` feeds a reader's edit to it and answers with the new report.
 * The session scores in one place (here); its maps are one job per map key, asked of the main
 * thread's scheduler (`remoteMap`) that spreads them over the pool of workers, or computed here
 * when no remote source is given.
 */
import { openDatabase } from '../../storage/db';
import { modelCascadeSteps } from '../../core/model/cascade';
import type { RegionCoords } from '../../core/study/types';
import { makeJobContext, reply, type ProgressFn, type Reply } from '../jobs';
import { computeMapUnwrapped } from './saliency';
import { getLoadedModel, predictUnwrapped } from './models';
import type { TrustStudy } from '../../core/trust/study';
import { createTrustSession, type SessionMapRequest, type TrustCase, type TrustConfig, type TrustProgress, type TrustReport } from './trustSession';

export type { SessionMapRequest, TrustCase, TrustConfig, TrustProgress, TrustReport } from './trustSession';

let session: TrustStudy | null = null;

export interface EvaluateTrustRequest {
  config: TrustConfig;
  cases: TrustCase[];
  /** Maps in flight at once when they come from `remoteMap` (the pool's size). Default 1. */
  concurrency?: number;
}

/** A map as the study reads it. */
export type SessionMapAnswer = { map: Float32Array; width: number; height: number; ms: number; cached: boolean; backend: string; warnings?: string[] };

/**
 * Where the session's maps come from when they are not computed here: the main thread's scheduler,
 * which spreads them over the pool of compute workers. Answers a Reply (errors keep their code).
 */
export type RemoteMapSource = (request: SessionMapRequest) => Promise<Reply<SessionMapAnswer>>;

/** Runs the evaluation. onProgress gets {done, total, message} plus the study's fields; onPartial a report so far, at most once a second. */
export function evaluateTrust(
  jobId: string,
  request: EvaluateTrustRequest,
  onProgress?: (p: TrustProgress) => void,
  onPartial?: (r: TrustReport) => void,
  remoteMap?: RemoteMapSource,
): Promise<Reply<TrustReport>> {
  return reply(async () => {
    const job = makeJobContext(jobId, onProgress as ProgressFn | undefined);
    const db = await openDatabase();
    const s = createTrustSession(request.config, request.cases, {
      map: async (q) => {
        if (remoteMap) {
          const a = await remoteMap(q);
          if (!a.ok) throw Object.assign(new Error(a.message), { code: a.code });
          return a.value;
        }
        const r = await computeMapUnwrapped(jobId, { imageHash: q.imageHash, modelId: q.modelId, method: q.method, preset: q.preset, params: q.params, seed: q.seed, randomizationStep: q.randomizationStep, includeRaw: q.randomizationStep === null });
        return { map: r.map, width: r.width, height: r.height, ms: r.ms, cached: r.cached, backend: r.backend, warnings: r.warnings };
      },
      predict: async (hash, modelId) => {
        const p = await predictUnwrapped(modelId, hash);
        return { logit: p.logit, output: p.output };
      },
      steps: async (modelId) => modelCascadeSteps((await getLoadedModel(modelId)).model, modelId).map((s) => ({ step: s.step, block: s.block })),
      image: async (hash) => {
        const img = await db.get('images', hash);
        return img ? { data: img.pixels, width: img.width, height: img.height } : null;
      },
    });
    session = s;
    return s.run({ checkpoint: () => job.checkpoint(), progress: (p) => onProgress?.(p), partial: (r) => onPartial?.(r), concurrency: remoteMap ? request.concurrency ?? 1 : 1 });
  });
}

/** A reader's edit: every finished reader's boxes of the case. null when no evaluation holds the case. */
export function updateTrustReaders(caseId: string, readers: Record<string, RegionCoords[]>): Promise<Reply<TrustReport | null>> {
  return reply(async () => (session && session.hasCase(caseId) ? session.updateReaders(caseId, readers) : null));
}

/** The report of the current session (null when none ran in this worker). */
export function currentTrustReport(): Promise<Reply<TrustReport | null>> {
  return reply(async () => session?.report() ?? null);
}
