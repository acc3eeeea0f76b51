import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HeatcheckError } from '../errors';
import { initNodeBackend } from '../nodeBackend';
import { loadModelDir } from '../modelDir';
import { readStudyFolder, type StudyFolder } from '../studyFolder';
import { writeNpy } from '../../core/io/npy';
import { modelInput } from '../../core/model/preprocess';
import { manifestForImage } from '../../core/model/explainedClass';
import { createProbe } from '../../core/model/createProbe';
import { abnormalProbability } from '../../core/model/abnormal';
import type { LoadedModel } from '../../core/model/load';
import { runSaliency, targetAt } from '../../core/saliency/run';
import { getMethod, isSeeded } from '../../core/saliency/registry';
import { completenessFields } from '../../core/saliency/completeness';
import { jobModelHash, jobModelId, type MapPlan, type MapJob } from '../plan/plan';
import { randomizedCopy } from '../../core/trust/tfMapSource';
import type { AnyTfModel } from '../../core/model/createProbe';
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
 * Computes map jobs in this thread on its own wasm backend and writes each atomically under its
 * key (.npy, then its .json entry, which marks the job done). Models are built on first use; the
 * last few cases' images are kept, so a case's jobs decode its image about once. The seed is the job's:
 * a map does not depend on which process or in which order it was computed.
 */
export class JobRunner {
  private study: StudyFolder;
  private models = new Map<string, LoadedModel>();
  /** Randomized copies of the last few (model, cascade step, seed): cascade jobs of one step come in runs. */
  private randomized = new Map<string, AnyTfModel>();
  /** Model inputs by case and model, oldest first, at most INPUT_CACHE_BYTES in all. */
  private inputs = new Map<string, ReturnType<typeof modelInput>>();
  private inputBytes = 0;
  /** Decoded images of the last few cases (jobs fed by cost visit cases out of order). */
  private images = new Map<string, Awaited<ReturnType<StudyFolder['loadImage']>>>();

  constructor(private readonly plan: MapPlan, private readonly out: string) {
    this.study = readStudyFolder(plan.study);
  }

  private async model(id: string): Promise<LoadedModel> {
    let lm = this.models.get(id);
    if (lm) return lm;
    const pm = this.plan.models.find((m) => m.id === id);
    if (!pm) throw new HeatcheckError('BAD_INPUT_PLAN', `the plan has a job for model "${id}" but no such model in its "models"`);
    await initNodeBackend('wasm');
    lm = await loadModelDir(pm.dir, { classIndex: this.plan.class });
    if (lm.weightsHash !== pm.hash) {
      lm.model.dispose();
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
    const { height, width, channels } = lm.manifest.input;
    const x = tf.tensor3d(input.x, [height, width, channels]);
    // A softmax model read without a class explains each image's predicted class.
    const explained = manifestForImage(lm.model, lm.manifest, x);
    // A cascade job explains the same class with the model randomized down to its step.
    const net = job.step === undefined ? lm.model : this.randomizedModel(lm, job);
    const probe = createProbe(net, explained);
    try {
      const targetLogit = await targetAt(probe, x);
      const out = tf.tidy(() => (net.predict(x.expandDims(0)) as tf.Tensor).reshape([-1]));
      const probability = abnormalProbability(await out.data(), explained.output);
      out.dispose();
      const r = await runSaliency(probe, x, { method: job.method, preset: this.plan.preset, params: job.params, seed: job.seed }, {}, { targetLogit });
      const raw = this.plan.raw;
      const shape = raw ? r.output.rawShape : [r.output.height, r.output.width];
      const entry: MapsIndexEntry = {
        case: job.case,
        model: jobModelId(job),
        method: job.method,
        preset: this.plan.preset,
        parameters: r.params,
        seed: job.seed,
        backend: r.backend,
        ms: Math.round(r.ms * 10) / 10,
        targetLogit,
        probability,
        ...(r.baselineLogits ? { baselineLogits: r.baselineLogits } : {}),
        ...completenessFields(r.output),
        file: job.key,
        shape,
        raw,
        modelHash: jobModelHash(lm.weightsHash, job),
        ...(job.step !== undefined ? { cascadeStep: job.step, reinitSeed: job.reinitSeed ?? 0 } : {}),
        ...(lm.manifest.output.explain === 'predicted' ? { predictedClass: explained.output.index } : {}),
        intensity: input.intensity,
      };
      writeAtomic(path.join(this.out, job.key), writeNpy(raw ? r.output.raw : r.output.map, shape));
      writeAtomic(path.join(this.out, entryFileOf(job.key)), JSON.stringify(entry) + '\n');
      return { key: job.key, entry };
    } finally {
      x.dispose();
      probe.dispose();
    }
  }

  private randomizedModel(lm: LoadedModel, job: MapJob): AnyTfModel {
    const key = `${job.model}\u0000${job.step}\u0000${job.reinitSeed ?? 0}`;
    let m = this.randomized.get(key);
    if (!m) {
      m = randomizedCopy(lm, job.step!, job.reinitSeed ?? 0, job.model);
      if (this.randomized.size >= 2) {
        const [oldest, copy] = this.randomized.entries().next().value!;
        copy.dispose();
        this.randomized.delete(oldest);
      }
      this.randomized.set(key, m);
    }
    return m;
  }

  dispose(): void {
    for (const m of this.randomized.values()) m.dispose();
    this.randomized.clear();
    for (const lm of this.models.values()) lm.model.dispose();
    this.models.clear();
    this.images.clear();
    this.inputs.clear();
    this.inputBytes = 0;
  }
}
