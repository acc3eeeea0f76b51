/**
 * A MapSource that computes through the saliency engine on loaded TF.js models (the CLI's, and
 * the tests'), optionally reading and writing a MapStore (the CLI's --maps folder). The randomized
 * copy of a model is built once per (model, step) and kept while the study visits that step.
 */
import * as tf from '@tensorflow/tfjs';
import type { GrayImage } from '../study/types';
import type { LoadedModel } from '../model/load';
import { preprocessImage } from '../model/preprocess';
import { createProbe, isGraphModel, type AnyTfModel } from '../model/createProbe';
import { modelCascadeSteps, randomizeModel } from '../model/cascade';
import type { TfProbe } from '../model/probe';
import { runSaliency, targetAt, type SaliencyRun } from '../saliency/run';
import type { PresetId } from '../saliency/catalog';
import type { MapAnswer, MapRequest, MapSource, StudyModel } from './study';

/** Everything that makes a map; a stored map is reused only when all of it matches. */
export interface MapKey {
  caseId: string;
  modelId: string;
  modelHash: string;
  method: string;
  preset: PresetId;
  parameters: Record<string, unknown>;
  seed: number;
  /** Whether the method draws from the seed (unseeded methods match any seed). */
  seeded: boolean;
}

/** A cache of maps (the CLI's --maps folder). */
export interface MapStore {
  /** The stored map, with the warnings it was stored with (an IG completeness warning). */
  get(key: MapKey): { map: Float32Array; height: number; width: number; warnings?: string[] } | null;
  put(key: MapKey, run: SaliencyRun): void;
  /** A chance to persist what was put. */
  checkpoint?(): void;
}

/**
 * The key of a map from a randomized copy of a model: the model id gets `@cascade-<step>` and the
 * hash records the trained weights, the step and the re-initialisation seed.
 */
export function randomizedKey(key: MapKey, step: number, reinitSeed: number): MapKey {
  return { ...key, modelId: `${key.modelId}@cascade-${step}`, modelHash: `${key.modelHash}:cascade-${step}:seed-${reinitSeed}` };
}

/** A model's cascade (cascading randomization's steps, output to input), or why it has none. */
export function modelCascade(lm: LoadedModel, modelId = lm.manifest.id): Array<{ step: number; block: string }> | { unavailable: string } {
  if (isGraphModel(lm.model)) return { unavailable: `model "${modelId}" is a TF.js GraphModel: cascading randomization re-initialises Keras layers, which a graph of ops does not have` };
  // Keras layers block by block; an imported ONNX graph one Conv/ConvTranspose/Gemm node per step, as PyTorch initialises them (cascade.ts).
  return modelCascadeSteps(lm.model, modelId).map((s) => ({ step: s.step, block: s.block }));
}

/** A copy of the model randomized down to a cascade step (re-initialised with the seed); the caller disposes it. */
export function randomizedCopy(lm: LoadedModel, step: number, reinitSeed: number, modelId = lm.manifest.id): AnyTfModel {
  return randomizeModel(lm.model, step, reinitSeed, modelId);
}

/** The study's view of a loaded model. */
export function studyModel(lm: Pick<LoadedModel, 'manifest' | 'weightsHash'>): StudyModel {
  const m = lm.manifest;
  return { id: m.id, ...(m.name ? { name: m.name } : {}), architecture: m.architecture, family: m.family, seed: typeof m.seed === 'number' ? m.seed : null, input: m.input, output: m.output, weightsSha256: lm.weightsHash };
}

export class TfMapSource implements MapSource {
  private readonly images = new Map<string, GrayImage>();
  private readonly inputs = new Map<string, Float32Array>();
  private readonly probes = new Map<string, TfProbe>();
  private randomized: { key: string; model: AnyTfModel; probe: TfProbe } | null = null;

  constructor(
    private readonly loadImage: (caseId: string) => GrayImage,
    private readonly models: readonly LoadedModel[],
    private readonly store?: MapStore,
  ) {}

  private model(id: string): LoadedModel {
    const m = this.models.find((x) => x.manifest.id === id);
    if (!m) throw new Error(`model ${id} is not loaded`);
    return m;
  }

  private gray(caseId: string): GrayImage {
    let g = this.images.get(caseId);
    if (!g) {
      g = this.loadImage(caseId);
      this.images.set(caseId, g);
    }
    return g;
  }

  private input(caseId: string, lm: LoadedModel): tf.Tensor3D {
    const key = `${caseId}\u0000${lm.manifest.id}`;
    let x = this.inputs.get(key);
    if (!x) {
      x = preprocessImage(this.gray(caseId), lm.manifest);
      this.inputs.set(key, x);
    }
    const { height, width, channels } = lm.manifest.input;
    return tf.tensor3d(x, [height, width, channels]);
  }

  private probe(lm: LoadedModel): TfProbe {
    let p = this.probes.get(lm.manifest.id);
    if (!p) {
      p = createProbe(lm.model, lm.manifest);
      this.probes.set(lm.manifest.id, p);
    }
    return p;
  }

  async image(caseId: string) {
    const g = this.gray(caseId);
    return { data: g.data, height: g.height, width: g.width };
  }

  async predict(caseId: string, modelId: string) {
    const lm = this.model(modelId);
    const xt = this.input(caseId, lm);
    try {
      const logit = await targetAt(this.probe(lm), xt);
      const out = tf.tidy(() => (lm.model.predict(xt.expandDims(0)) as tf.Tensor).reshape([-1]));
      const row = Array.from(await out.data());
      out.dispose();
      return { logit, output: row };
    } finally {
      xt.dispose();
    }
  }

  async cascade(modelId: string) {
    return modelCascade(this.model(modelId), modelId);
  }

  async map(req: MapRequest): Promise<MapAnswer> {
    const lm = this.model(req.modelId);
    const [h, w] = [lm.manifest.input.height, lm.manifest.input.width];
    const base: MapKey = { caseId: req.caseId, modelId: req.modelId, modelHash: lm.weightsHash, method: req.method, preset: req.preset, parameters: req.parameters, seed: req.seed, seeded: req.seeded };
    const key = req.step === null ? base : randomizedKey(base, req.step, req.reinitSeed);
    const hit = this.store?.get(key);
    if (hit && hit.height === h && hit.width === w) return { map: { data: hit.map, height: h, width: w }, cached: true, ms: 0, ...(hit.warnings?.length ? { warnings: hit.warnings } : {}) };
    let probe: TfProbe;
    if (req.step === null) probe = this.probe(lm);
    else {
      const rk = `${req.modelId}\u0000${req.step}\u0000${req.reinitSeed}`;
      if (this.randomized?.key !== rk) {
        this.disposeRandomized();
        const copy = randomizedCopy(lm, req.step, req.reinitSeed, req.modelId);
        this.randomized = { key: rk, model: copy, probe: createProbe(copy, lm.manifest) };
      }
      probe = this.randomized!.probe;
    }
    const xt = this.input(req.caseId, lm);
    try {
      const r = await runSaliency(probe, xt, { method: req.method, preset: req.preset, params: req.parameters, seed: req.seed });
      this.store?.put(key, r);
      return { map: { data: r.output.map, height: r.output.height, width: r.output.width }, cached: false, ms: r.ms, backend: r.backend, warnings: r.output.warnings };
    } finally {
      xt.dispose();
    }
  }

  private disposeRandomized(): void {
    if (!this.randomized) return;
    this.randomized.probe.dispose();
    this.randomized.model.dispose();
    this.randomized = null;
    this.store?.checkpoint?.();
  }

  dispose(): void {
    this.disposeRandomized();
    for (const p of this.probes.values()) p.dispose();
    this.probes.clear();
    this.store?.checkpoint?.();
  }
}
