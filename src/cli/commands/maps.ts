import type { Command } from 'commander';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HeatcheckError } from '../errors';
import { log, printJson } from '../output';
import { addIgAccuracyOptions } from '../options';
import { readStudyFolder } from '../studyFolder';
import { FailureLog, type Failure } from '../failures';
import type { PresetId } from '../../core/saliency/registry';
import { buildPlan, overridesFor, parseShard, readPlan, shardJobs, writePlan, type MapJob, type MapPlan, type PlanOptions } from '../plan/plan';
import { doneEntry, type MapsIndexEntry } from '../jobs/compute';
import { parseJobs, runJobs, type WorkerTimes } from '../jobs/pool';
import { InProcessEngine, type MapEngine } from '../jobs/compute';
import { BrowserEngine, isBrowserBackend } from '../jobs/browserEngine';

const MAP_BACKENDS = ['wasm', 'cpu', 'webgl', 'webgpu'];

/**
 * The engine of --backend: none for wasm (the pool's own, in this thread or --jobs threads); cpu in
 * this thread; webgl and webgpu in one headless Chromium page. All but wasm run one job at a time.
 */
function engineFor(backend: string): (() => Promise<MapEngine>) | undefined {
  if (!MAP_BACKENDS.includes(backend)) throw new HeatcheckError('USAGE_BAD_OPTION', `--backend takes one of ${MAP_BACKENDS.join(', ')}, found "${backend}"`);
  if (backend === 'cpu') return async () => new InProcessEngine('cpu');
  if (isBrowserBackend(backend)) return () => BrowserEngine.start(backend);
  return undefined;
}

/**
 * `heatcheck maps`: saliency maps for a study folder and model folders, headless on wasm (or WebGL, WebGPU).
 * Writes OUT/<case>/<model-id>/<method>.npy (float32; --raw: H x W x C before any reduction, else
 * the 2-D post-processed map), beside each its index entry <method>.json, and OUT/index.json with
 * one entry per map (and `failed`: the images that could not be read, also in OUT/errors.csv).
 * The work is a plan (src/cli/plan): --plan runs a saved one, else one is built from the flags.
 * A map whose entry is already in OUT for the same weights, parameters and seed is reused, so a
 * rerun computes only what is missing; each map is written atomically, so a killed run loses at
 * most the maps in flight. --shard i/n: the i-th of n cost-balanced parts; --jobs N: N threads;
 * --backend webgl|webgpu: the same computation in headless Chromium (src/cli/jobs/browserEngine.ts).
 */
export type { MapsIndexEntry };
export { overridesFor, parseShard };

export interface MapsOptions extends PlanOptions {
  out: string;
  /** --plan: a plan file from `heatcheck plan` (then --study, --models, --methods... come from it). */
  plan?: string;
  shard?: string;
  /** --jobs N|auto: worker threads, each on its own wasm backend. */
  jobs?: string;
  /** --backend wasm|cpu|webgl|webgpu: wasm (default) and cpu in Node; webgl and webgpu in headless Chromium. */
  backend?: string;
  strict?: boolean;
  /** A plan already in hand (evaluate's), instead of --plan or flags. */
  planned?: MapPlan;
}

export interface MapsSummary {
  out: string;
  maps: number;
  computed: number;
  reused: number;
  cases: number;
  failed: number;
  models: string[];
  methods: string[];
  backend: string;
  preset: PresetId;
  shard: string;
  jobs: number;
  planned: number;
  estimatedCost: number;
  seconds: number;
  /** Where each worker's time went (start-up until ready; its jobs; the saliency methods within them). */
  workers: Array<{ worker: number; readySeconds: number; jobs: number; busySeconds: number; saliencySeconds: number }>;
}

/** Flags that describe the work; with --plan the plan file does, and giving them too is a mistake worth naming. */
const PLAN_FLAGS: Array<[keyof PlanOptions, string]> = [['methods', '--methods'], ['preset', '--preset'], ['cases', '--cases'], ['seed', '--seed'], ['raw', '--raw'], ['igSteps', '--ig-steps'], ['samples', '--samples'], ['class', '--class'], ['igRule', '--ig-rule'], ['igTolerance', '--ig-tolerance'], ['igMaxSteps', '--ig-max-steps']];

export async function runMaps(o: MapsOptions): Promise<MapsSummary> {
  const t0 = Date.now();
  let plan: MapPlan;
  if (o.planned) plan = o.planned;
  else if (o.plan) {
    const extra = PLAN_FLAGS.filter(([k]) => o[k] !== undefined).map(([, f]) => f);
    if (extra.length) throw new HeatcheckError('USAGE_BAD_OPTION', `--plan ${o.plan} already says what to compute; leave out ${extra.join(', ')} (or make a new plan with heatcheck plan)`);
    plan = readPlan(o.plan);
  } else {
    if (!o.study || !o.models) throw new HeatcheckError('USAGE_BAD_OPTION', 'maps needs --study and --models, or --plan plan.json');
    plan = await buildPlan(o);
  }
  const shard = parseShard(o.shard);
  const backend = o.backend ?? 'wasm';
  const startEngine = engineFor(backend);
  let workers = parseJobs(o.jobs);
  if (startEngine && workers > 1) {
    log(`maps: --backend ${backend} runs one job at a time (${isBrowserBackend(backend) ? 'one Chromium page' : 'this thread'}); --jobs ${o.jobs} is ignored`);
    workers = 1;
  }
  const jobs = shard.n > 1 ? shardJobs(plan.jobs, shard.n)[shard.i] : plan.jobs;
  const out = path.resolve(o.out);
  mkdirSync(out, { recursive: true });
  // The full plan beside the maps: `heatcheck merge` checks shard folders against it.
  writePlan(path.join(out, 'plan.json'), plan);

  const entries = new Map<string, MapsIndexEntry>();
  const todo: MapJob[] = [];
  for (const j of jobs) {
    const e = doneEntry(out, plan, j);
    if (e) entries.set(j.key, e);
    else todo.push(j);
  }
  const reused = entries.size;
  const todoCost = todo.reduce((s, j) => s + j.cost, 0);
  log(`maps: ${jobs.length} job(s)${shard.n > 1 ? ` in shard ${shard.i}/${shard.n}` : ''}: ${reused} already in ${o.out} (reused), ${todo.length} to compute (estimated ${todoCost} model passes) on ${Math.min(workers, Math.max(1, todo.length))} worker(s)`);

  const failures = new FailureLog();
  const failedFiles = new Set<string>();
  let done = 0;
  let workerTimes: WorkerTimes[] = [];
  const t1 = Date.now();
  await runJobs(plan, todo, out, workers, (r, job) => {
    done++;
    if ('entry' in r) {
      entries.set(r.key, r.entry);
      log(`maps: ${job.case} ${job.model} ${job.method} ${r.entry.ms.toFixed(0)} ms${r.entry.steps !== undefined ? `, ${r.entry.steps} steps` : ''} (${done}/${todo.length}, ${((Date.now() - t1) / 1000).toFixed(1)} s)`);
      for (const warning of r.entry.warnings ?? []) log(`maps: warning: ${job.case} ${job.model} ${job.method}: ${warning}`);
    } else if (!failedFiles.has(r.failure.file)) {
      failedFiles.add(r.failure.file);
      failures.add(r.failure.file, Object.assign(new Error(r.failure.message), { code: r.failure.code }));
    }
  }, (ts) => {
    workerTimes = ts;
    // Where each worker's time went: start-up, then its jobs (of which the saliency methods themselves).
    for (const t of ts) if (t.jobs) log(`maps: worker ${t.worker}: ready in ${(t.readyMs / 1000).toFixed(1)} s, ${t.jobs} job(s) in ${(t.busyMs / 1000).toFixed(1)} s (saliency ${(t.saliencyMs / 1000).toFixed(1)} s, the rest images, models, writing)`);
  }, startEngine);
  // Index entries in plan order, whatever order the workers finished in.
  const ordered = jobs.map((j) => entries.get(j.key)).filter((e): e is MapsIndexEntry => !!e);
  const study = readStudyFolder(plan.study);
  const read = [...new Set(jobs.map((j) => j.case))].map((id) => study.cases.find((c) => c.id === id)).filter((c) => !!c).map((c) => study.fileOf(c!));
  // The index and errors.csv are written even when nothing could be processed: the folder says why.
  writeIndex(out, ordered, failures.failures, read);
  failures.writeCsv(out);
  const cases = new Set(ordered.map((e) => e.case)).size;
  log(`maps: computed ${ordered.length - reused}, reused ${reused}${failures.count ? `, ${failures.count} image(s) unreadable` : ''} in ${o.out}`);
  failures.finish(cases || (jobs.length === 0 ? 1 : 0), !!o.strict);
  return {
    out: o.out,
    maps: ordered.length,
    computed: ordered.length - reused,
    reused,
    cases,
    failed: failures.count,
    models: plan.models.map((m) => m.id),
    methods: plan.methods,
    backend,
    preset: plan.preset,
    shard: `${shard.i}/${shard.n}`,
    jobs: workers,
    planned: jobs.length,
    estimatedCost: jobs.reduce((s, j) => s + j.cost, 0),
    seconds: (Date.now() - t0) / 1000,
    workers: workerTimes.map((t) => ({ worker: t.worker, readySeconds: t.readyMs / 1000, jobs: t.jobs, busySeconds: t.busyMs / 1000, saliencySeconds: t.saliencyMs / 1000 })),
  };
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
    .option('--study <dir>', 'study folder (cases.csv, images/); required unless --plan')
    .option('--models <dirs>', 'model folders, comma-separated (model.json, shards, manifest.json); required unless --plan')
    .option('--plan <file>', 'run this plan (heatcheck plan --out): its study, models, methods, preset, cases and seed')
    .option('--methods <ids>', 'method ids, comma-separated (default: the six of the seed study, gradcam,grad,ig,sg,sig,xrai; extras on request: guided-ig, blur-ig, occlusion)')
    .requiredOption('--out <dir>', 'output folder (created)')
    .option('--raw', 'write the raw attribution H x W x C instead of the 2-D post-processed map')
    .option('--ig-steps <n>', 'starting interpolation steps of the IG family (ig, sig, xrai, guided-ig, blur-ig); they double until --ig-tolerance')
    .option('--samples <n>', 'noise samples of the SmoothGrad family (sg, sig)')
    .option('--seed <s>', 'seed of the noise (default 0)')
    .option('--class <index>', 'the class to explain (softmax or multi-unit outputs); default: the manifest\'s, else each image\'s predicted class')
    .option('--cases <ids>', 'only these case ids, comma-separated')
    .option('--shard <i/n>', 'the i-th of n parts of the plan, balanced by estimated cost (0 <= i < n)')
    .option('--jobs <n>', 'worker threads, each on its own wasm backend: a number or auto (one per core); default 1')
    .option('--backend <name>', 'wasm (default), cpu, or webgl / webgpu in headless Chromium (HEATCHECK_CHROMIUM, else /usr/bin/chromium, else Playwright\'s own); all but wasm run one job at a time')
    .option('--preset <p>', 'paper (SPEC defaults) or quick (fewer steps and samples); default paper')
    .option('--strict', 'exit non-zero when any image could not be read (default: only when none could)');
  addIgAccuracyOptions(cmd)
    .action(async (o: MapsOptions) => {
      printJson(await runMaps(o));
    });
}
