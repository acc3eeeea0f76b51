import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HeatcheckError } from '../errors';
import { addIgAccuracyOptions, igAccuracyOptions, intOption, list, type IgAccuracyFlags } from '../options';
import { log, printJson } from '../output';
import { initNodeBackend } from '../nodeBackend';
import { loadModelDir } from '../modelDir';
import { manifestForImage } from '../../core/model/explainedClass';
import { parseClassOption } from './modelInfo';
import { readStudyFolder } from '../studyFolder';
import { writeNpy } from '../../core/io/npy';
import { modelInput } from '../../core/model/preprocess';
import type { IntensityRecord } from '../../core/study/intensity';
import { FailureLog, type Failure } from '../failures';
import { createProbe } from '../../core/model/createProbe';
import { getMethod, methodIds, unknownMethods, type PresetId } from '../../core/saliency/registry';
import { runSaliency, targetAt } from '../../core/saliency/run';
import { completenessFields } from '../../core/saliency/completeness';

/**
 * `heatcheck maps`: saliency maps for a study folder and model folders, headless on wasm.
 * Writes OUT/<case>/<model-id>/<method>.npy (float32; --raw: H x W x C before any reduction, else
 * the 2-D post-processed map) and OUT/index.json with one entry per map (and `failed`: the images
 * that could not be read, also in OUT/errors.csv).
 */
export interface MapsIndexEntry {
  case: string;
  model: string;
  method: string;
  preset: PresetId;
  parameters: Record<string, unknown>;
  seed: number;
  backend: string;
  ms: number;
  /** Target (abnormal logit) at the input. */
  targetLogit: number;
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
  /** The intensity transform from the file's values to [0, 1] before the model's own scale/offset (window, VOI LUT, min-max, bit depth). */
  intensity?: IntensityRecord;
}

export interface MapsOptions extends IgAccuracyFlags {
  study: string;
  models: string;
  methods?: string;
  out: string;
  raw?: boolean;
  igSteps?: string;
  samples?: string;
  seed?: string;
  cases?: string;
  shard?: string;
  preset?: string;
  /** --class: the class to explain (softmax or multi-unit outputs). */
  class?: string;
  strict?: boolean;
}


/** "--shard i/n": every n-th case starting at i (0 <= i < n). */
export function parseShard(raw: string | undefined): { i: number; n: number } {
  if (raw === undefined) return { i: 0, n: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(raw.trim());
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || i >= n) throw new HeatcheckError('USAGE_BAD_OPTION', `--shard takes i/n with 0 <= i < n (for example 0/4), found "${raw}".`);
  return { i, n };
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

export async function runMaps(o: MapsOptions): Promise<{ out: string; maps: number; cases: number; failed: number; models: string[]; methods: string[]; backend: string; preset: PresetId; shard: string; seconds: number }> {
  const t0 = Date.now();
  const methods = o.methods ? list(o.methods) : methodIds();
  if (!methods.length) throw new HeatcheckError('USAGE_BAD_OPTION', '--methods is empty; give ids such as gradcam,grad,ig,sg,sig,xrai');
  const missing = unknownMethods(methods);
  if (missing.length) {
    throw new HeatcheckError('BAD_INPUT_METHOD', `method${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not registered in this build; available: ${methodIds({ extras: true }).join(', ')}`, { missing });
  }
  const preset = (o.preset ?? 'paper') as PresetId;
  if (preset !== 'paper' && preset !== 'quick') throw new HeatcheckError('USAGE_BAD_OPTION', `--preset is "paper" or "quick", found "${o.preset}".`);
  const igSteps = intOption('ig-steps', o.igSteps, 1);
  const samples = intOption('samples', o.samples, 1);
  const igAccuracy = igAccuracyOptions(o);
  const seed = intOption('seed', o.seed, 0) ?? 0;
  const shard = parseShard(o.shard);
  const modelDirs = list(o.models);
  if (!modelDirs.length) throw new HeatcheckError('USAGE_BAD_OPTION', '--models needs at least one model folder');

  const study = readStudyFolder(o.study);
  let cases = study.cases;
  const wanted = list(o.cases);
  if (wanted.length) {
    const ids = new Set(cases.map((c) => c.id));
    const absent = wanted.filter((id) => !ids.has(id));
    if (absent.length) throw new HeatcheckError('NOT_FOUND_CASE', `case${absent.length > 1 ? 's' : ''} ${absent.join(', ')} not in ${path.join(o.study, 'cases.csv')}`);
    cases = cases.filter((c) => wanted.includes(c.id));
  }
  cases = cases.filter((_c, k) => k % shard.n === shard.i);

  const backend = await initNodeBackend('wasm');
  const models = [];
  for (const d of modelDirs) models.push(await loadModelDir(d, { classIndex: parseClassOption(o.class) }));
  const out = path.resolve(o.out);
  mkdirSync(out, { recursive: true });
  const entries: MapsIndexEntry[] = [];
  const failures = new FailureLog();
  let processed = 0;
  for (const c of cases) {
    const img = await failures.attempt(study.fileOf(c), () => study.loadImage(c));
    if (!img) continue;
    processed++;
    for (const lm of models) {
      const { height, width, channels } = lm.manifest.input;
      const input = modelInput(img, lm.manifest);
      const x = tf.tensor3d(input.x, [height, width, channels]);
      // A softmax model read without a class explains each image's predicted class.
      const explained = manifestForImage(lm.model, lm.manifest, x);
      const probe = createProbe(lm.model, explained);
      try {
        const targetLogit = await targetAt(probe, x);
        const dir = path.join(out, c.id, lm.manifest.id);
        mkdirSync(dir, { recursive: true });
        for (const method of methods) {
          const r = await runSaliency(probe, x, { method, preset, params: overridesFor(method, igSteps, samples, igAccuracy), seed }, {}, { targetLogit });
          const file = path.join(dir, `${method}.npy`);
          const shape = o.raw ? r.output.rawShape : [r.output.height, r.output.width];
          writeFileSync(file, writeNpy(o.raw ? r.output.raw : r.output.map, shape));
          entries.push({
            case: c.id,
            model: lm.manifest.id,
            method,
            preset,
            parameters: r.params,
            seed,
            backend: r.backend,
            ms: Math.round(r.ms * 10) / 10,
            targetLogit,
            ...(r.baselineLogits ? { baselineLogits: r.baselineLogits } : {}),
            ...completenessFields(r.output),
            file: path.relative(out, file),
            shape,
            raw: !!o.raw,
            modelHash: lm.weightsHash,
            ...(lm.manifest.output.explain === 'predicted' ? { predictedClass: explained.output.index } : {}),
            intensity: input.intensity,
          });
          log(`maps: ${c.id} ${lm.manifest.id} ${method} ${r.ms.toFixed(0)} ms${r.output.steps !== undefined ? `, ${r.output.steps} steps` : ''}`);
          for (const warning of r.output.warnings ?? []) log(`maps: warning: ${c.id} ${lm.manifest.id} ${method}: ${warning}`);
        }
      } finally {
        x.dispose();
        probe.dispose();
      }
    }
  }
  for (const lm of models) lm.model.dispose();
  // The index and errors.csv are written even when nothing could be processed: the folder says why.
  writeIndex(out, entries, failures.failures, cases.map((c) => study.fileOf(c)));
  failures.writeCsv(out);
  failures.finish(processed, !!o.strict);
  return { out: o.out, maps: entries.length, cases: processed, failed: failures.count, models: models.map((m) => m.manifest.id), methods, backend: backend.active, preset, shard: `${shard.i}/${shard.n}`, seconds: (Date.now() - t0) / 1000 };
}

/** Writes OUT/index.json, keeping entries of other shards already there (same case/model/method: replaced). */
export function writeIndex(out: string, entries: MapsIndexEntry[], failed: Failure[] = [], read: string[] = []): void {
  const file = path.join(out, 'index.json');
  const key = (e: MapsIndexEntry) => `${e.case}\u0000${e.model}\u0000${e.method}`;
  const mine = new Set(entries.map(key));
  let kept: MapsIndexEntry[] = [];
  let keptFailed: Failure[] = [];
  if (existsSync(file)) {
    try {
      const prev = JSON.parse(readFileSync(file, 'utf8')) as { maps?: MapsIndexEntry[]; failed?: Failure[] };
      kept = (prev.maps ?? []).filter((e) => !mine.has(key(e)));
      // Failures of other runs (shards) stay, unless this run read that file.
      const mineFiles = new Set([...failed.map((f) => f.file), ...read]);
      keptFailed = (prev.failed ?? []).filter((f) => !mineFiles.has(f.file));
    } catch {
      throw new HeatcheckError('BAD_INPUT_INDEX', `${file} exists but is not valid JSON; move it away and run again`);
    }
  }
  const tmp = `${file}.${process.pid}.tmp`;
  const allFailed = [...keptFailed, ...failed];
  writeFileSync(tmp, JSON.stringify({ maps: [...kept, ...entries], ...(allFailed.length ? { failed: allFailed } : {}) }, null, 1) + '\n');
  renameSync(tmp, file);
}

export function register(program: Command): void {
  const cmd = program
    .command('maps')
    .description('saliency maps for a study folder: OUT/<case>/<model-id>/<method>.npy and OUT/index.json')
    .requiredOption('--study <dir>', 'study folder (cases.csv, images/)')
    .requiredOption('--models <dirs>', 'model folders, comma-separated (model.json, shards, manifest.json)')
    .option('--methods <ids>', 'method ids, comma-separated (default: the six of the seed study, gradcam,grad,ig,sg,sig,xrai; extras on request: guided-ig, blur-ig, occlusion)')
    .requiredOption('--out <dir>', 'output folder (created)')
    .option('--raw', 'write the raw attribution H x W x C instead of the 2-D post-processed map')
    .option('--ig-steps <n>', 'starting interpolation steps of the IG family (ig, sig, xrai, guided-ig, blur-ig); they double until --ig-tolerance')
    .option('--samples <n>', 'noise samples of the SmoothGrad family (sg, sig)')
    .option('--seed <s>', 'seed of the noise (default 0)')
    .option('--class <index>', 'the class to explain (softmax or multi-unit outputs); default: the manifest\'s, else each image\'s predicted class')
    .option('--cases <ids>', 'only these case ids, comma-separated')
    .option('--shard <i/n>', 'every n-th case starting at i')
    .option('--preset <p>', 'paper (SPEC defaults) or quick (fewer steps and samples)', 'paper')
    .option('--strict', 'exit non-zero when any image could not be read (default: only when none could)');
  addIgAccuracyOptions(cmd)
    .action(async (o: MapsOptions) => {
      printJson(await runMaps(o));
    });
}
