import * as tf from '@tensorflow/tfjs';
import { openDatabase } from '../../storage/db';
import { getResult, putResult, resultKey } from '../../storage/results';
import { modelInput } from '../../core/model/preprocess';
import type { IntensityRecord } from '../../core/study/intensity';
import type { TfProbe } from '../../core/model/probe';
import { timeProbe, type ProbeTiming } from '../../core/model/probeTiming';
import { createProbe, type AnyTfModel } from '../../core/model/createProbe';
import type { CascadeStep } from '../../core/model/randomization';
import { modelCascadeSteps, randomizeModel } from '../../core/model/cascade';
import { getMethod, isSeeded, methodIds, METHODS, PRESET_LABELS, resolveParams, type PresetId } from '../../core/saliency/registry';
import { runSaliency } from '../../core/saliency/run';
import { gradCamAtLayer } from '../../core/saliency/gradcam';
import { completenessFields } from '../../core/saliency/completeness';
import { makeJobContext, reply, type ProgressFn, type Reply } from '../jobs';
import { activeBackend } from './backend';
import { loadModelFromFiles, shardPaths, type LoadedModel } from '../../core/model/load';

/**
 * Saliency maps in the worker: read the image from IndexedDB, preprocess with the model's
 * manifest, run the method with progress per batch and cancellation, cache the result in the
 * `results` store under (image hash, weights hash, method, parameters, seed, backend,
 * randomization step) so nothing is computed twice.
 */
export interface ComputeMapRequest {
  /** sha256 of the image pixels (key of the `images` store). */
  imageHash: string;
  modelId: string;
  method: string;
  preset: PresetId;
  /** Overrides of the preset's parameters. */
  params?: Record<string, unknown>;
  /** Noise seed (SmoothGrad family) and seed of the randomization. Default 0. */
  seed?: number;
  /** Cascading randomization step (SPEC 5.2): blocks 0..step re-initialised. null/undefined: the trained model. */
  randomizationStep?: number | null;
  /** Also return (and cache) the raw attribution [H, W, C]. */
  includeRaw?: boolean;
  /** Skip the cache read and the kept target at the input: a fresh computation (the result is still written). For benchmarks and checks. */
  noCache?: boolean;
}

export interface ComputeMapResult {
  key: string;
  /** Post-processed 2-D map in [0, 1], row-major height x width. */
  map: Float32Array;
  raw?: Float32Array;
  rawShape: [number, number, number];
  width: number;
  height: number;
  method: string;
  methodLabel: string;
  signed: boolean;
  preset: PresetId;
  presetLabel: string;
  params: Record<string, unknown>;
  seed: number;
  backend: string;
  ms: number;
  modelId: string;
  modelHash: string;
  imageHash: string;
  randomizationStep: number | null;
  /** The abnormal logit at the input (of the randomized model when randomizationStep is set). */
  targetLogit: number;
  baselineLogits?: Record<string, number>;
  /** The intensity transform from the stored pixels to [0, 1] before the model's scale/offset (window, VOI LUT, min-max, bit depth). */
  intensity?: IntensityRecord;
  /** IG family: |sum(attr) - (f(x) - f(b))| / |f(x) - f(b)| of this map (worst over baselines/noise samples). */
  completenessError?: number;
  /** IG family: the steps used after adaptive doubling. */
  steps?: number;
  /** What a reader of this map must know (for example a completeness error over tolerance); the trust report carries them into the cells that used the map. */
  warnings?: string[];
  info: Record<string, unknown>;
  createdAt: number;
  cached: boolean;
}

/**
 * Where models come from. Default: the app's own public/models/<id>/ (model.json, shards,
 * manifest.json), fetched once per id. The worker's model module (src/worker/api/models.ts,
 * getLoadedModel) takes over with setModelSource(getLoadedModel), so each model is held once.
 */
export type ModelSource = (modelId: string) => Promise<LoadedModel>;

const fetched = new Map<string, Promise<LoadedModel>>();
export const fetchAppModel: ModelSource = (id) => {
  let p = fetched.get(id);
  if (!p) {
    p = (async () => {
      // The worker's script lives in <app>/assets/ (built) or <app>/src/worker/ (dev); models in <app>/models/<id>/.
      const root = self.location.href.replace(/\/(assets|src)\/[^?#]*([?#].*)?$/, '/');
      const base = new URL(`models/${encodeURIComponent(id)}/`, root);
      const get = async (f: string) => {
        const r = await fetch(new URL(f, base));
        if (!r.ok) throw Object.assign(new Error(`model "${id}": ${new URL(f, base).pathname} answered ${r.status}; is the model in public/models/${id}/ or imported?`), { code: 'NOT_FOUND_MODEL' });
        return r;
      };
      const modelJson = await (await get('model.json')).json();
      const manifest = await (await get('manifest.json')).json();
      const shards = new Map<string, Uint8Array>();
      for (const s of shardPaths(modelJson, id)) shards.set(s, new Uint8Array(await (await get(s)).arrayBuffer()));
      return loadModelFromFiles({ source: `models/${id}`, modelJson, shards, manifest });
    })();
    p.catch(() => fetched.delete(id));
    fetched.set(id, p);
  }
  return p;
};

let getLoadedModel: ModelSource = fetchAppModel;
/** Pins a model while a map is computed on it (the model source may drop models it is not using); returns the release. */
let holdModel: (modelId: string) => () => void = () => () => {};

export function setModelSource(source: ModelSource, hold?: (modelId: string) => () => void): void {
  getLoadedModel = source;
  holdModel = hold ?? (() => () => {});
  while (probes.length) {
    const old = probes.pop()!;
    old.probe.dispose();
    if (old.owned) old.model.dispose();
  }
}

/** Disposes the probes (and randomized copies) of a model that its worker lets go of. */
export function dropProbes(modelId: string): void {
  for (let i = probes.length - 1; i >= 0; i--) {
    if (!probes[i].key.startsWith(`${modelId}|`)) continue;
    const [old] = probes.splice(i, 1);
    old.probe.dispose();
    if (old.owned) old.model.dispose();
  }
}

interface ProbeEntry { key: string; probe: TfProbe; model: AnyTfModel; owned: boolean }
const probes: ProbeEntry[] = [];
const KEEP_PROBES = 3;

/**
 * The target logit at an input, by network (the probe's key: model, weights, cascade step, seed)
 * and image: every method on one image asks for it, and a forward pass per map would repeat it.
 * Bounded (oldest first out); a number each.
 */
const targetsAtInput = new Map<string, number>();
const KEEP_TARGETS = 4096;

/** The probe of a model (or of its randomized copy), cached; randomized copies beyond the last few are disposed. */
async function probeFor(modelId: string, step: number | null, seed: number): Promise<{ probe: TfProbe; probeKey: string; modelHash: string; manifest: LoadedModel['manifest'] }> {
  const loaded = await getLoadedModel(modelId);
  const key = `${modelId}|${loaded.weightsHash}|${step ?? 'trained'}|${step == null ? '' : seed}`;
  let e = probes.find((p) => p.key === key);
  if (!e) {
    const model = step == null ? loaded.model : randomizeModel(loaded.model, step, seed, modelId);
    e = { key, model, owned: step != null, probe: createProbe(model, loaded.manifest) };
    probes.unshift(e);
    while (probes.length > KEEP_PROBES) {
      const old = probes.pop()!;
      old.probe.dispose();
      if (old.owned) old.model.dispose();
    }
  }
  return { probe: e.probe, probeKey: key, modelHash: loaded.weightsHash, manifest: loaded.manifest };
}

export async function computeMapUnwrapped(jobId: string, request: ComputeMapRequest, onProgress?: ProgressFn): Promise<ComputeMapResult> {
  const release = holdModel(request.modelId);
  try {
    return await computeMapOn(jobId, request, onProgress);
  } finally {
    release();
  }
}

async function computeMapOn(jobId: string, request: ComputeMapRequest, onProgress?: ProgressFn): Promise<ComputeMapResult> {
  const m = getMethod(request.method);
  const preset = request.preset ?? 'paper';
  const params = resolveParams(request.method, preset, request.params ?? {});
  const seed = request.seed ?? 0;
  const step = request.randomizationStep ?? null;
  const backend = await activeBackend();
  const { probe, probeKey, modelHash, manifest } = await probeFor(request.modelId, step, seed);
  const key = resultKey({
    imageHash: request.imageHash,
    modelHash,
    method: m.id,
    params,
    seed: isSeeded(m) || step != null ? seed : null,
    backend,
    randomizationStep: step,
  });
  const label = { preset, presetLabel: PRESET_LABELS[preset] };
  if (!request.noCache) {
    const hit = await getResult<Omit<ComputeMapResult, 'cached'>>(key);
    if (hit && (!request.includeRaw || hit.raw)) return { ...hit, ...label, seed, cached: true };
  }
  const db = await openDatabase();
  const img = await db.get('images', request.imageHash);
  if (!img) throw Object.assign(new Error(`image ${request.imageHash.slice(0, 12)}… is not in this browser's storage; import the study again`), { code: 'NOT_FOUND_IMAGE' });
  const { x: input, intensity } = modelInput({ width: img.width, height: img.height, data: img.pixels, window: img.window, voiLut: img.voiLut, invert: img.invert }, manifest);
  const job = makeJobContext(jobId, onProgress);
  await job.checkpoint();
  const targetKey = `${probeKey}|${request.imageHash}`;
  const knownTarget = request.noCache ? undefined : targetsAtInput.get(targetKey);
  const run = await runSaliency(
    probe,
    input,
    { method: m.id, preset, params, seed },
    {
      checkpoint: () => job.checkpoint(),
      onProgress: (done, total) => job.progress({ done, total, message: `${m.label}: ${done}/${total}` }),
    },
    knownTarget !== undefined ? { targetLogit: knownTarget } : undefined,
  );
  if (knownTarget === undefined) {
    targetsAtInput.delete(targetKey);
    targetsAtInput.set(targetKey, run.targetLogit);
    if (targetsAtInput.size > KEEP_TARGETS) targetsAtInput.delete(targetsAtInput.keys().next().value!);
  }
  const result: ComputeMapResult = {
    key,
    map: run.output.map,
    ...(request.includeRaw ? { raw: run.output.raw } : {}),
    rawShape: run.output.rawShape,
    width: run.output.width,
    height: run.output.height,
    method: m.id,
    methodLabel: m.label,
    signed: m.signed,
    ...label,
    params,
    seed,
    backend,
    ms: run.ms,
    modelId: request.modelId,
    modelHash,
    imageHash: request.imageHash,
    randomizationStep: step,
    targetLogit: run.targetLogit,
    ...(run.baselineLogits ? { baselineLogits: run.baselineLogits } : {}),
    intensity,
    ...completenessFields(run.output),
    info: run.output.info ?? {},
    createdAt: Date.now(),
    cached: false,
  };
  const { cached: _c, ...stored } = result;
  await putResult(key, 'saliency', stored);
  return result;
}

/** Worker API: one map, as a Reply ({ok: false, code, message} on errors, CANCELLED on cancel). */
export function computeMap(jobId: string, request: ComputeMapRequest, onProgress?: ProgressFn): Promise<Reply<ComputeMapResult>> {
  return reply(() => computeMapUnwrapped(jobId, request, onProgress));
}

/** The registered methods with their presets, for the UI. */
export function saliencyMethods(): Array<{ id: string; label: string; signed: boolean; seeded: boolean; extra: boolean; postprocess: string; presets: Record<PresetId, Record<string, unknown>> }> {
  return methodIds({ extras: true }).map((id) => {
    const m = METHODS[id];
    return { id, label: m.label, signed: m.signed, seeded: isSeeded(m), extra: m.extra === true, postprocess: m.postprocess, presets: m.presets };
  });
}

/** The cascading randomization steps of a model (output back to input). */
export async function randomizationSteps(modelId: string): Promise<Reply<CascadeStep[]>> {
  return reply(async () => modelCascadeSteps((await getLoadedModel(modelId)).model, modelId));
}

/** Bench: ms per example of one forward pass and of one input-gradient pass at the probe's batch size. */
export async function probeTiming(modelId: string, reps = 3, batch?: number): Promise<Reply<ProbeTiming & { backend: string }>> {
  return reply(async () => {
    const { probe } = await probeFor(modelId, null, 0);
    return { backend: await activeBackend(), ...(await timeProbe(probe, { reps, batch })) };
  });
}

/**
 * The probe of a model on one input already in its input space (channels-last [H, W, C], no
 * preprocessing): the target logit, d logit / d input and Grad-CAM at `layer` (default: the probe's).
 * For checks against a reference framework on the same input (e2e compares an imported ONNX model
 * with PyTorch's autograd this way), and for the console.
 */
export async function probeAt(modelId: string, input: Float32Array, layer?: string): Promise<Reply<{ logit: number; gradient: Float32Array; cam: Float32Array; camShape: [number, number]; layer: string; backend: string }>> {
  return reply(async () => {
    const { probe, manifest } = await probeFor(modelId, null, 0);
    const { height, width, channels } = manifest.input;
    if (input.length !== height * width * channels) throw new Error(`model "${modelId}" takes ${height}x${width}x${channels} = ${height * width * channels} values; got ${input.length}`);
    const x = tf.tensor4d(input, [1, height, width, channels]);
    try {
      const t = probe.target(x);
      const logit = (await t.data())[0];
      t.dispose();
      const g = probe.inputGradients(x);
      const gradient = (await g.data()) as Float32Array;
      g.dispose();
      const at = layer ?? probe.defaultLayer;
      const { cam, h, w } = await gradCamAtLayer(probe, x.squeeze([0]) as tf.Tensor3D, at);
      return { logit, gradient, cam, camShape: [h, w] as [number, number], layer: at, backend: await activeBackend() };
    } finally {
      x.dispose();
    }
  });
}
