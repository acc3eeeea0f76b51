import type { Command } from 'commander';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { HeatcheckError } from '../errors';
import { addIgAccuracyOptions, igAccuracyOptions, intOption, list, type IgAccuracyFlags } from '../options';
import { log, printJson } from '../output';
import { FailureLog } from '../failures';
import { initNodeBackend } from '../nodeBackend';
import { describeModelDir } from '../modelDir';
import { FolderMapSource, type DescribedModel } from '../jobs/folderSource';
import { studyModel } from '../../core/trust/tfMapSource';
import { readStudyFolder } from '../studyFolder';
import { readNpy, writeNpy } from '../../core/io/npy';
import { methodIds, resolveParams, unknownMethods, type PresetId } from '../../core/saliency/catalog';
import type { SaliencyRun } from '../../core/saliency/run';
import type { BoxCoords, GrayImage } from '../../core/study/types';
import { caseImages, evaluateTrustWith, type MapKey, type MapStore, type TrustCaseInput } from '../../core/trust/evaluate';
import { balancedCases, type StepPlan } from '../../core/trust/plan';
import { overridesFor, runMaps, writeIndex, type MapsIndexEntry, type MapsSummary } from './maps';
import { buildPlan, parseSteps, readPlan, type MapPlan } from '../plan/plan';
import { completenessFields } from '../../core/saliency/completeness';

/**
 * `heatcheck evaluate`: the headless trust report. Reads a study folder and model
 * folders, computes the maps that --maps does not already hold (and writes them there, in the
 * `maps` command's layout), runs the cascading randomization and the four criteria, and writes
 * the report JSON to --out. stdout: a short summary; progress on stderr.
 */
export interface EvaluateOptions extends IgAccuracyFlags {
  study?: string;
  models?: string;
  out: string;
  /** --plan: run this plan's jobs into --maps (with --jobs), then score from the folder. */
  plan?: string;
  /** --jobs N|auto: compute the maps first with N worker threads (a plan built from the flags, or --plan). */
  jobs?: string;
  maps?: string;
  cases?: string;
  preset?: string;
  methods?: string;
  seed?: string;
  quorum?: string;
  caseSet?: string;
  randomizationSteps?: string;
  randomizationCases?: string;
  randomizationSeed?: string;
  resamples?: string;
  params?: string;
  strict?: boolean;
}


/** JSON with object keys sorted, for comparing parameters. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Does an index.json entry hold the map this key asks for? */
export function entryMatches(e: MapsIndexEntry, k: MapKey): boolean {
  return (
    e.case === k.caseId &&
    e.model === k.modelId &&
    e.method === k.method &&
    !e.raw &&
    e.modelHash === k.modelHash &&
    canonical(e.parameters) === canonical(k.parameters) &&
    (!k.seeded || e.seed === k.seed)
  );
}

/** The --maps folder as a MapStore: reads index.json once, writes new maps as .npy and index.json on flush. */
export function folderMapStore(dir: string): MapStore & { flush(): void; written: number } {
  // Randomized models' maps live beside the trained ones: OUT/<case>/<model-id>@cascade-<step>/<method>.npy.
  const out = path.resolve(dir);
  mkdirSync(out, { recursive: true });
  const file = path.join(out, 'index.json');
  let entries: MapsIndexEntry[] = [];
  if (existsSync(file)) {
    try {
      entries = (JSON.parse(readFileSync(file, 'utf8')) as { maps?: MapsIndexEntry[] }).maps ?? [];
    } catch {
      throw new HeatcheckError('BAD_INPUT_INDEX', `${file} exists but is not valid JSON; move it away and run again`);
    }
  }
  const fresh: MapsIndexEntry[] = [];
  const slot = (c: string, m: string, me: string) => `${c}\u0000${m}\u0000${me}`;
  // index.json holds one entry per case/model/method (a newer one replaces an older).
  const bySlot = new Map(entries.map((e) => [slot(e.case, e.model, e.method), e] as const));
  const store = {
    written: 0,
    get(k: MapKey) {
      const e = bySlot.get(slot(k.caseId, k.modelId, k.method));
      if (!e || !entryMatches(e, k) || e.shape.length !== 2) return null;
      const f = path.join(out, e.file);
      if (!existsSync(f)) return null;
      const a = readNpy(new Uint8Array(readFileSync(f)), f);
      if (a.shape.length !== 2) return null;
      return { map: Float32Array.from(a.data as ArrayLike<number>), height: a.shape[0], width: a.shape[1], ...(e.warnings?.length ? { warnings: e.warnings } : {}) };
    },
    put(k: MapKey, r: SaliencyRun) {
      const rel = path.join(k.caseId, k.modelId, `${k.method}.npy`);
      mkdirSync(path.join(out, k.caseId, k.modelId), { recursive: true });
      const shape = [r.output.height, r.output.width];
      writeFileSync(path.join(out, rel), writeNpy(r.output.map, shape));
      const e: MapsIndexEntry = {
        case: k.caseId,
        model: k.modelId,
        method: k.method,
        preset: k.preset,
        parameters: r.params,
        seed: k.seed,
        backend: r.backend,
        ms: Math.round(r.ms * 10) / 10,
        targetLogit: r.targetLogit,
        ...(r.baselineLogits ? { baselineLogits: r.baselineLogits } : {}),
        file: rel,
        shape,
        raw: false,
        modelHash: k.modelHash,
        ...completenessFields(r.output),
      };
      fresh.push(e);
      bySlot.set(slot(e.case, e.model, e.method), e);
      store.written++;
    },
    flush() {
      if (fresh.length) writeIndex(out, fresh.splice(0));
    },
    checkpoint() {
      store.flush();
    },
  };
  return store;
}

/** `--params`: per-method parameter overrides as JSON ({"ig": {"steps": 4}}), checked against the catalog. */
export function parseParams(raw: string | undefined, methods: string[], preset: PresetId): Record<string, Record<string, unknown>> | undefined {
  if (raw === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new HeatcheckError('USAGE_BAD_OPTION', `--params is not valid JSON (${(e as Error).message}); give an object of method ids to parameter objects, for example {"ig":{"steps":4}}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new HeatcheckError('USAGE_BAD_OPTION', '--params must be a JSON object of method ids to parameter objects, for example {"ig":{"steps":4}}');
  const out: Record<string, Record<string, unknown>> = {};
  for (const [m, p] of Object.entries(v as Record<string, unknown>)) {
    if (!methods.includes(m)) throw new HeatcheckError('USAGE_BAD_OPTION', `--params names method "${m}", which this run does not use (methods: ${methods.join(', ')})`);
    if (!p || typeof p !== 'object' || Array.isArray(p)) throw new HeatcheckError('USAGE_BAD_OPTION', `--params: the parameters of "${m}" must be an object`);
    try {
      resolveParams(m, preset, p as Record<string, unknown>);
    } catch (e) {
      throw new HeatcheckError((e as { code?: string }).code ?? 'USAGE_BAD_OPTION', (e as Error).message);
    }
    out[m] = p as Record<string, unknown>;
  }
  return out;
}

/** Flags that describe the work; with --plan the plan says it, and giving them too is a mistake worth naming. */
const PLAN_FLAGS: Array<[keyof EvaluateOptions, string]> = [['study', '--study'], ['models', '--models'], ['methods', '--methods'], ['preset', '--preset'], ['cases', '--cases'], ['seed', '--seed'], ['randomizationSteps', '--randomization-steps'], ['randomizationCases', '--randomization-cases'], ['randomizationSeed', '--randomization-seed'], ['params', '--params'], ['igRule', '--ig-rule'], ['igTolerance', '--ig-tolerance'], ['igMaxSteps', '--ig-max-steps']];

export async function runEvaluate(o: EvaluateOptions): Promise<Record<string, unknown>> {
  const t0 = Date.now();
  let plan: MapPlan | null = null;
  if (o.plan) {
    const extra = PLAN_FLAGS.filter(([k]) => o[k] !== undefined).map(([, f]) => f);
    if (extra.length) throw new HeatcheckError('USAGE_BAD_OPTION', `--plan ${o.plan} already says what to compute; leave out ${extra.join(', ')} (or make a new plan with heatcheck plan)`);
    if (!o.maps) throw new HeatcheckError('USAGE_BAD_OPTION', `--plan needs --maps DIR: the plan's maps are computed there (what DIR already holds is reused), then scored`);
    plan = readPlan(o.plan);
    if (plan.raw) throw new HeatcheckError('USAGE_BAD_OPTION', `${o.plan} plans raw attributions (--raw); the trust report scores post-processed maps: make a plan without --raw`);
  } else if (!o.study || !o.models) throw new HeatcheckError('USAGE_BAD_OPTION', 'evaluate needs --study and --models, or --plan plan.json with --maps DIR');
  if (o.jobs !== undefined && !o.maps) throw new HeatcheckError('USAGE_BAD_OPTION', '--jobs needs --maps DIR: the workers write the maps there, then the report is scored from it');
  const preset = (plan?.preset ?? o.preset ?? 'paper') as PresetId;
  if (preset !== 'paper' && preset !== 'quick') throw new HeatcheckError('USAGE_BAD_OPTION', `--preset is "paper" or "quick", found "${o.preset}".`);
  const methods = plan?.methods ?? (o.methods ? list(o.methods) : methodIds());
  const missing = unknownMethods(methods);
  if (missing.length) throw new HeatcheckError('BAD_INPUT_METHOD', `method${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not registered; available: ${methodIds({ extras: true }).join(', ')}`, { missing });
  const caseSetRaw = o.caseSet ?? 'all';
  if (caseSetRaw !== 'all' && caseSetRaw !== 'correct') throw new HeatcheckError('USAGE_BAD_OPTION', `--case-set is "all" (every abnormal case with a consensus) or "correct" (only those the model gets right at 0.5), found "${caseSetRaw}".`);
  const nCases = intOption('cases', o.cases, 1);
  const seed = plan?.seed ?? intOption('seed', o.seed, 0) ?? 0;
  const quorum = intOption('quorum', o.quorum, 1) ?? 2;
  const steps = plan?.randomization?.steps ?? parseSteps(o.randomizationSteps, preset);
  const rCases = plan?.randomization?.cases ?? intOption('randomization-cases', o.randomizationCases, 2);
  const rSeed = plan?.randomization?.seed ?? intOption('randomization-seed', o.randomizationSeed, 0) ?? 0;
  const resamples = intOption('resamples', o.resamples, 10) ?? 1000;
  let parameters: Record<string, Record<string, unknown>> | undefined;
  if (plan) {
    // The plan's resolved parameters, as overrides that resolve to themselves.
    for (const j of plan.jobs) (parameters ??= {})[j.method] ??= j.params;
  } else {
    // --ig-rule/--ig-tolerance/--ig-max-steps for every IG-family method, under any --params of its own.
    const ig = igAccuracyOptions(o);
    const fromParams = parseParams(o.params, methods, preset) ?? {};
    for (const m of methods) {
      const merged = { ...overridesFor(m, undefined, undefined, ig), ...(fromParams[m] ?? {}) };
      if (Object.keys(merged).length) (parameters ??= {})[m] = merged;
    }
  }
  const modelDirs = plan ? plan.models.map((m) => m.dir) : list(o.models);
  if (!modelDirs.length) throw new HeatcheckError('USAGE_BAD_OPTION', '--models needs at least one model folder');
  const studyDir = plan?.study ?? o.study!;

  const study = readStudyFolder(studyDir);
  const planCases = plan ? new Set(plan.jobs.map((j) => j.case)) : null;
  const chosen = planCases ? study.cases.filter((c) => planCases.has(c.id)) : nCases === undefined ? study.cases : balancedCases(study.cases, nCases);
  // With --jobs (or --plan) the maps are computed first by worker threads, as `maps --plan` computes them; the report is then scored from --maps.
  let mapsRun: MapsSummary | null = null;
  if (plan || o.jobs !== undefined) {
    plan ??= await buildPlan({ study: studyDir, models: modelDirs.join(','), preset, seed: String(seed), methods: methods.join(','), caseIds: chosen.map((c) => c.id), parameters, abnormalMapsOnly: true, randomization: true, randomizationSteps: o.randomizationSteps, randomizationCases: rCases === undefined ? undefined : String(rCases), randomizationSeed: String(rSeed) });
    mapsRun = await runMaps({ planned: plan, out: o.maps!, jobs: o.jobs, study: studyDir, models: modelDirs.join(',') });
  }
  // An image that cannot be decoded is a row of OUT-dir/errors.csv; the other cases go on.
  const failures = new FailureLog();
  const cases: TrustCaseInput[] = [];
  for (const c of chosen) {
    const img = await failures.attempt(study.fileOf(c), () => study.loadImage(c));
    if (!img) continue;
    const readers: Record<string, BoxCoords[]> = {};
    for (const [r, boxes] of Object.entries(study.readers)) if (Object.prototype.hasOwnProperty.call(boxes, c.id)) readers[r] = boxes[c.id];
    cases.push({ id: c.id, label: c.label === 0 || c.label === 1 ? c.label : null, loadImage: () => img, readers });
  }
  const errorsCsv = failures.writeCsv(path.dirname(path.resolve(o.out)));
  failures.finish(cases.length, !!o.strict);
  const described: DescribedModel[] = [];
  const classIndex = plan?.class;
  for (const d of modelDirs) described.push({ dir: path.resolve(d), ...(classIndex !== undefined ? { classIndex } : {}), ...(await describeModelDir(d, { classIndex })) });
  // AUROC and the trust criteria need one fixed "abnormal" class; a per-image predicted class is not one.
  const open = described.findIndex((m) => m.manifest.output.explain === 'predicted');
  if (open >= 0) {
    throw new HeatcheckError('USAGE_NEEDS_CLASS', `${modelDirs[open]}: the model has a ${described[open].manifest.output.kind} output with several classes and nothing says which one is "abnormal"; add a manifest.json with "output": {"kind": "${described[open].manifest.output.kind}", "index": N} (heatcheck model-info shows the classes)`);
  }
  const ids = described.map((m) => m.manifest.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new HeatcheckError('BAD_INPUT_MODELS', `two model folders have the manifest id "${dup}"; every model needs its own id`);
  const store = o.maps ? folderMapStore(o.maps) : undefined;
  // Maps, predictions and cascades come from --maps when it holds them; the models are built only for what it lacks.
  const source = new FolderMapSource(caseImages(cases), described, store, o.maps);
  let report;
  try {
    report = await evaluateTrustWith(cases, described.map(studyModel), source, {
      methods,
      preset,
      seed,
      quorum,
      caseSet: caseSetRaw === 'correct' ? 'correct-at-0.5' : 'all-abnormal',
      randomization: { steps, cases: rCases ?? (preset === 'quick' ? 6 : cases.length), seed: rSeed },
      stats: { resamples },
      parameters,
      onProgress: log,
    }, (study) => {
      if (!o.maps) return;
      const tasks = study.plan();
      const maps = tasks.filter((t) => t.kind === 'map');
      const preds = tasks.filter((t) => t.kind === 'predict');
      const lacking = {
        maps: maps.filter((t) => !source.holds(t, (m) => study.mapRequest(m))).length,
        of: maps.length,
        predictions: preds.filter((t) => !source.holds(t, (m) => study.mapRequest(m))).length,
        ofPredictions: preds.length,
      };
      if (!source.modelsBuilt && !lacking.maps && !lacking.predictions) log(`evaluate: ${o.maps} holds all ${lacking.of} maps and ${lacking.ofPredictions} predictions the report needs: running no model`);
      else log(`evaluate: ${o.maps} lacks ${lacking.maps} of ${lacking.of} maps and ${lacking.predictions} of ${lacking.ofPredictions} predictions${source.modelsBuilt ? ' (and a model\'s cascade)' : ''}: computing them on wasm`);
    });
  } finally {
    // The source is disposed (and flushed) by evaluateTrustWith.
    store?.flush();
  }
  if (o.maps && !source.modelsBuilt) log(`evaluate: ran no model: every map and prediction came from ${o.maps}`);
  const backend = source.modelsBuilt ? await initNodeBackend('wasm') : null;
  const full = {
    ...report,
    failures: { count: failures.count, file: errorsCsv, cases: failures.failures },
    study: { dir: path.resolve(studyDir), layout: study.layout, casesInFolder: study.cases.length, casesUsed: cases.length, selection: nCases === undefined ? 'all' : `${nCases} balanced by label (abnormal and normal alternately, each in folder order)`, readers: Object.keys(study.readers).sort() },
    maps: o.maps ? { dir: path.resolve(o.maps), reused: report.counts.mapsCached, computed: report.counts.mapsComputed, modelsRun: source.modelsBuilt, ...(mapsRun ? { plan: { jobs: mapsRun.planned, computed: mapsRun.computed, reused: mapsRun.reused, workers: mapsRun.jobs, seconds: mapsRun.seconds } } : {}) } : null,
    models: report.models.map((m, i) => ({ ...m, dir: path.resolve(modelDirs[i]) })),
    backendDetail: backend,
    command: { preset, cases: nCases ?? null, methods, seed, quorum, caseSet: caseSetRaw, randomizationSteps: o.randomizationSteps ?? null, randomizationCases: rCases ?? null, randomizationSeed: rSeed, resamples },
    wallSeconds: (Date.now() - t0) / 1000,
  };
  const outFile = path.resolve(o.out);
  mkdirSync(path.dirname(outFile), { recursive: true });
  const tmp = `${outFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(full, null, 1) + '\n');
  renameSync(tmp, outFile);
  return {
    out: o.out,
    cases: cases.length,
    failed: failures.count,
    models: ids,
    preset,
    backend: report.backend,
    modelsRun: source.modelsBuilt,
    ...(o.maps ? { mapsReused: report.counts.mapsCached, mapsComputed: report.counts.mapsComputed } : {}),
    ...(mapsRun ? { planJobs: mapsRun.planned, planComputed: mapsRun.computed, planReused: mapsRun.reused, workers: mapsRun.jobs } : {}),
    table: Object.fromEntries(report.table.map((row) => [row.method, { ...row.cells, verdict: row.verdict }])),
    seconds: full.wallSeconds,
  };
}

export function register(program: Command): void {
  const cmd = program
    .command('evaluate')
    .description('the trust report: four criteria per method, verdicts, reader agreement, classifier AUROC; writes --out (JSON)')
    .option('--study <dir>', 'study folder (cases.csv, images/, readers/); required unless --plan')
    .option('--models <dirs>', 'model folders, comma-separated (model.json, shards, manifest.json); required unless --plan')
    .option('--plan <file>', 'a plan from heatcheck plan: its jobs (trained and randomized models) are computed into --maps (what is there is reused), then scored')
    .option('--jobs <n>', 'compute the maps first with N worker threads (a number or auto), into --maps, from --plan or a plan built from the flags')
    .requiredOption('--out <file>', 'report file (JSON)')
    .option('--maps <dir>', 'map folder (the maps command\'s layout): reuse matching maps, write new ones there')
    .option('--cases <n>', 'only N cases, balanced by label (abnormal and normal alternately, each class in folder order)')
    .option('--preset <p>', 'paper (SPEC defaults, every cascade step) or quick (fewer steps and samples, 3 cascade steps, 6 randomization cases); default paper')
    .option('--methods <ids>', 'method ids, comma-separated (default: the six of the seed study, gradcam,grad,ig,sg,sig,xrai; extras on request: guided-ig, blur-ig, occlusion)')
    .option('--seed <s>', 'seed of the maps\' noise (default 0)')
    .option('--quorum <q>', 'consensus quorum among the readers who read a case (default 2)')
    .option('--case-set <s>', 'localization cases: all (abnormal with a consensus) or correct (also classified right at 0.5)', 'all')
    .option('--randomization-steps <n>', 'cascade steps to visit: all, or N evenly spaced ending at the fully randomized model')
    .option('--randomization-cases <n>', 'randomize on the first N cases (default: quick 6, paper all)')
    .option('--randomization-seed <s>', 'seed of the re-initialisation and of the threshold pairs (default 0)')
    .option('--resamples <n>', 'bootstrap resamples (default 1000)')
    .option('--params <json>', 'parameter overrides per method on top of the preset, JSON: {"ig":{"steps":4}}')
    .option('--strict', 'exit non-zero when any image could not be read (default: only when none could)');
  addIgAccuracyOptions(cmd)
    .action(async (o: EvaluateOptions) => {
      printJson(await runEvaluate(o));
    });
}
