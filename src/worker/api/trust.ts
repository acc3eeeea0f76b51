/**
 * Worker API of the in-app trust evaluation (issue 8). The session (trustSession.ts) lives here, in
 * the worker, between calls: `evaluateTrust` runs it with progress, partial reports and
 * cancellation; `updateTrustReaders` feeds a reader's edit to it and answers with the new report
 * (only that case's localization and reader agreement are recomputed).
 */
import { openDatabase } from '../../state/db';
import { cascadeSteps } from '../../core/model/randomization';
import { METHODS, resolveParams, type PresetId } from '../../core/saliency/registry';
import type { RegionCoords } from '../../core/study/types';
import { makeJobContext, reply, type ProgressFn, type Reply } from '../jobs';
import { computeMapUnwrapped } from './saliency';
import { getLoadedModel } from './models';
import { asLayersModel } from '../../core/model/createProbe';
import { TrustSession, type TrustCase, type TrustConfig, type TrustProgress, type TrustReport } from './trustSession';

export type { TrustCase, TrustConfig, TrustProgress, TrustReport } from './trustSession';

let session: TrustSession | null = null;

/** Relative cost of one map (gradient passes), for the ETA. */
export function methodWeight(method: string, preset: PresetId): number {
  const p = resolveParams(method, preset) as Record<string, unknown>;
  const n = (k: string) => (typeof p[k] === 'number' ? (p[k] as number) : 1);
  switch (method) {
    case 'gradcam':
    case 'grad':
      return 1;
    case 'ig':
      return n('steps');
    case 'sg':
      return n('samples');
    case 'sig':
      return n('samples') * n('steps');
    case 'xrai':
      return 2 * n('steps') + 4;
    default:
      return 1;
  }
}

export interface EvaluateTrustRequest {
  config: TrustConfig;
  cases: TrustCase[];
}

/**
 * Runs the evaluation. onProgress gets {done, total, message} plus the session's fields (computed,
 * cached, etaMs, phase); onPartial a report so far, at most once a second.
 */
export function evaluateTrust(
  jobId: string,
  request: EvaluateTrustRequest,
  onProgress?: (p: TrustProgress) => void,
  onPartial?: (r: TrustReport) => void,
): Promise<Reply<TrustReport>> {
  return reply(async () => {
    const job = makeJobContext(jobId, onProgress as ProgressFn | undefined);
    const config: TrustConfig = {
      ...request.config,
      methodWeights: Object.fromEntries(request.config.methods.map((m) => [m, methodWeight(m, request.config.preset)])),
      methodLabels: Object.fromEntries(request.config.methods.map((m) => [m, METHODS[m]?.label ?? m])),
    };
    const db = await openDatabase();
    const s = new TrustSession(config, request.cases, {
      map: async (q) => {
        const r = await computeMapUnwrapped(jobId, { imageHash: q.imageHash, modelId: q.modelId, method: q.method, preset: q.preset, seed: q.seed, randomizationStep: q.randomizationStep, includeRaw: q.trained });
        return { map: r.map, width: r.width, height: r.height, targetLogit: r.targetLogit, ms: r.ms, cached: r.cached, backend: r.backend, params: r.params };
      },
      steps: async (modelId) => cascadeSteps(asLayersModel((await getLoadedModel(modelId)).model, 'cascading randomization', modelId)).map((s) => ({ step: s.step, block: s.block })),
      image: async (hash) => {
        const img = await db.get('images', hash);
        return img ? { data: img.pixels, width: img.width, height: img.height } : null;
      },
      checkpoint: () => job.checkpoint(),
      progress: (p) => onProgress?.(p),
      partial: (r) => onPartial?.(r),
    });
    session = s;
    return s.run();
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
