/**
 * The trust report in one pass (`heatcheck evaluate`, tests): a TrustStudy over loaded models
 * with a TfMapSource (and the --maps folder as its store).
 */
import * as tf from '@tensorflow/tfjs';
import type { RegionCoords, GrayImage } from '../study/types';
import type { LoadedModel } from '../model/load';
import { methodIds, type PresetId } from '../saliency/catalog';
import type { CaseSet } from '../metrics/criteria/localization';
import type { CriterionDefinition } from '../metrics/criteria/definition';
import type { StepPlan } from './plan';
import { TrustStudy, type MapSource, type StudyModel, type StudyProgress } from './study';
import { studyModel, TfMapSource, type MapStore } from './tfMapSource';
import type { TrustReport } from './report';

export type { MapKey, MapStore } from './tfMapSource';
export { randomizedKey } from './tfMapSource';

export interface TrustCaseInput {
  id: string;
  label: 0 | 1 | null;
  /** Decodes the image (called once per case). */
  loadImage(): GrayImage;
  /** Boxes of the readers who read this case (a reader read it when the case id is a key of their boxes). */
  readers: Record<string, RegionCoords[]>;
}

export interface EvaluateTrustOptions {
  methods?: string[];
  preset?: PresetId;
  /** Parameter overrides per method, on top of the preset. */
  parameters?: Record<string, Record<string, unknown>>;
  seed?: number;
  quorum?: number;
  caseSet?: CaseSet;
  randomization?: { steps?: StepPlan; cases?: number; seed?: number; thresholdPairs?: number };
  stats?: { resamples?: number; seed?: number; alpha?: number };
  dataRange?: number;
  mapNormals?: boolean;
  criteria?: readonly CriterionDefinition<any>[];
  store?: MapStore;
  onProgress?: (line: string) => void;
}

export async function evaluateTrust(cases: readonly TrustCaseInput[], models: readonly LoadedModel[], opts: EvaluateTrustOptions = {}): Promise<TrustReport> {
  const load = caseImages(cases);
  return evaluateTrustWith(cases, models.map(studyModel), new TfMapSource(load, models, opts.store), opts);
}

const loaders = new WeakMap<readonly TrustCaseInput[], (id: string) => GrayImage>();

/** Decodes each case's image once, on first use (one loader per case list). */
export function caseImages(cases: readonly TrustCaseInput[]): (id: string) => GrayImage {
  const known = loaders.get(cases);
  if (known) return known;
  const images = new Map<string, GrayImage>();
  const byId = new Map(cases.map((c) => [c.id, c] as const));
  const load = (id: string) => {
    let g = images.get(id);
    if (!g) {
      g = byId.get(id)!.loadImage();
      images.set(id, g);
    }
    return g;
  };
  loaders.set(cases, load);
  return load;
}

/**
 * The trust report from any MapSource (computed maps, a maps folder, or a folder that computes
 * only what it lacks). `beforeRun` sees the study once its cascades are read and its tasks known
 * (study.plan()), before anything is computed. The source is disposed at the end.
 */
export async function evaluateTrustWith(
  cases: readonly TrustCaseInput[],
  models: readonly StudyModel[],
  source: MapSource & { dispose(): void },
  opts: EvaluateTrustOptions = {},
  beforeRun?: (study: TrustStudy) => Promise<void> | void,
): Promise<TrustReport> {
  const load = caseImages(cases);
  const studyCases = cases.map((c) => {
    const g = load(c.id);
    return { id: c.id, label: c.label, width: g.width, height: g.height, readers: c.readers };
  });
  const preset = opts.preset ?? 'paper';
  const study = new TrustStudy(studyCases, models, {
    methods: opts.methods ?? methodIds(),
    preset,
    parameters: opts.parameters,
    seed: opts.seed ?? 0,
    quorum: opts.quorum ?? 2,
    caseSet: opts.caseSet ?? 'all-abnormal',
    dataRange: opts.dataRange,
    stats: opts.stats,
    randomization: { cases: opts.randomization?.cases ?? cases.length, steps: opts.randomization?.steps ?? 'all', seed: opts.randomization?.seed, thresholdPairs: opts.randomization?.thresholdPairs },
    mapNormals: opts.mapNormals,
    criteria: opts.criteria,
  }, source);
  try {
    if (beforeRun) {
      await study.prepare();
      await beforeRun(study);
    }
    const say = opts.onProgress;
    const report = await study.run({ progress: say ? (p: StudyProgress) => say(`evaluate: ${p.done}/${p.total} ${p.message}`) : undefined });
    report.backend = report.backend ?? tf.getBackend();
    return report;
  } finally {
    source.dispose();
  }
}
