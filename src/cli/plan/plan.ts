import { existsSync, readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { HeatcheckError } from '../errors';
import { igAccuracyOptions, intOption, list, type IgAccuracyFlags } from '../options';
import { loadModelDir } from '../modelDir';
import { parseClassOption } from '../commands/modelInfo';
import { readStudyFolder } from '../studyFolder';
import { initNodeBackend } from '../nodeBackend';
import { getMethod, methodIds, resolveParams, unknownMethods, type PresetId } from '../../core/saliency/registry';
import { methodCost } from './cost';
import { modelCascade } from '../../core/trust/tfMapSource';
import { selectSteps, type StepPlan } from '../../core/trust/plan';

/**
 * A study's map work as data: one job per case x model x method x seed, each with its estimated
 * cost and its key (the map's path in the output folder, the layout `heatcheck maps` has always
 * written: <case>/<model-id>/<method>.npy, with its index entry beside it as <method>.json).
 * `heatcheck plan` writes it; `maps --plan` runs it, whole, in cost-balanced shards, or in parallel.
 */
export interface MapJob {
  /** Output path of the map relative to the output folder (POSIX separators). */
  key: string;
  case: string;
  model: string;
  method: string;
  seed: number;
  /** The method's resolved parameters (preset, then --ig-steps / --samples / --ig-rule / --ig-tolerance / --ig-max-steps). */
  params: Record<string, unknown>;
  /** Estimated cost in model passes (forward + backward). */
  cost: number;
  /**
   * Cascading randomization: the model randomized down to this cascade step (re-initialised with
   * reinitSeed); absent for the trained model. Its map is keyed under <model-id>@cascade-<step>.
   */
  step?: number;
  reinitSeed?: number;
}

export interface PlanModel {
  id: string;
  /** Absolute path of the model folder. */
  dir: string;
  /** SHA-256 of the weights: a map made with other weights is not reused. */
  hash: string;
  /** Cascading randomization's steps (output to input), or why the model has none. */
  cascade?: Array<{ step: number; block: string }> | { unavailable: string };
}

/** What the plan randomizes: as `evaluate` does, the first `cases` abnormal cases at the chosen steps. */
export interface PlanRandomization {
  steps: StepPlan;
  /** How many abnormal cases (the first, in study order). */
  cases: number;
  seed: number;
  /** The cases chosen. */
  caseIds: string[];
}

export interface MapPlan {
  format: 'heatcheck-map-plan';
  version: 1;
  study: string;
  models: PlanModel[];
  preset: PresetId;
  methods: string[];
  seed: number;
  raw: boolean;
  /** --class: the class explained (softmax or multi-unit outputs). */
  class?: number;
  costUnit: 'model passes (forward + backward)';
  totalCost: number;
  /** Cascading randomization's jobs, when the plan has them. */
  randomization?: PlanRandomization;
  jobs: MapJob[];
}

export interface PlanOptions extends IgAccuracyFlags {
  study: string;
  models: string;
  methods?: string;
  preset?: string;
  cases?: string;
  seed?: string;
  raw?: boolean;
  igSteps?: string;
  samples?: string;
  class?: string;
  /** Also plan cascading randomization's maps (`heatcheck plan` does unless --no-randomization). */
  randomization?: boolean;
  randomizationSteps?: string;
  randomizationCases?: string;
  randomizationSeed?: string;
  /** Programmatic (evaluate): these cases, in this order, instead of --cases. */
  caseIds?: string[];
  /** Programmatic (evaluate --params): parameter overrides per method, over the flags'. */
  parameters?: Record<string, Record<string, unknown>>;
  /** Programmatic (evaluate): trained maps of abnormal cases only (normal cases enter no criterion). */
  abnormalMapsOnly?: boolean;
}

export const PLAN_FORMAT = 'heatcheck-map-plan';

/** The key of a map: <case>/<model>/<method>.npy. */
export const jobKey = (caseId: string, model: string, method: string): string => `${caseId}/${model}/${method}.npy`;

/** The model id a job's map is stored under: the model's, or <model>@cascade-<step> for a randomized copy (evaluate's layout). */
export const jobModelId = (job: Pick<MapJob, 'model' | 'step'>): string => (job.step === undefined ? job.model : `${job.model}@cascade-${job.step}`);

/** The weights hash a job's map records: the model's, or the randomized copy's (trained hash, step, re-initialisation seed). */
export const jobModelHash = (hash: string, job: Pick<MapJob, 'step' | 'reinitSeed'>): string => (job.step === undefined ? hash : `${hash}:cascade-${job.step}:seed-${job.reinitSeed ?? 0}`);

/** `--randomization-steps`: all, or N evenly spaced steps ending at the fully randomized model (default: paper all, quick 3). */
export function parseSteps(raw: string | undefined, preset: PresetId): StepPlan {
  if (raw === undefined) return preset === 'quick' ? { count: 3 } : 'all';
  if (raw === 'all') return 'all';
  return { count: intOption('randomization-steps', raw, 1)! };
}

/**
 * The parameter overrides --ig-steps, --samples and the IG accuracy flags (igAccuracyOptions:
 * rule, tolerance, maxSteps) make for one method (only the keys it has).
 */
export function overridesFor(method: string, igSteps?: number, samples?: number, ig: { rule?: string; tolerance?: number; maxSteps?: number } = {}): Record<string, unknown> {
  const d = getMethod(method).defaults;
  const o: Record<string, unknown> = {};
  if (igSteps !== undefined && 'steps' in d) o.steps = igSteps;
  if (samples !== undefined && 'samples' in d) o.samples = samples;
  for (const k of ['rule', 'tolerance', 'maxSteps'] as const) if (ig[k] !== undefined && k in d) o[k] = ig[k];
  return o;
}

/** Checks the method list: non-empty, every id registered. */
export function checkMethods(methods: string[]): void {
  if (!methods.length) throw new HeatcheckError('USAGE_BAD_OPTION', '--methods is empty; give ids such as gradcam,grad,ig,sg,sig,xrai');
  const missing = unknownMethods(methods);
  if (missing.length) {
    throw new HeatcheckError('BAD_INPUT_METHOD', `method${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not registered in this build; available: ${methodIds({ extras: true }).join(', ')}`, { missing });
  }
}

/**
 * Builds the plan of a study: reads cases.csv (not the images) and each model folder (built once
 * on wasm for its id and weights hash, then released). Jobs are in case, model, method order.
 */
export async function buildPlan(o: PlanOptions): Promise<MapPlan> {
  const methods = o.methods ? list(o.methods) : methodIds();
  checkMethods(methods);
  const preset = (o.preset ?? 'paper') as PresetId;
  if (preset !== 'paper' && preset !== 'quick') throw new HeatcheckError('USAGE_BAD_OPTION', `--preset is "paper" or "quick", found "${o.preset}".`);
  const igSteps = intOption('ig-steps', o.igSteps, 1);
  const samples = intOption('samples', o.samples, 1);
  const igAccuracy = igAccuracyOptions(o);
  const seed = intOption('seed', o.seed, 0) ?? 0;
  const classIndex = parseClassOption(o.class);
  const modelDirs = list(o.models);
  if (!modelDirs.length) throw new HeatcheckError('USAGE_BAD_OPTION', '--models needs at least one model folder');
  const study = readStudyFolder(o.study);
  let cases = study.cases;
  const wanted = o.caseIds ?? list(o.cases);
  if (wanted.length) {
    const ids = new Set(cases.map((c) => c.id));
    const absent = wanted.filter((id) => !ids.has(id));
    if (absent.length) throw new HeatcheckError('NOT_FOUND_CASE', `case${absent.length > 1 ? 's' : ''} ${absent.join(', ')} not in ${path.join(o.study, 'cases.csv')}`);
    cases = cases.filter((c) => wanted.includes(c.id));
  }
  const randomize = !!o.randomization;
  const steps = parseSteps(o.randomizationSteps, preset);
  const rCases = intOption('randomization-cases', o.randomizationCases, 2);
  const reinitSeed = intOption('randomization-seed', o.randomizationSeed, 0) ?? 0;
  await initNodeBackend('wasm');
  const models: PlanModel[] = [];
  for (const d of modelDirs) {
    const lm = await loadModelDir(d, { classIndex });
    models.push({ id: lm.manifest.id, dir: path.resolve(d), hash: lm.weightsHash, ...(randomize ? { cascade: modelCascade(lm) } : {}) });
    lm.model.dispose();
  }
  const ids = models.map((m) => m.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new HeatcheckError('BAD_INPUT_MODELS', `two model folders have the manifest id "${dup}"; every model needs its own id (maps are stored under it)`);
  const params = Object.fromEntries(methods.map((m) => [m, resolveParams(m, preset, { ...overridesFor(m, igSteps, samples, igAccuracy), ...(o.parameters?.[m] ?? {}) })]));
  const jobs: MapJob[] = [];
  for (const c of o.abnormalMapsOnly ? cases.filter((k) => k.label === 1) : cases) {
    for (const m of models) {
      for (const method of methods) {
        jobs.push({ key: jobKey(c.id, m.id, method), case: c.id, model: m.id, method, seed, params: params[method], cost: methodCost(method, params[method]) });
      }
    }
  }
  // Cascading randomization as evaluate runs it: the first N abnormal cases (quick 6, paper all), at the chosen steps of each model's cascade.
  let randomization: PlanRandomization | undefined;
  if (randomize) {
    const n = rCases ?? (preset === 'quick' ? 6 : cases.length);
    const caseIds = cases.filter((c) => c.label === 1).slice(0, n).map((c) => c.id);
    randomization = { steps, cases: n, seed: reinitSeed, caseIds };
    for (const m of models) {
      if (!Array.isArray(m.cascade)) continue;
      const cascade = m.cascade;
      for (const i of selectSteps(cascade.length, steps)) {
        const step = cascade[i].step;
        for (const c of caseIds) {
          for (const method of methods) {
            jobs.push({ key: jobKey(c, jobModelId({ model: m.id, step }), method), case: c, model: m.id, method, seed, params: params[method], cost: methodCost(method, params[method]), step, reinitSeed });
          }
        }
      }
    }
  }
  return {
    format: PLAN_FORMAT,
    version: 1,
    study: path.resolve(o.study),
    models,
    preset,
    methods,
    seed,
    raw: !!o.raw,
    ...(classIndex !== undefined ? { class: classIndex } : {}),
    costUnit: 'model passes (forward + backward)',
    totalCost: jobs.reduce((s, j) => s + j.cost, 0),
    ...(randomization ? { randomization } : {}),
    jobs,
  };
}

/** Writes a plan atomically (temporary file, then rename). */
export function writePlan(file: string, plan: MapPlan): void {
  const abs = path.resolve(file);
  mkdirSync(path.dirname(abs), { recursive: true });
  const tmp = `${abs}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(plan, null, 1) + '\n');
  renameSync(tmp, abs);
}

/** Reads and checks a plan file. */
export function readPlan(file: string): MapPlan {
  if (!existsSync(file)) throw new HeatcheckError('NOT_FOUND_FILE', `${file}: no such plan file (heatcheck plan --out writes one)`, { file });
  let p: MapPlan;
  try {
    p = JSON.parse(readFileSync(file, 'utf8')) as MapPlan;
  } catch (e) {
    throw new HeatcheckError('BAD_INPUT_PLAN', `${file} is not valid JSON (${e instanceof Error ? e.message : String(e)})`, { file });
  }
  if (!p || p.format !== PLAN_FORMAT || p.version !== 1 || !Array.isArray(p.jobs) || !Array.isArray(p.models)) {
    throw new HeatcheckError('BAD_INPUT_PLAN', `${file} is not a heatcheck map plan (format "${PLAN_FORMAT}", version 1); heatcheck plan writes one`, { file });
  }
  checkMethods(p.methods);
  const keys = new Set<string>();
  for (const j of p.jobs) {
    if (keys.has(j.key)) throw new HeatcheckError('BAD_INPUT_PLAN', `${file}: job ${j.key} is listed twice`, { file });
    keys.add(j.key);
  }
  return p;
}

/** "--shard i/n" (0 <= i < n). */
export function parseShard(raw: string | undefined): { i: number; n: number } {
  if (raw === undefined) return { i: 0, n: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(raw.trim());
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || i >= n) throw new HeatcheckError('USAGE_BAD_OPTION', `--shard takes i/n with 0 <= i < n (for example 0/4), found "${raw}".`);
  return { i, n };
}

/**
 * Splits jobs into n parts of nearly equal estimated cost: jobs by cost, largest first (ties by
 * key), each to the part with the least cost so far (ties: the lowest index). Deterministic, so
 * every array task computes the same split. Each part keeps the plan's job order.
 */
export function shardJobs<J extends Pick<MapJob, 'key' | 'cost'>>(jobs: J[], n: number): J[][] {
  const order = jobs.map((j, k) => ({ j, k })).sort((a, b) => b.j.cost - a.j.cost || (a.j.key < b.j.key ? -1 : a.j.key > b.j.key ? 1 : 0));
  const load = new Array<number>(n).fill(0);
  const part = new Array<number>(jobs.length);
  for (const { j, k } of order) {
    let best = 0;
    for (let s = 1; s < n; s++) if (load[s] < load[best]) best = s;
    load[best] += j.cost;
    part[k] = best;
  }
  const parts: J[][] = Array.from({ length: n }, () => []);
  jobs.forEach((j, k) => parts[part[k]].push(j));
  return parts;
}
