import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { HeatcheckError } from '../errors';
import { initNodeBackend } from '../nodeBackend';
import { loadModelDir } from '../modelDir';
import { writeAtomic, type MapsIndexEntry } from './compute';
import type { LoadedModel } from '../../core/model/load';
import { abnormalProbability } from '../../core/model/abnormal';
import type { ModelManifest } from '../../core/model/manifest';
import type { GrayImage } from '../../core/study/types';
import type { MapAnswer, MapRequest, MapSource, StudyTask } from '../../core/trust/study';
import { randomizedKey, TfMapSource, type MapKey, type MapStore } from '../../core/trust/tfMapSource';

/** A model folder as read without building it: its manifest and weights hash. */
export interface DescribedModel {
  dir: string;
  /** The class explained (a plan's --class), for a softmax or multi-unit output. */
  classIndex?: number;
  manifest: ModelManifest;
  weightsHash: string;
}

type Cascade = Array<{ step: number; block: string }> | { unavailable: string };

/** OUT/predictions.json: each model's target logit and probability per case (evaluate writes it). */
export const PREDICTIONS_FILE = 'predictions.json';
/** OUT/cascades.json: each model's cascade (the steps of cascading randomization), by weights hash. */
export const CASCADES_FILE = 'cascades.json';

interface StoredPrediction {
  case: string;
  model: string;
  modelHash: string;
  logit: number;
  probability: number;
}

interface StoredCascade {
  model: string;
  modelHash: string;
  cascade: Cascade;
}

function readJson<T>(file: string): T | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    throw new HeatcheckError('BAD_INPUT_INDEX', `${file} exists but is not valid JSON; move it away and run again`, { file });
  }
}

/**
 * The trust study's MapSource over a maps folder: maps, predictions and cascades come from the
 * folder when it holds them for these weights, parameters and seed; only what it lacks is
 * computed, and the models are built (on wasm) the first time something is lacking. So a complete
 * folder gives the report without building any model. What was computed goes back into the folder
 * (maps through the store; predictions.json and cascades.json on flush).
 */
export class FolderMapSource implements MapSource {
  private readonly predictions = new Map<string, StoredPrediction>();
  private readonly cascades = new Map<string, StoredCascade>();
  private readonly backends = new Map<string, string>();
  private engine: TfMapSource | null = null;
  private loaded: LoadedModel[] = [];
  private dirty = false;
  /** Whether any model was built (something was not in the folder). */
  modelsBuilt = false;

  constructor(
    private readonly loadImage: (caseId: string) => GrayImage,
    private readonly models: readonly DescribedModel[],
    private readonly store: (MapStore & { flush(): void }) | undefined,
    private readonly dir: string | undefined,
  ) {
    if (!dir) return;
    const out = path.resolve(dir);
    const hashOf = new Map(models.map((m) => [m.manifest.id, m.weightsHash] as const));
    const key = (c: string, m: string) => `${c}\u0000${m}`;
    // Predictions: maps' index entries carry each map's input logit and probability; predictions.json those of evaluate.
    const index = readJson<{ maps?: MapsIndexEntry[] }>(path.join(out, 'index.json'));
    for (const e of index?.maps ?? []) {
      const model = e.model.replace(/@cascade-\d+$/, '');
      if (e.raw || !e.modelHash.startsWith(hashOf.get(model) ?? '\u0000')) continue;
      this.backends.set(model, e.backend);
      if (model === e.model && e.modelHash === hashOf.get(model) && typeof e.probability === 'number') {
        this.predictions.set(key(e.case, e.model), { case: e.case, model: e.model, modelHash: e.modelHash, logit: e.targetLogit, probability: e.probability });
      }
    }
    for (const p of readJson<{ predictions?: StoredPrediction[] }>(path.join(out, PREDICTIONS_FILE))?.predictions ?? []) {
      if (hashOf.get(p.model) === p.modelHash) this.predictions.set(key(p.case, p.model), p);
    }
    // Cascades: cascades.json (evaluate), else the plan.json that maps writes beside its maps.
    const plan = readJson<{ models?: Array<{ id: string; hash: string; cascade?: Cascade }> }>(path.join(out, 'plan.json'));
    for (const m of plan?.models ?? []) if (m.cascade && hashOf.get(m.id) === m.hash) this.cascades.set(m.id, { model: m.id, modelHash: m.hash, cascade: m.cascade });
    for (const c of readJson<{ cascades?: StoredCascade[] }>(path.join(out, CASCADES_FILE))?.cascades ?? []) {
      if (hashOf.get(c.model) === c.modelHash) this.cascades.set(c.model, c);
    }
  }

  private described(id: string): DescribedModel {
    const m = this.models.find((x) => x.manifest.id === id);
    if (!m) throw new Error(`model ${id} is not in this study`);
    return m;
  }

  /** Builds every model once (on wasm), checking each against the weights hash it was described with. */
  private async compute(): Promise<TfMapSource> {
    if (this.engine) return this.engine;
    await initNodeBackend('wasm');
    for (const d of this.models) {
      const lm = await loadModelDir(d.dir, { classIndex: d.classIndex });
      this.loaded.push(lm);
      if (lm.weightsHash !== d.weightsHash) throw new HeatcheckError('BAD_INPUT_MODEL_CHANGED', `${d.dir}: the model's weights changed while evaluate ran; run again`);
    }
    this.modelsBuilt = true;
    this.engine = new TfMapSource(this.loadImage, this.loaded, this.store);
    return this.engine;
  }

  private mapKey(req: MapRequest): MapKey {
    const base: MapKey = { caseId: req.caseId, modelId: req.modelId, modelHash: this.described(req.modelId).weightsHash, method: req.method, preset: req.preset, parameters: req.parameters, seed: req.seed, seeded: req.seeded };
    return req.step === null ? base : randomizedKey(base, req.step, req.reinitSeed);
  }

  private stored(req: MapRequest) {
    const hit = this.store?.get(this.mapKey(req));
    const { height, width } = this.described(req.modelId).manifest.input;
    return hit && hit.height === height && hit.width === width ? hit : null;
  }

  /** Whether the folder holds what a task of the study needs. */
  holds(task: StudyTask, request: (t: Extract<StudyTask, { kind: 'map' }>) => MapRequest): boolean {
    if (task.kind === 'predict') return this.predictions.has(`${task.caseId}\u0000${task.model}`);
    return this.stored(request(task)) !== null;
  }

  /** Whether the folder holds a model's cascade (else reading it builds the model). */
  holdsCascade(modelId: string): boolean {
    return this.cascades.has(modelId);
  }

  async image(caseId: string) {
    const g = this.loadImage(caseId);
    return { data: g.data, height: g.height, width: g.width };
  }

  async predict(caseId: string, modelId: string) {
    const p = this.predictions.get(`${caseId}\u0000${modelId}`);
    if (p) return { logit: p.logit, probability: p.probability };
    const r = await (await this.compute()).predict(caseId, modelId);
    const d = this.described(modelId);
    // Kept for the next run: the probability of the declared output, as the study computes it.
    this.predictions.set(`${caseId}\u0000${modelId}`, { case: caseId, model: modelId, modelHash: d.weightsHash, logit: r.logit, probability: abnormalProbability(r.output, d.manifest.output) });
    this.dirty = true;
    return r;
  }

  async cascade(modelId: string) {
    const c = this.cascades.get(modelId);
    if (c) return c.cascade;
    const cascade = await (await this.compute()).cascade(modelId);
    this.cascades.set(modelId, { model: modelId, modelHash: this.described(modelId).weightsHash, cascade });
    this.dirty = true;
    return cascade;
  }

  async map(req: MapRequest): Promise<MapAnswer> {
    const hit = this.stored(req);
    // A stored map answers with the backend that made it (the report says which backend its maps came from).
    if (hit) return { map: { data: hit.map, height: hit.height, width: hit.width }, cached: true, ms: 0, ...(hit.warnings?.length ? { warnings: hit.warnings } : {}), ...(this.backends.has(req.modelId) ? { backend: this.backends.get(req.modelId) } : {}) };
    return (await this.compute()).map(req);
  }

  /** Writes predictions.json and cascades.json (atomically) when something new was learnt. */
  flush(): void {
    this.store?.flush();
    if (!this.dir || !this.dirty) return;
    const out = path.resolve(this.dir);
    writeAtomic(path.join(out, PREDICTIONS_FILE), JSON.stringify({ predictions: [...this.predictions.values()] }, null, 1) + '\n');
    writeAtomic(path.join(out, CASCADES_FILE), JSON.stringify({ cascades: [...this.cascades.values()] }, null, 1) + '\n');
    this.dirty = false;
  }

  dispose(): void {
    this.engine?.dispose();
    this.engine = null;
    for (const lm of this.loaded) lm.model.dispose();
    this.loaded = [];
    this.flush();
  }
}
