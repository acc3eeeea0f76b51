/**
 * The dashboard's trust session: the study's cases come from the app's records (images by content
 * hash, readers' finished boxes), its models from the app's model list, and its maps from the
 * worker's engine and results store (deps). It is the same TrustStudy that `heatcheck evaluate`
 * runs, run incrementally: partial reports while maps arrive, and a reader's box edit recomputes
 * only that case's ground truth and what reads it. Free of TF.js and IndexedDB (deps bring them),
 * so it runs in Node tests.
 */
import type { RegionCoords } from '../../core/study/types';
import type { Plane } from '../../core/metrics/criteria/types';
import type { CaseSet } from '../../core/metrics/criteria/localization';
import type { CriterionDefinition } from '../../core/metrics/criteria/definition';
import type { PresetId } from '../../core/saliency/catalog';
import { TrustStudy, type StudyModel, type StudyProgress } from '../../core/trust/study';
import type { TrustReport } from '../../core/trust/report';

export type { TrustReport } from '../../core/trust/report';
export type TrustProgress = StudyProgress;

export interface TrustCase {
  caseId: string;
  name: string;
  imageHash: string;
  label: 0 | 1 | null;
  width: number;
  height: number;
  /** Boxes of each reader who finished the case (an empty list: "no abnormality found"). */
  readers: Record<string, RegionCoords[]>;
}

export interface TrustConfig {
  /** The models, as their manifests declare them (family, seed, input, output). */
  models: StudyModel[];
  methods: string[];
  preset: PresetId;
  /** Parameter overrides per method (on top of the preset). */
  parameters?: Record<string, Record<string, unknown>>;
  /** Seed of the maps' noise and of the cascade's re-initialisation. */
  seed: number;
  /** How many abnormal cases go through the randomization cascade. */
  randomizationCases: number;
  /** At most this many cascade steps, evenly spaced, always ending at the fully randomized one (0 or absent: every step). */
  randomizationSteps?: number;
  quorum: number;
  caseSet: CaseSet;
  /** Bootstrap resamples (default 1000). */
  resamples?: number;
  /** Also compute maps of normal cases. */
  mapNormals?: boolean;
  criteria?: readonly CriterionDefinition<any>[];
}

export interface SessionMapRequest {
  imageHash: string;
  modelId: string;
  method: string;
  preset: PresetId;
  params: Record<string, unknown>;
  seed: number;
  randomizationStep: number | null;
}

export interface TrustDeps {
  map(req: SessionMapRequest): Promise<{ map: Float32Array; width: number; height: number; ms: number; cached: boolean; backend: string; warnings?: string[] }>;
  predict(imageHash: string, modelId: string): Promise<{ logit: number; output: number[] }>;
  /** The model's cascade steps, output to input (throws when it cannot be randomized). */
  steps(modelId: string): Promise<Array<{ step: number; block: string }>>;
  /** The case's image for the edge baseline (null: no edge baseline). */
  image(imageHash: string): Promise<Plane | null>;
}

/** The study the dashboard runs, over the worker's deps. */
export function createTrustSession(config: TrustConfig, cases: readonly TrustCase[], deps: TrustDeps): TrustStudy {
  const hash = new Map(cases.map((c) => [c.caseId, c.imageHash] as const));
  return new TrustStudy(
    cases.map((c) => ({ id: c.caseId, name: c.name, label: c.label, width: c.width, height: c.height, readers: c.readers })),
    config.models,
    {
      methods: config.methods,
      preset: config.preset,
      parameters: config.parameters,
      seed: config.seed,
      quorum: config.quorum,
      caseSet: config.caseSet,
      stats: { resamples: config.resamples ?? 1000 },
      randomization: { cases: config.randomizationCases, steps: config.randomizationSteps ? { count: config.randomizationSteps } : 'all', seed: config.seed },
      mapNormals: config.mapNormals,
      criteria: config.criteria,
    },
    {
      image: (caseId) => deps.image(hash.get(caseId)!),
      predict: (caseId, modelId) => deps.predict(hash.get(caseId)!, modelId),
      cascade: async (modelId) => {
        try {
          return await deps.steps(modelId);
        } catch (e) {
          return { unavailable: `cascading randomization is not available for ${modelId}: ${(e as Error).message}` };
        }
      },
      map: async (q) => {
        const r = await deps.map({ imageHash: hash.get(q.caseId)!, modelId: q.modelId, method: q.method, preset: q.preset, params: q.parameters, seed: q.seed, randomizationStep: q.step });
        return { map: { data: r.map, height: r.height, width: r.width }, cached: r.cached, ms: r.ms, backend: r.backend, warnings: r.warnings };
      },
    },
  );
}
