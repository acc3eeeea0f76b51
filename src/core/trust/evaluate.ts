/**
 * The trust report as a batch (issue 5, `heatcheck evaluate`): given cases (image, label, readers'
 * boxes), loaded models, methods and a preset, it computes (or reads from a MapStore) the trained
 * maps, runs the cascading randomization, and calls the four criteria of src/core/metrics/criteria.
 *
 * Units and headline cells. Every criterion is first computed per UNIT: localization and
 * randomization per model, repeatability and reproducibility per model pair. The report's cell for
 * a (method, criterion) is then the same criterion over per-case values AVERAGED OVER ITS UNITS
 * (cases common to every unit), with the criterion's own test:
 *  - localization: per case, the mean over models of each metric (method and baselines; the edge
 *    baseline is per grid, identical when the models share an input size); paired t-test vs edge;
 *  - randomization: per case, the mean over models of the SSIM at the fully randomized step, tested
 *    against the mean of the models' thresholds;
 *  - repeatability / reproducibility: per case, the mean over pairs of SSIM (and Otsu IoU), t-test > 0.5.
 * `allUnitsPass` says whether every unit passed on its own (the stricter reading). The verdict
 * "trustworthy on all four" uses the cells.
 */
import * as tf from '@tensorflow/tfjs';
import type { BoxCoords, GrayImage } from '../study/types';
import type { LoadedModel } from '../model/load';
import { preprocessImage } from '../model/preprocess';
import { asLayersModel, createProbe, isGraphModel, isOnnxModel, type AnyTfModel } from '../model/createProbe';
import { onnxCascadeSteps, randomizeOnnx } from '../model/onnx/randomize';
import type { TfProbe } from '../model/probe';
import { abnormalProbability } from '../model/abnormal';
import { cascadeSteps, randomizeCascade } from '../model/randomization';
import { getMethod, isSeeded, methodIds, resolveParams, type PresetId } from '../saliency/registry';
import { runSaliency, targetAt, type SaliencyRun } from '../saliency/run';
import { rasterizeBoxes } from '../annotation/rasterise';
import { consensusMask } from '../annotation/consensus';
import { readerAgreementFromBoxes, pooledReaderAgreement, type ReaderAgreement, type PooledReaderAgreement } from '../annotation/agreement';
import { auroc } from '../metrics/auroc';
import { ssim } from '../metrics/ssim';
import {
  aggregateLocalization,
  averageMaskBaselines,
  caseSetExclusion,
  localizationCase,
  prepareCase,
  type CaseSet,
  type LocalizationMetrics,
  type LocalizationPerCase,
  type PreparedCase,
} from '../metrics/criteria/localization';
import { randomization, randomizationThreshold, type RandomizationStepInput } from '../metrics/criteria/randomization';
import { aggregateMapAgreement, mapAgreementCase, type MapAgreementCase } from '../metrics/criteria/repeatability';
import { verdict, DEFAULT_STATS, type CriterionId, type CriterionResult, type PerCaseValue, type TrustVerdict } from '../metrics/criteria/types';
import { noPairsReason, repeatabilityPairs, reproducibilityPairs, selectSteps, type ModelPair, type StepPlan } from './plan';
import { SEED_REFERENCE, seedPass } from './reference';

export interface TrustCaseInput {
  id: string;
  label: 0 | 1 | null;
  /** Decodes the image (called once per case). */
  loadImage(): GrayImage;
  /** Boxes of the readers who read this case (a reader read it when the case id is a key of their boxes). */
  readers: Record<string, BoxCoords[]>;
}

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

/** A cache of trained maps (the CLI's --maps folder). */
export interface MapStore {
  get(key: MapKey): { map: Float32Array; height: number; width: number } | null;
  put(key: MapKey, run: SaliencyRun): void;
  /** Called after each model's trained maps and each randomization step: a chance to persist what was put. */
  checkpoint?(): void;
}

/**
 * The key of a map from a randomized copy of a model: the model id gets `@cascade-<step>` and the
 * hash records the trained weights, the step and the re-initialisation seed.
 */
export function randomizedKey(key: MapKey, step: number, reinitSeed: number): MapKey {
  return { ...key, modelId: `${key.modelId}@cascade-${step}`, modelHash: `${key.modelHash}:cascade-${step}:seed-${reinitSeed}` };
}

export interface EvaluateTrustOptions {
  methods?: string[];
  preset?: PresetId;
  /** Seed of the maps' noise (SmoothGrad family). Default 0. */
  seed?: number;
  /** Consensus quorum among the readers who read the case. Default 2. */
  quorum?: number;
  caseSet?: CaseSet;
  /** Randomization: which cascade steps, how many cases (the first N of the study order), seed of the re-initialisation and of the threshold pairs. */
  randomization?: { steps?: StepPlan; cases?: number; seed?: number; thresholdPairs?: number };
  stats?: { resamples?: number; seed?: number; alpha?: number };
  /** SSIM data range (default 2). */
  dataRange?: number;
  store?: MapStore;
  onProgress?: (line: string) => void;
}

export interface TrustCell {
  criterion: CriterionId;
  method: string;
  value: number | null;
  ci: [number, number] | null;
  n: number;
  p: number | null;
  pass: boolean | null;
  /** Present when the criterion could not be computed. */
  reason?: string;
  /** How the cell is built from its units. */
  headline: string;
  parameters: Record<string, unknown>;
  perCase: PerCaseValue[];
  details: unknown;
  /** Per model (localization, randomization) or per model pair (repeatability, reproducibility). */
  units: Array<{ models: string[]; result: CriterionResult<unknown> | null; reason?: string; rule?: string }>;
  allUnitsPass: boolean | null;
}

export interface ModelInfo {
  id: string;
  name?: string;
  architecture: string;
  family: string;
  seed: number | null;
  input: { height: number; width: number; channels: number };
  weightsSha256: string;
  cascade: Array<{ step: number; block: string; layers: number }>;
}

export interface ClassifierResult {
  model: string;
  auroc: number | null;
  reason?: string;
  n: number;
  positives: number;
  negatives: number;
  target: string;
  perCase: Array<{ caseId: string; label: 0 | 1 | null; logit: number; probability: number }>;
}

export interface TrustReport {
  kind: 'heatcheck-trust-report';
  version: 1;
  created: string;
  preset: PresetId;
  backend: string;
  cases: Array<{ id: string; label: 0 | 1 | null; width: number; height: number; readers: string[]; localization: string | null }>;
  models: ModelInfo[];
  parameters: Record<string, unknown>;
  classifier: ClassifierResult[];
  readerAgreement: {
    rule: string;
    quorum: number;
    labels: Record<string, string>;
    pooled: PooledReaderAgreement | null;
    perCase: Array<{ caseId: string } & Omit<ReaderAgreement, 'pixelCounts'>>;
  };
  methods: string[];
  criteria: Record<string, Record<CriterionId, TrustCell>>;
  verdict: Record<string, TrustVerdict & { allUnitsPass: boolean }>;
  table: Array<{ method: string } & Record<CriterionId, string> & { trustworthy: boolean }>;
  reference: { seed: typeof SEED_REFERENCE; beside: Array<{ quantity: string; seed: unknown; ours: unknown }> };
  /** Seconds per phase (and per model for randomization). */
  timings: Record<string, number>;
  /** Maps computed and reused from the store (trained and randomized models). */
  counts: Record<string, number>;
}

const CRITERIA: CriterionId[] = ['localization', 'randomization', 'repeatability', 'reproducibility'];
const k3 = (...p: string[]) => p.join('\u0000');
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

interface CaseState {
  id: string;
  label: 0 | 1 | null;
  width: number;
  height: number;
  readers: string[];
  /** Reason the case has no consensus for localization (null: it has one). */
  noConsensus: string | null;
  preps: Map<string, PreparedCase>;
  inputs: Map<string, Float32Array>;
  logits: Map<string, number>;
  probabilities: Map<string, number>;
  agreement: ReaderAgreement | null;
}

function nullCell(criterion: CriterionId, method: string, reason: string, headline: string, units: TrustCell['units'] = []): TrustCell {
  return { criterion, method, value: null, ci: null, n: 0, p: null, pass: null, reason, headline, parameters: {}, perCase: [], details: null, units, allUnitsPass: null };
}

function fromResult(r: CriterionResult<unknown>, headline: string, units: TrustCell['units']): TrustCell {
  const ok = units.filter((u) => u.result);
  return {
    criterion: r.criterion,
    method: r.method,
    value: r.value,
    ci: r.ci,
    n: r.n,
    p: r.p,
    pass: r.pass,
    headline,
    parameters: r.params,
    perCase: r.perCase,
    details: r.details,
    units,
    allUnitsPass: ok.length === units.length && ok.length > 0 ? ok.every((u) => u.result!.pass) : false,
  };
}

function averageMetrics(ms: Array<LocalizationMetrics | null>): LocalizationMetrics | null {
  if (ms.some((m) => m === null) || ms.length === 0) return null;
  const keys: Array<keyof LocalizationMetrics> = ['auroc', 'auprc', 'iou', 'dice', 'hit'];
  const out = {} as LocalizationMetrics;
  for (const key of keys) out[key] = mean(ms.map((m) => m![key]));
  return out;
}

/** The map of one (case, model, method): from the store, or computed and put there. */
async function trainedMap(
  probe: TfProbe,
  x: tf.Tensor3D,
  key: MapKey,
  targetLogit: number,
  store: MapStore | undefined,
): Promise<{ map: Float32Array; reused: boolean; ms: number }> {
  const hit = store?.get(key);
  const [h, w] = probe.inputShape;
  if (hit && hit.height === h && hit.width === w) return { map: hit.map, reused: true, ms: 0 };
  const r = await runSaliency(probe, x, { method: key.method, preset: key.preset, params: key.parameters, seed: key.seed }, {}, { targetLogit });
  store?.put(key, r);
  return { map: r.output.map, reused: false, ms: r.ms };
}

export async function evaluateTrust(cases: readonly TrustCaseInput[], models: readonly LoadedModel[], opts: EvaluateTrustOptions = {}): Promise<TrustReport> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const counts: Record<string, number> = {};
  const lap = (name: string, since: number) => (timings[name] = Math.round(performance.now() - since) / 1000);
  const say = opts.onProgress ?? (() => {});
  const methods = opts.methods ?? methodIds();
  const preset = opts.preset ?? 'paper';
  const seed = opts.seed ?? 0;
  const quorum = opts.quorum ?? 2;
  const caseSet = opts.caseSet ?? 'all-abnormal';
  const stats = { ...DEFAULT_STATS, ...(opts.stats ?? {}) };
  const dataRange = opts.dataRange ?? 2;
  const rOpts = { steps: opts.randomization?.steps ?? 'all', cases: opts.randomization?.cases ?? cases.length, seed: opts.randomization?.seed ?? 0, thresholdPairs: opts.randomization?.thresholdPairs ?? 50 };
  for (const m of methods) getMethod(m);
  const backend = tf.getBackend();
  const params = new Map(methods.map((m) => [m, resolveParams(m, preset)] as const));
  const grids = new Map(models.map((lm) => [lm.manifest.id, `${lm.manifest.input.height}x${lm.manifest.input.width}`] as const));

  // 1. Cases: readers' masks and consensus at the original resolution, grid preparation, model inputs and logits.
  let t = performance.now();
  const states: CaseState[] = [];
  for (const [ci, c] of cases.entries()) {
    const img = c.loadImage();
    const readers = Object.keys(c.readers).sort();
    const masks: Record<string, Uint8Array> = {};
    for (const r of readers) masks[r] = rasterizeBoxes(c.readers[r], img.width, img.height);
    let noConsensus: string | null = null;
    if (c.label !== 1) noConsensus = c.label === 0 ? 'normal case' : 'no label';
    else if (readers.length < quorum) noConsensus = `read by ${readers.length} reader(s) (${readers.join(', ') || 'none'}); the quorum is ${quorum}`;
    const consensus = consensusMask(readers.map((r) => masks[r]), quorum, img.width * img.height);
    const s: CaseState = { id: c.id, label: c.label, width: img.width, height: img.height, readers, noConsensus, preps: new Map(), inputs: new Map(), logits: new Map(), probabilities: new Map(), agreement: null };
    if (c.label === 1 && readers.length >= 2) s.agreement = readerAgreementFromBoxes(c.readers, img.width, img.height, quorum);
    if (!noConsensus) {
      for (const g of new Set(grids.values())) {
        const [gh, gw] = g.split('x').map(Number);
        const prep = prepareCase({ caseId: c.id, label: 1, map: { data: [], height: gh, width: gw }, consensus: { data: consensus, height: img.height, width: img.width }, image: { data: img.data, height: img.height, width: img.width }, readers: masks }, { height: gh, width: gw }, quorum);
        s.preps.set(g, prep);
        if (prep.skipped) s.noConsensus = `consensus on the ${g} grid: ${prep.skipped}`;
      }
    }
    for (const lm of models) {
      const x = preprocessImage(img, lm.manifest);
      s.inputs.set(lm.manifest.id, x);
      const { height, width, channels } = lm.manifest.input;
      const probe = createProbe(lm.model, lm.manifest);
      const xt = tf.tensor3d(x, [height, width, channels]);
      try {
        const logit = await targetAt(probe, xt);
        const out = tf.tidy(() => (lm.model.predict(xt.expandDims(0)) as tf.Tensor).reshape([-1]));
        const row = await out.data();
        out.dispose();
        s.logits.set(lm.manifest.id, logit);
        s.probabilities.set(lm.manifest.id, abnormalProbability(row, lm.manifest.output));
      } finally {
        xt.dispose();
        probe.dispose();
      }
    }
    states.push(s);
    say(`evaluate: case ${ci + 1}/${cases.length} ${c.id} prepared`);
  }
  lap('prepareCases', t);

  // 2. Trained maps.
  t = performance.now();
  const maps = new Map<string, Float32Array>();
  let reused = 0;
  let computed = 0;
  for (const lm of models) {
    const id = lm.manifest.id;
    const { height, width, channels } = lm.manifest.input;
    const probe = createProbe(lm.model, lm.manifest);
    try {
      for (const [ci, s] of states.entries()) {
        const xt = tf.tensor3d(s.inputs.get(id)!, [height, width, channels]);
        try {
          for (const method of methods) {
            const key: MapKey = { caseId: s.id, modelId: id, modelHash: lm.weightsHash, method, preset, parameters: params.get(method)!, seed, seeded: isSeeded(getMethod(method)) };
            const r = await trainedMap(probe, xt, key, s.logits.get(id)!, opts.store);
            maps.set(k3(s.id, id, method), r.map);
            if (r.reused) reused++;
            else computed++;
            say(`evaluate: maps ${id} case ${ci + 1}/${states.length} ${method} ${r.reused ? 'reused' : `${r.ms.toFixed(0)} ms`}`);
          }
        } finally {
          xt.dispose();
        }
      }
    } finally {
      probe.dispose();
    }
    opts.store?.checkpoint?.();
  }
  lap('trainedMaps', t);
  counts.trainedMapsComputed = computed;
  counts.trainedMapsReused = reused;

  // 3. Cascading randomization per model.
  t = performance.now();
  const rCases = states.slice(0, Math.max(0, Math.min(rOpts.cases, states.length)));
  const cascades = new Map<string, ModelInfo['cascade']>();
  const randomized = new Map<string, Map<string, RandomizationStepInput[]>>(); // model -> method -> steps
  const randomizationPlan: Record<string, { total: number; visited: Array<{ step: number; block: string }> }> = {};
  let randomizedComputed = 0;
  let randomizedReused = 0;
  /** Models the cascade cannot randomize (GraphModels), with the reason. */
  const notRandomizable = new Map<string, string>();
  for (const lm of models) {
    const id = lm.manifest.id;
    if (isGraphModel(lm.model)) {
      notRandomizable.set(id, `model "${id}" is a TF.js GraphModel: cascading randomization re-initialises Keras layers, which a graph of ops does not have`);
      cascades.set(id, []);
      randomizationPlan[id] = { total: 0, visited: [] };
      randomized.set(id, new Map(methods.map((m) => [m, [] as RandomizationStepInput[]] as const)));
      continue;
    }
    // An imported ONNX graph: its Conv/Gemm nodes, re-initialised as PyTorch initialises them (onnx/randomize.ts).
    const onnx = isOnnxModel(lm.model) ? lm.model : null;
    const layersModel = onnx ? null : asLayersModel(lm.model, 'cascading randomization', id);
    const steps = onnx ? onnxCascadeSteps(onnx.graph) : cascadeSteps(layersModel!);
    cascades.set(id, steps.map((s) => ({ step: s.step, block: s.block, layers: s.layers.length })));
    const visit = selectSteps(steps.length, rOpts.steps);
    randomizationPlan[id] = { total: steps.length, visited: visit.map((i) => ({ step: i, block: steps[i].block })) };
    const byMethod = new Map(methods.map((m) => [m, [] as RandomizationStepInput[]] as const));
    randomized.set(id, byMethod);
    if (rCases.length < 2) continue;
    const { height, width, channels } = lm.manifest.input;
    const tm = performance.now();
    for (const [vi, si] of visit.entries()) {
      const label = si === steps.length - 1 ? `${si}:${steps[si].block} (fully randomized)` : `${si}:${steps[si].block}`;
      const per = new Map(methods.map((m) => [m, [] as Array<{ caseId: string; ssim: number }>] as const));
      // The randomized copy is built only when the store lacks one of this step's maps.
      let copy: AnyTfModel | null = null;
      let probe: TfProbe | null = null;
      try {
        for (const s of rCases) {
          for (const method of methods) {
            const key = randomizedKey({ caseId: s.id, modelId: id, modelHash: lm.weightsHash, method, preset, parameters: params.get(method)!, seed, seeded: isSeeded(getMethod(method)) }, si, rOpts.seed);
            let map = opts.store?.get(key);
            if (map && (map.height !== height || map.width !== width)) map = null;
            let rmap = map?.map;
            if (!rmap) {
              if (!probe) {
                copy = onnx ? randomizeOnnx(onnx, si, rOpts.seed) : randomizeCascade(layersModel!, si, rOpts.seed);
                probe = createProbe(copy, lm.manifest);
              }
              const xt = tf.tensor3d(s.inputs.get(id)!, [height, width, channels]);
              try {
                const r = await runSaliency(probe, xt, { method, preset, params: params.get(method)!, seed });
                opts.store?.put(key, r);
                rmap = r.output.map;
                randomizedComputed++;
              } finally {
                xt.dispose();
              }
            } else randomizedReused++;
            const trained = maps.get(k3(s.id, id, method))!;
            per.get(method)!.push({ caseId: s.id, ssim: ssim(trained, rmap, height, width, { dataRange }) });
          }
        }
      } finally {
        (probe as TfProbe | null)?.dispose();
        (copy as AnyTfModel | null)?.dispose();
      }
      opts.store?.checkpoint?.();
      for (const method of methods) byMethod.get(method)!.push({ step: label, perCase: per.get(method)! });
      say(`evaluate: randomization ${id} step ${vi + 1}/${visit.length} (${label}) on ${rCases.length} cases, ${((performance.now() - tm) / 1000).toFixed(1)} s`);
    }
    timings[`randomization:${id}`] = Math.round(performance.now() - tm) / 1000;
  }
  lap('randomization', t);
  counts.randomizedMapsComputed = randomizedComputed;
  counts.randomizedMapsReused = randomizedReused;

  // 4. Criteria.
  t = performance.now();
  const agreements = states.filter((s) => s.agreement).map((s) => s.agreement!);
  const pooled = agreements.length ? pooledReaderAgreement(agreements) : null;
  const infos = models.map((lm) => ({ id: lm.manifest.id, family: lm.manifest.family, seed: typeof lm.manifest.seed === 'number' ? lm.manifest.seed : undefined }));
  const repPairs = repeatabilityPairs(infos);
  const proPairs = reproducibilityPairs(infos);
  const avgByGrid = new Map<string, Map<string, LocalizationMetrics>>();
  for (const g of new Set(grids.values())) avgByGrid.set(g, averageMaskBaselines(states.flatMap((s) => (s.preps.get(g) && !s.noConsensus ? [s.preps.get(g)!] : []))));
  const statsOpts = { resamples: stats.resamples, seed: stats.seed, alpha: stats.alpha };
  const criteria: TrustReport['criteria'] = {};
  for (const method of methods) {
    const cells = {} as Record<CriterionId, TrustCell>;
    // Localization per model, then the headline over models.
    const locUnits: TrustCell['units'] = [];
    const perModel: LocalizationPerCase[][] = [];
    for (const lm of models) {
      const id = lm.manifest.id;
      const g = grids.get(id)!;
      const [gh, gw] = g.split('x').map(Number);
      const perCase: LocalizationPerCase[] = [];
      const skipped: Array<{ caseId: string; reason: string }> = [];
      for (const s of states) {
        const why = caseSetExclusion({ label: s.label, probability: s.probabilities.get(id) }, caseSet) ?? s.noConsensus;
        if (why) {
          skipped.push({ caseId: s.id, reason: why });
          continue;
        }
        const prep = s.preps.get(g)!;
        perCase.push(localizationCase({ data: maps.get(k3(s.id, id, method))!, height: gh, width: gw }, prep, avgByGrid.get(g)!.get(s.id) ?? null, 'auroc'));
      }
      perModel.push(perCase);
      if (perCase.length === 0) locUnits.push({ models: [id], result: null, reason: `no abnormal case with a consensus mask in the case set "${caseSet}"` });
      else locUnits.push({ models: [id], result: aggregateLocalization(method, perCase, skipped, { ...statsOpts, metric: 'auroc', caseSet, quorum, grid: { height: gh, width: gw } }) });
    }
    {
      const common = (perModel[0] ?? []).map((c) => c.caseId).filter((cid) => perModel.every((pc) => pc.some((c) => c.caseId === cid)));
      const headline = 'per case, the mean over models of each metric (method and baselines); mean over cases with bootstrap CI; paired one-sided t-test of the method vs the edge baseline';
      if (!models.length || common.length === 0) cells.localization = nullCell('localization', method, models.length ? 'no abnormal case with a consensus mask is common to every model' : 'no models', headline, locUnits);
      else {
        const per: LocalizationPerCase[] = common.map((cid) => {
          const rows = perModel.map((pc) => pc.find((c) => c.caseId === cid)!);
          const m = averageMetrics(rows.map((r) => r.method))!;
          return { caseId: cid, value: m.auroc, method: m, edge: averageMetrics(rows.map((r) => r.edge)), averageMask: averageMetrics(rows.map((r) => r.averageMask)), readers: averageMetrics(rows.map((r) => r.readers)) };
        });
        const skipped = states.filter((s) => !common.includes(s.id)).map((s) => ({ caseId: s.id, reason: s.noConsensus ?? (s.label !== 1 ? 'not an abnormal case' : 'excluded by the case set for at least one model') }));
        const r = aggregateLocalization(method, per, skipped, { ...statsOpts, metric: 'auroc', caseSet, quorum, grid: undefined });
        r.params.grid = [...new Set(grids.values())];
        r.params.models = models.map((m) => m.manifest.id);
        cells.localization = fromResult(r, headline, locUnits);
      }
    }
    // Randomization per model, then the headline.
    {
      const units: TrustCell['units'] = [];
      const lastPer: Array<Map<string, number>> = [];
      const thresholds: number[] = [];
      const withResult: string[] = [];
      for (const lm of models) {
        const id = lm.manifest.id;
        const steps = randomized.get(id)!.get(method)!;
        if (rCases.length < 2 || steps.length === 0) {
          units.push({ models: [id], result: null, reason: notRandomizable.get(id) ?? `needs at least 2 randomization cases; given ${rCases.length}` });
          continue;
        }
        const { height, width } = lm.manifest.input;
        const thr = randomizationThreshold(states.map((s) => ({ caseId: s.id, map: { data: maps.get(k3(s.id, id, method))!, height, width } })), { pairs: rOpts.thresholdPairs, seed: rOpts.seed, dataRange });
        const r = randomization(method, steps, thr, { ...statsOpts, dataRange });
        r.params.model = id;
        r.params.stepsVisited = randomizationPlan[id].visited;
        r.params.cascadeSteps = randomizationPlan[id].total;
        r.params.reinitSeed = rOpts.seed;
        units.push({ models: [id], result: r });
        lastPer.push(new Map(steps[steps.length - 1].perCase.map((c) => [c.caseId, c.ssim] as const)));
        thresholds.push(thr.threshold);
        withResult.push(id);
      }
      const headline = 'per case, the mean over models of the SSIM at the fully randomized step, tested against the mean of the models\' thresholds (one-sided t-test, less); models that cannot be randomized (GraphModels) are left out and named in units';
      // Every model that can be randomized must have a result; GraphModels are left out, with their reason.
      if (lastPer.length === 0 || lastPer.length < models.length - notRandomizable.size) cells.randomization = nullCell('randomization', method, units.find((u) => u.reason)?.reason ?? 'no models', headline, units);
      else {
        const perCase = rCases.map((s) => ({ caseId: s.id, ssim: mean(lastPer.map((m) => m.get(s.id)!)) }));
        const r = randomization(method, [{ step: 'fully randomized (mean over models)', perCase }], { threshold: mean(thresholds) }, { ...statsOpts, dataRange });
        r.params.thresholds = Object.fromEntries(withResult.map((id, i) => [id, thresholds[i]]));
        if (notRandomizable.size) r.params.leftOut = Object.fromEntries(notRandomizable);
        r.params.cases = rCases.map((s) => s.id);
        cells.randomization = fromResult(r, headline, units);
      }
    }
    // Repeatability and reproducibility per pair, then the headline.
    for (const [criterion, pairs] of [['repeatability', repPairs], ['reproducibility', proPairs]] as Array<['repeatability' | 'reproducibility', ModelPair[]]>) {
      const headline = 'per case, the mean over model pairs of SSIM (and Otsu IoU); one-sided t-test of SSIM > 0.5';
      if (pairs.length === 0) {
        cells[criterion] = nullCell(criterion, method, noPairsReason(criterion, infos), headline);
        continue;
      }
      const units: TrustCell['units'] = [];
      const perPair: MapAgreementCase[][] = [];
      for (const pr of pairs) {
        const ma = models.find((m) => m.manifest.id === pr.a)!.manifest.input;
        const mb = models.find((m) => m.manifest.id === pr.b)!.manifest.input;
        const per = states.map((s) => mapAgreementCase({ caseId: s.id, a: { data: maps.get(k3(s.id, pr.a, method))!, height: ma.height, width: ma.width }, b: { data: maps.get(k3(s.id, pr.b, method))!, height: mb.height, width: mb.width } }, dataRange));
        perPair.push(per);
        const r = aggregateMapAgreement(criterion, method, per, { ...statsOpts, dataRange, models: [pr.a, pr.b], readerAgreementIoU: pooled?.meanIoU });
        r.params.pairing = pr.rule;
        units.push({ models: [pr.a, pr.b], result: r, rule: pr.rule });
      }
      const per: MapAgreementCase[] = states.map((s, i) => {
        const sv = mean(perPair.map((pp) => pp[i].ssim));
        return { caseId: s.id, value: sv, ssim: sv, otsuIoU: mean(perPair.map((pp) => pp[i].otsuIoU)), grid: perPair[0][i].grid };
      });
      const r = aggregateMapAgreement(criterion, method, per, { ...statsOpts, dataRange, models: undefined, readerAgreementIoU: pooled?.meanIoU });
      r.params.pairs = pairs;
      cells[criterion] = fromResult(r, headline, units);
    }
    criteria[method] = cells;
  }
  lap('criteria', t);

  // 5. Verdicts, table, classifier, reference.
  const verdicts: TrustReport['verdict'] = {};
  for (const method of methods) {
    const done = CRITERIA.map((c) => criteria[method][c]).filter((c) => c.pass !== null);
    const v = verdict(method, done.map((c) => ({ criterion: c.criterion, method, pass: c.pass! }) as unknown as CriterionResult<unknown>));
    verdicts[method] = { ...v, allUnitsPass: CRITERIA.every((c) => criteria[method][c].allUnitsPass === true) };
  }
  const fmt = (c: TrustCell) => (c.value === null ? `n/a (${c.reason})` : `${c.pass ? 'pass' : 'fail'} ${c.value.toFixed(3)} [${c.ci![0].toFixed(3)}, ${c.ci![1].toFixed(3)}]`);
  const table = methods.map((m) => ({ method: m, ...(Object.fromEntries(CRITERIA.map((c) => [c, fmt(criteria[m][c])])) as Record<CriterionId, string>), trustworthy: verdicts[m].trustworthy }));

  const classifier: ClassifierResult[] = models.map((lm) => {
    const id = lm.manifest.id;
    const labelled = states.filter((s) => s.label !== null);
    const pos = labelled.filter((s) => s.label === 1).length;
    const base = {
      model: id,
      n: labelled.length,
      positives: pos,
      negatives: labelled.length - pos,
      target: `logit of output ${lm.manifest.output.index} (${lm.manifest.output.kind}); AUROC = Mann-Whitney U / (P N), ties 1/2`,
      perCase: states.map((s) => ({ caseId: s.id, label: s.label, logit: s.logits.get(id)!, probability: s.probabilities.get(id)! })),
    };
    if (pos === 0 || pos === labelled.length) return { ...base, auroc: null, reason: `needs normal and abnormal cases; found ${pos} abnormal of ${labelled.length} labelled` };
    return { ...base, auroc: auroc(labelled.map((s) => s.logits.get(id)!), labelled.map((s) => s.label!)) };
  });

  const cellValue = (m: string, c: CriterionId) => criteria[m]?.[c]?.value ?? null;
  const passing = (c: CriterionId) => methods.filter((m) => criteria[m][c].pass === true);
  const locDetails = (m: string) => criteria[m].localization.details as { means?: LocalizationMetrics; baselines?: { readers?: { means: LocalizationMetrics } | null } } | null;
  const beside = [
    { quantity: 'localization AUROC (headline, mean over models)', seed: SEED_REFERENCE.localizationAUROC, ours: Object.fromEntries(methods.map((m) => [m, cellValue(m, 'localization')])) },
    { quantity: 'pass randomization', seed: SEED_REFERENCE.passRandomization, ours: passing('randomization') },
    { quantity: 'pass repeatability', seed: SEED_REFERENCE.passRepeatability, ours: passing('repeatability') },
    { quantity: 'pass reproducibility', seed: SEED_REFERENCE.passReproducibility, ours: passing('reproducibility') },
    { quantity: 'trustworthy on all four', seed: SEED_REFERENCE.trustworthyOnAllFour, ours: methods.filter((m) => verdicts[m].trustworthy) },
    {
      quantity: 'localization AUPRC (journal); readers = each reader vs the others\' consensus',
      seed: SEED_REFERENCE.journalAUPRC,
      ours: { ...Object.fromEntries(methods.map((m) => [m, locDetails(m)?.means?.auprc ?? null])), readers: locDetails(methods[0])?.baselines?.readers?.means.auprc ?? null },
    },
    {
      quantity: 'repeatability Otsu IoU (journal); readers = reader vs a consensus including the reader (optimistic, as the journal)',
      seed: SEED_REFERENCE.journalRepeatabilityIoU,
      ours: { ...Object.fromEntries(methods.map((m) => [m, (criteria[m].repeatability.details as { meanOtsuIoU?: number } | null)?.meanOtsuIoU ?? null])), readers: pooled?.vsAllIncludingSelf.iou ?? null, readersVsOthers: pooled?.vsOthers.iou ?? null },
    },
    { quantity: 'seed pass per method', seed: Object.fromEntries(methods.map((m) => [m, seedPass(m)])), ours: Object.fromEntries(methods.map((m) => [m, verdicts[m].criteria])) },
  ];

  timings.total = Math.round(performance.now() - t0) / 1000;
  return {
    kind: 'heatcheck-trust-report',
    version: 1,
    created: new Date().toISOString(),
    preset,
    backend,
    cases: states.map((s) => ({ id: s.id, label: s.label, width: s.width, height: s.height, readers: s.readers, localization: s.noConsensus })),
    models: models.map((lm) => ({
      id: lm.manifest.id,
      ...(lm.manifest.name ? { name: lm.manifest.name } : {}),
      architecture: lm.manifest.architecture,
      family: lm.manifest.family,
      seed: typeof lm.manifest.seed === 'number' ? lm.manifest.seed : null,
      input: lm.manifest.input,
      weightsSha256: lm.weightsHash,
      cascade: cascades.get(lm.manifest.id)!,
    })),
    parameters: {
      methods: Object.fromEntries(methods.map((m) => [m, { label: getMethod(m).label, parameters: params.get(m), seeded: isSeeded(getMethod(m)), postprocess: getMethod(m).postprocess }])),
      mapSeed: seed,
      target: 'abnormal logit',
      quorum,
      consensus: `a pixel is positive when at least ${quorum} of the readers who read the case cover it; resampled to each model's input grid by nearest neighbour`,
      caseSet,
      localizationMetric: 'auroc',
      ssim: { window: 7, K1: 0.01, K2: 0.03, dataRange },
      bootstrap: { resamples: stats.resamples, seed: stats.seed, method: 'percentile', level: 0.95 },
      alpha: stats.alpha,
      randomization: {
        steps: rOpts.steps,
        cases: rCases.map((s) => s.id),
        reinitSeed: rOpts.seed,
        thresholdPairs: rOpts.thresholdPairs,
        thresholdCases: 'every evaluated case (trained maps)',
        plan: randomizationPlan,
        cascade: 'top-down (output to input), blocks from cascadeSteps; conv/dense: own initializer, seeded per layer; batch norm: gamma 1, beta 0, mean 0, variance 1; ONNX graphs: one step per Conv/ConvTranspose/Gemm node, PyTorch default init (kaiming uniform, a = sqrt(5)), seeded per node',
      },
      repeatabilityPairs: repPairs,
      reproducibilityPairs: proPairs,
      mapAgreementCases: 'every evaluated case',
      verdictRule: 'trustworthy when the cell of every criterion passes; allUnitsPass: every model / pair passes on its own as well',
    },
    classifier,
    readerAgreement: {
      rule: `abnormal cases read by at least 2 readers; per case, pairwise over the readers who read it; quorum ${quorum}`,
      quorum,
      labels: {
        meanIoU: 'mean pairwise IoU between readers',
        fleissKappa: 'Fleiss\' kappa at pixel level, per case (pooledFleissKappa: over all pixels of all cases pooled)',
        vsOthers: 'each reader vs the consensus of the OTHER readers (honest)',
        vsAllIncludingSelf: 'each reader vs a consensus that includes the reader (optimistic; the journal\'s 0.613 is of this kind)',
      },
      pooled,
      perCase: states.filter((s) => s.agreement).map((s) => {
        const { pixelCounts: _drop, ...rest } = s.agreement!;
        return { caseId: s.id, ...rest };
      }),
    },
    methods,
    criteria,
    verdict: verdicts,
    table,
    reference: { seed: SEED_REFERENCE, beside },
    timings,
    counts,
  };
}
