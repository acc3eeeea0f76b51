import * as tf from '@tensorflow/tfjs';
import type { LoadedModel } from '../model/load';
import type { ModelManifest } from '../model/manifest';
import type { PresetId } from './registry';
import { manifestForImage } from '../model/explainedClass';
import { createProbe, type AnyTfModel } from '../model/createProbe';
import { abnormalProbability } from '../model/abnormal';
import { runSaliency, targetAt } from './run';
import { completenessFields } from './completeness';
import { randomizedCopy } from '../trust/tfMapSource';

/** One map to compute: a model (by id) and the model's input, a method with its parameters and seed, maybe a cascade step. */
export interface MapRequest {
  model: string;
  /** The model's input, H x W x C in the model's grid (after preprocessing). */
  x: Float32Array;
  method: string;
  preset: PresetId;
  params: Record<string, unknown>;
  seed: number;
  /** Cascading randomization: the model randomized down to this step (re-initialised with reinitSeed). */
  step?: number;
  reinitSeed?: number;
  /** The raw attribution H x W x C instead of the 2-D post-processed map. */
  raw: boolean;
}

/** What a computed map carries back: its values and shape, and the facts its index entry records. */
export interface MapResult {
  values: Float32Array;
  shape: number[];
  params: Record<string, unknown>;
  backend: string;
  ms: number;
  targetLogit: number;
  probability: number;
  baselineLogits?: Record<string, number>;
  completenessError?: number;
  steps?: number;
  warnings?: string[];
  /** The class explained (a softmax model read without a class explains each image's predicted class). */
  explainedIndex: number;
}

/** What a model says at one input. */
interface AtInput {
  explained: ModelManifest;
  targetLogit: number;
  probability: number;
}

/**
 * Computes saliency maps of loaded models on the active TF.js backend, whichever it is (wasm in
 * Node, WebGL or WebGPU in a browser page): the same code gives every backend's maps. Keeps the
 * randomized copies of the last two (model, cascade step, seed), since cascade jobs of one step come in runs.
 * What the model says at an input (the explained class, the target logit, the probability) is the
 * same for every method run on it, so it is kept per input array and model: a case's six methods
 * cost one set of forward passes, not six. A caller passes the same Float32Array for the same
 * input (JobRunner keeps each case's model input) and never writes into it afterwards.
 */
export class MapComputer {
  private models = new Map<string, LoadedModel>();
  private randomized = new Map<string, AnyTfModel>();
  /** By input array, then by model (and cascade step and seed): what the model says at that input. */
  private atInput = new WeakMap<Float32Array, Map<string, AtInput>>();

  add(id: string, lm: LoadedModel): void {
    this.models.get(id)?.model.dispose();
    this.models.set(id, lm);
    this.atInput = new WeakMap();
  }

  has(id: string): boolean {
    return this.models.has(id);
  }

  async compute(req: MapRequest): Promise<MapResult> {
    const lm = this.models.get(req.model);
    if (!lm) throw new Error(`no model "${req.model}" is loaded`);
    const { height, width, channels } = lm.manifest.input;
    const x = tf.tensor3d(req.x, [height, width, channels]);
    const netKey = req.step === undefined ? req.model : `${req.model}\u0000${req.step}\u0000${req.reinitSeed ?? 0}`;
    let known = this.atInput.get(req.x);
    if (!known) this.atInput.set(req.x, (known = new Map()));
    const seen = known.get(netKey);
    const explained = seen?.explained ?? manifestForImage(lm.model, lm.manifest, x);
    const net = req.step === undefined ? lm.model : this.randomizedModel(lm, req.model, req.step, req.reinitSeed ?? 0, netKey);
    const probe = createProbe(net, explained);
    try {
      let at = seen;
      if (!at) {
        const targetLogit = await targetAt(probe, x);
        const out = tf.tidy(() => (net.predict(x.expandDims(0)) as tf.Tensor).reshape([-1]));
        const probability = abnormalProbability(await out.data(), explained.output);
        out.dispose();
        at = { explained, targetLogit, probability };
        known.set(netKey, at);
      }
      const { targetLogit, probability } = at;
      const r = await runSaliency(probe, x, { method: req.method, preset: req.preset, params: req.params, seed: req.seed }, {}, { targetLogit });
      return {
        values: req.raw ? r.output.raw : r.output.map,
        shape: req.raw ? r.output.rawShape : [r.output.height, r.output.width],
        params: r.params,
        backend: r.backend,
        ms: r.ms,
        targetLogit,
        probability,
        ...(r.baselineLogits ? { baselineLogits: r.baselineLogits } : {}),
        ...completenessFields(r.output),
        explainedIndex: explained.output.index,
      };
    } finally {
      x.dispose();
      probe.dispose();
    }
  }

  /** The model randomized down to `step`, kept under `key` (compute's key of that network). */
  private randomizedModel(lm: LoadedModel, id: string, step: number, reinitSeed: number, key: string): AnyTfModel {
    let m = this.randomized.get(key);
    if (!m) {
      m = randomizedCopy(lm, step, reinitSeed, id);
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
  }
}
