/**
 * Worker API of the in-app trust evaluation. The session (a TrustStudy, trustSession.ts) lives
 * here, in the worker, between calls: `evaluateTrust` runs it with progress, partial reports and
 * cancellation; `updateTrustReaders` feeds a reader's edit to it and answers with the new report.
 */
import { openDatabase } from '../../storage/db';
import { modelCascadeSteps } from '../../core/model/cascade';
import type { RegionCoords } from '../../core/study/types';
import { makeJobContext, reply, type ProgressFn, type Reply } from '../jobs';
import { computeMapUnwrapped } from './saliency';
import { getLoadedModel, predictUnwrapped } from './models';
import type { TrustStudy } from '../../core/trust/study';
import { createTrustSession, type TrustCase, type TrustConfig, type TrustProgress, type TrustReport } from './trustSession';

export type { TrustCase, TrustConfig, TrustProgress, TrustReport } from './trustSession';

let session: TrustStudy | null = null;

export interface EvaluateTrustRequest {
  config: TrustConfig;
  cases: TrustCase[];
}

/** Runs the evaluation. onProgress gets {done, total, message} plus the study's fields; onPartial a report so far, at most once a second. */
export function evaluateTrust(
  jobId: string,
  request: EvaluateTrustRequest,
  onProgress?: (p: TrustProgress) => void,
  onPartial?: (r: TrustReport) => void,
): Promise<Reply<TrustReport>> {
  return reply(async () => {
    const job = makeJobContext(jobId, onProgress as ProgressFn | undefined);
    const db = await openDatabase();
    const s = createTrustSession(request.config, request.cases, {
      map: async (q) => {
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
    return s.run({ checkpoint: () => job.checkpoint(), progress: (p) => onProgress?.(p), partial: (r) => onPartial?.(r) });
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
