import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HeatcheckError } from '../errors';
import { initNodeBackend } from '../nodeBackend';
import { loadModelDir } from '../modelDir';
import { readStudyFolder, type StudyFolder } from '../studyFolder';
import { writeNpy } from '../../core/io/npy';
import { modelInput } from '../../core/model/preprocess';
import type { ModelManifest } from '../../core/model/manifest';
import { MapComputer, type MapRequest, type MapResult } from '../../core/saliency/mapComputer';
import { getMethod, isSeeded } from '../../core/saliency/registry';
import { completenessFields } from '../../core/saliency/completeness';
import { jobModelHash, jobModelId, type MapPlan, type MapJob, type PlanModel } from '../plan/plan';
import type { IntensityRecord } from '../../core/study/intensity';
import type { Failure } from '../failures';

/** One map's index entry: OUT/index.json lists them; OUT/<case>/<model>/<method>.json holds each. */
export interface MapsIndexEntry {
  case: string;
  model: string;
  method: string;
  preset: MapPlan['preset'];
  parameters: Record<string, unknown>;
  seed: number;
  backend: string;
  ms: number;
  /** Target (abnormal logit) at the input. */
  targetLogit: number;
  /** The model's probability of the explained class at the input (its output through sigmoid or softmax), as evaluate's classifier scores use it. */
  probability?: number;
  /** IG family: the target logit at each baseline. */
  baselineLogits?: Record<string, number>;
  /** IG family: |sum(attr) - (f(x) - f(b))| / |f(x) - f(b)| (worst over baselines or noise samples). */
  completenessError?: number;
  /** IG family: the steps used after adaptive doubling. */
  steps?: number;
  /** What a reader of the map must know (a completeness error over tolerance, in words with the figures). */
  warnings?: string[];
  file: string;
  shape: number[];
  raw: boolean;
  modelHash: string;
  /** The class explained, when it is the image's predicted class (a softmax model read without --class). */
  predictedClass?: number;
  /** A cascade job's map: the cascade step the model was randomized down to, and the re-initialisation seed. */
  cascadeStep?: number;
  reinitSeed?: number;
  /** The intensity transform from the file's values to [0, 1] before the model's own scale/offset (window, VOI LUT, min-max, bit depth). */
  intensity?: IntensityRecord;
}

/** Memory a worker may keep model inputs in (a 299 x 299 x 3 input is about 1 MB). */
const INPUT_CACHE_BYTES = 256 * 1024 * 1024;

/** The outcome of one job: its index entry, or the failure of its input image. */
export type JobResult = { key: string; entry: MapsIndexEntry } | { key: string; failure: Failure };

/** The index entry file of a job: the key with .json for .npy. */
export const entryFileOf = (key: string): string => key.replace(/\.npy$/, '.json');

/** JSON with object keys sorted, for comparing parameters. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Writes bytes atomically: a temporary file in the same folder, then rename (a killed run leaves no half file under the key). */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/**
 * The finished output of a job in `out`, if there is one that matches the job: its entry file
 * exists and says the same model weights, preset, parameters, seed (for a method that draws
 * noise; other maps do not depend on it) and raw flag, and its .npy
 * exists. Otherwise null (the job is to be computed).
 */
export function doneEntry(out: string, plan: Pick<MapPlan, 'models' | 'preset' | 'raw'>, job: MapJob): MapsIndexEntry | null {
  const jf = path.join(out, entryFileOf(job.key));
  if (!existsSync(jf) || !existsSync(path.join(out, job.key))) return null;
  let e: MapsIndexEntry;
  try {
    e = JSON.parse(readFileSync(jf, 'utf8')) as MapsIndexEntry;
  } catch {
    return null;
  }
  const model = plan.models.find((m) => m.id === job.model);
  const ok =
    e.case === job.case &&
    e.model === jobModelId(job) &&
    e.method === job.method &&
    e.preset === plan.preset &&
    e.raw === plan.raw &&
    (e.seed === job.seed || !isSeeded(getMethod(job.method))) &&
    model !== undefined &&
    e.modelHash === jobModelHash(model.hash, job) &&
    canonical(e.parameters) === canonical(job.params);
  return ok ? e : null;
}

/**
 * What computes the maps of a JobRunner: builds each model once, then computes maps of it. The
 * default is this thread's own TF.js (wasm, or cpu); src/cli/jobs/browserEngine.ts runs the same
 * code in headless Chromium on WebGL or WebGPU.
 */
export interface MapEngine {
  /** Builds the model of the plan's model `pm` (once per id) and says its manifest and weights hash. */
  load(pm: PlanModel, classIndex: number | undefined): Promise<{ manifest: ModelManifest; weightsHash: string }>;
  compute(req: MapRequest): Promise<MapResult>;
  dispose(): void | Promise<void>;
}

/** Maps on this thread's TF.js, on the wasm (default) or cpu backend. */
export class InProcessEngine implements MapEngine {
  private computer = new MapComputer();

  constructor(private readonly backend: 'wasm' | 'cpu' = 'wasm') {}

  async load(pm: PlanModel, classIndex: number | undefined) {
    await initNodeBackend(this.backend);
    const lm = await loadModelDir(pm.dir, { classIndex });
    this.computer.add(pm.id, lm);
    return { manifest: lm.manifest, weightsHash: lm.weightsHash };
  }

  compute(req: MapRequest): Promise<MapResult> {
    return this.computer.compute(req);
  }

  dispose(): void {
    this.computer.dispose();
  }
}

/**
 * Runs map jobs with a MapEngine (by default this thread's own wasm backend) and writes each
 * atomically under its key (.npy, then its .json entry, which marks the job done). Models are
 * built on first use; the last few cases' images are kept, so a case's jobs decode its image about
 * once. The seed is the job's: a map does not depend on which process or in which order it was computed.
 */
export class JobRunner {
  private study: StudyFolder;
  private models = new Map<string, { manifest: ModelManifest; weightsHash: string }>();
  /** Model inputs by case and model, oldest first, at most INPUT_CACHE_BYTES in all. */
  private inputs = new Map<string, ReturnType<typeof modelInput>>();
  private inputBytes = 0;
  /** Decoded images of the last few cases (jobs fed by cost visit cases out of order). */
  private images = new Map<string, Awaited<ReturnType<StudyFolder['loadImage']>>>();

  constructor(private readonly plan: MapPlan, private readonly out: string, private readonly engine: MapEngine = new InProcessEngine()) {
    this.study = readStudyFolder(plan.study);
  }

  private async model(id: string): Promise<{ manifest: ModelManifest; weightsHash: string }> {
    let lm = this.models.get(id);
    if (lm) return lm;
    const pm = this.plan.models.find((m) => m.id === id);
    if (!pm) throw new HeatcheckError('BAD_INPUT_PLAN', `the plan has a job for model "${id}" but no such model in its "models"`);
    lm = await this.engine.load(pm, this.plan.class);
    if (lm.weightsHash !== pm.hash) {
      throw new HeatcheckError('BAD_INPUT_PLAN_STALE', `${pm.dir}: the model's weights changed since the plan was made (hash ${lm.weightsHash.slice(0, 12)}..., plan ${pm.hash.slice(0, 12)}...); make the plan again`);
    }
    this.models.set(id, lm);
    return lm;
  }

  async run(job: MapJob): Promise<JobResult> {
    const c = this.study.cases.find((k) => k.id === job.case);
    if (!c) throw new HeatcheckError('NOT_FOUND_CASE', `case ${job.case} of the plan is not in ${path.join(this.plan.study, 'cases.csv')}`);
    const file = this.study.fileOf(c);
    const lm = await this.model(job.model);
    // The model's input of each (case, model) is kept (small: the model's grid), so a worker fed
    // jobs by cost, one method across all cases at a time, decodes each image about once.
    const inputKey = `${c.id}\u0000${job.model}`;
    let input = this.inputs.get(inputKey);
    if (!input) {
      let img = this.images.get(c.id);
      if (!img) {
        try {
          img = await this.study.loadImage(c);
        } catch (e) {
          const code = (e as { code?: unknown })?.code;
          return { key: job.key, failure: { file, code: typeof code === 'string' ? code : 'INTERNAL', message: e instanceof Error ? e.message : String(e) } };
        }
        if (this.images.size >= 8) this.images.delete(this.images.keys().next().value!);
        this.images.set(c.id, img);
      }
      input = modelInput(img, lm.manifest);
      this.inputBytes += input.x.byteLength;
      this.inputs.set(inputKey, input);
      for (const [k, v] of this.inputs) {
        if (this.inputBytes <= INPUT_CACHE_BYTES) break;
        this.inputs.delete(k);
        this.inputBytes -= v.x.byteLength;
      }
    }
    const raw = this.plan.raw;
    const r = await this.engine.compute({
      model: job.model,
      x: input.x,
      method: job.method,
      preset: this.plan.preset,
      params: job.params,
      seed: job.seed,
      ...(job.step !== undefined ? { step: job.step, reinitSeed: job.reinitSeed ?? 0 } : {}),
      raw,
    });
    const entry: MapsIndexEntry = {
      case: job.case,
      model: jobModelId(job),
      method: job.method,
      preset: this.plan.preset,
      parameters: r.params,
      seed: job.seed,
      backend: r.backend,
      ms: Math.round(r.ms * 10) / 10,
      targetLogit: r.targetLogit,
      probability: r.probability,
      ...(r.baselineLogits ? { baselineLogits: r.baselineLogits } : {}),
      ...completenessFields(r),
      file: job.key,
      shape: r.shape,
      raw,
      modelHash: jobModelHash(lm.weightsHash, job),
      ...(job.step !== undefined ? { cascadeStep: job.step, reinitSeed: job.reinitSeed ?? 0 } : {}),
      ...(lm.manifest.output.explain === 'predicted' ? { predictedClass: r.explainedIndex } : {}),
      intensity: input.intensity,
    };
    writeAtomic(path.join(this.out, job.key), writeNpy(r.values, r.shape));
    writeAtomic(path.join(this.out, entryFileOf(job.key)), JSON.stringify(entry) + '\n');
    return { key: job.key, entry };
  }

  async dispose(): Promise<void> {
    await this.engine.dispose();
    this.models.clear();
    this.images.clear();
    this.inputs.clear();
    this.inputBytes = 0;
  }
}
