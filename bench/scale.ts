/**
 * Scaling (printed, not asserted): `npx tsx bench/scale.ts` (part of `npm run bench`).
 *
 * 1. `heatcheck maps --plan` on the demo study (phantom seed 2022, --cases=N or BENCH_SCALE_CASES cases,
 *    default 40 as the demo study; models BENCH_SCALE_MODELS, default densenet-compact-s1,inception-compact-s1; one
 *    method mix, quick preset: gradcam,grad,ig,sg) with --jobs 1 and --jobs 2, side by side: wall
 *    time of the whole command (start, model loading and writing included), their ratio, and a
 *    byte-for-byte check that both folders hold the same maps; before and after the rounds, a pure
 *    integer loop in one process per core against one alone (what the machine loses with every core busy).
 * 2. The per-job cost table the plan's estimates come from: estimated model passes vs measured ms
 *    per method and model, and ms per estimated pass.
 * 3. The paper preset on 40 demo cases x the 4 demo models x the six methods, cascading
 *    randomization's jobs included: every (model, method) measured at the paper preset on a sample
 *    (BENCH_SCALE_PAPER_CASES abnormal cases, default 1), estimated vs actual per job, then each job of
 *    the plan at its measured cost: wall time for 1, 2, 16 and 64 cores (cost-balanced, largest
 *    first, as --jobs and --shard split) and for 8 Slurm nodes of 16 cores (8 shards, 16 workers
 *    each). A projection, not a measurement of the whole study (hours on one core).
 * 4. When a local Slurm can start (root, slurm-wlm, munge): the same plan as an array of 2 shards
 *    on a single-node Slurm vs --jobs 2, submission to the last task's end: the scheduler's overhead.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shardJobs, type MapJob, type MapPlan } from '../src/cli/plan/plan';
import { slurmUnavailable, startLocalSlurm, waitForJobs } from '../scripts/slurm/localSlurm';
import { npyFiles } from '../src/cli/testing/npyFiles';
import { median } from './stats';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
/** A flag's value, `--name=value` or `--name value` (bench/run.ts passes `--name=value`). */
const flagValue = (name: string): string | undefined => {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1];
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return undefined;
};
/** Cases of the demo study for part 1 (the demo study has 40): --cases=N or BENCH_SCALE_CASES. */
const CASES = Number(flagValue('cases') ?? process.env.BENCH_SCALE_CASES ?? 40);
/** Rounds of part 1 (--rounds=N, default 3): the machine's speed drifts, so the ratio is a median. */
const ROUNDS = Math.max(1, Number(flagValue('rounds') ?? 3));
/** --jobs-only: parts 1 and 2 (the --jobs comparison and the cost table), not the projections. */
const JOBS_ONLY = argv.includes('--jobs-only');
const MODELS = (process.env.BENCH_SCALE_MODELS ?? 'densenet-compact-s1,inception-compact-s1').split(',').map((m) => path.join(root, 'public', 'models', m));
const ALL_MODELS = ['densenet-compact-s1', 'densenet-compact-s2', 'inception-compact-s1', 'inception-compact-s2'].map((m) => path.join(root, 'public', 'models', m));
const METHODS = 'gradcam,grad,ig,sg';
/** Abnormal cases measured at the paper preset (every model and method) for the projections. */
const PAPER_SAMPLE = Number(process.env.BENCH_SCALE_PAPER_CASES ?? 1);
const tmp = mkdtempSync(path.join(tmpdir(), 'heatcheck-bench-scale-'));

/** Runs the CLI; wall seconds, and CPU seconds (user + system of the process and its threads, from bash's `times`). */
function heatcheck(args: string[], env: NodeJS.ProcessEnv = process.env): { seconds: number; cpu: number; json: Record<string, unknown> } {
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', '"$@"; rc=$?; times >&2; exit $rc', 'heatcheck', process.execPath, path.join(root, 'scripts', 'heatcheck.mjs'), ...args], { encoding: 'utf8', env, maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`heatcheck ${args.join(' ')} exited ${r.status}:\n${r.stderr.slice(-2000)}`);
  const lines = r.stderr.trim().split('\n');
  const sec = (t: string) => { const m = /(\d+)m([\d.]+)s/.exec(t); return m ? Number(m[1]) * 60 + Number(m[2]) : NaN; };
  const cpu = lines[lines.length - 1].split(/\s+/).map(sec).reduce((a, b) => a + b, 0);
  return { seconds, cpu, json: JSON.parse(r.stdout) };
}


/** Integer work done by one process spinning for `ms` (no memory traffic: the cores' own speed). */
const SPIN = (ms: number) => `let n=0;const t=Date.now();while(Date.now()-t<${ms}){for(let i=0;i<1e5;i++)n+=i&1;}process.stdout.write(String(n))`;
async function spinRates(processes: number, ms: number): Promise<number[]> {
  return Promise.all(Array.from({ length: processes }, () => new Promise<number>((resolve, reject) => {
    const c = spawn(process.execPath, ['-e', SPIN(ms)]);
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d));
    c.on('error', reject);
    c.on('close', () => resolve(Number(out) / ms));
  })));
}
/**
 * What this machine loses when every core is busy: a pure integer loop's speed in each of N
 * processes at once (N = the cores), as a fraction of one process alone. A shared VM whose cores
 * slow each other down puts --jobs N's ratio above 1/N before any cost of ours.
 */
async function coresTogether(): Promise<string> {
  const cores = availableParallelism();
  const [alone] = await spinRates(1, 3000);
  const together = await spinRates(cores, 3000);
  return `each of ${cores} processes spinning at once ran at ${together.map((r) => (r / alone).toFixed(2)).join(', ')} of one alone`;
}

const fmt = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`);

try {
  const study = path.join(tmp, 'study');
  heatcheck(['phantom', '--out', study, '--count', String(CASES), '--seed', '2022']);
  const plan = path.join(tmp, 'plan.json');
  heatcheck(['plan', '--study', study, '--models', MODELS.join(','), '--methods', METHODS, '--preset', 'quick', '--no-randomization', '--out', plan]);
  const p = JSON.parse(readFileSync(plan, 'utf8')) as MapPlan;
  console.log(`demo study: ${CASES} cases, models ${p.models.map((m) => m.id).join(', ')}, methods ${METHODS}, quick preset: ${p.jobs.length} jobs, ${p.totalCost} estimated model passes; this machine: ${availableParallelism()} cores (shared: other work may run)`);

  // 1. --jobs 1 vs --jobs 2, in ROUNDS rounds (each: --jobs 1, --jobs 2, --jobs 1 --threads 1, into
  // fresh folders): this machine's speed drifts from one minute to the next (a shared VM), so each
  // round's ratio is printed and the median ratio is the figure.
  // --jobs 1 runs in the main thread, where the wasm backend's thread count is measured (auto: one
  // thread per core when faster); --jobs 1 held to one wasm thread is the reference row.
  const coresBefore = await coresTogether();
  type Run = ReturnType<typeof heatcheck>;
  const rounds: Array<{ one: Run; two: Run; oneSingle: Run }> = [];
  for (let r = 0; r < ROUNDS; r++) {
    const dir = (name: string) => { const d = path.join(tmp, `${name}-r${r}`); rmSync(d, { recursive: true, force: true }); return d; };
    const one = heatcheck(['maps', '--plan', plan, '--out', dir('j1'), '--jobs', '1']);
    const two = heatcheck(['maps', '--plan', plan, '--out', dir('j2'), '--jobs', '2']);
    const oneSingle = heatcheck(['maps', '--plan', plan, '--out', dir('j1t1'), '--jobs', '1', '--threads', '1']);
    rounds.push({ one, two, oneSingle });
  }
  const a = npyFiles(path.join(tmp, 'j1-r0'));
  const b = npyFiles(path.join(tmp, 'j2-r0'));
  const same = a.size === b.size && [...a].every(([k, v]) => b.get(k)?.equals(v));
  const load = loadavg()[0];
  const coresAfter = await coresTogether();
  console.log(`\nthis machine, all cores busy (before the rounds; after): ${coresBefore}; ${coresAfter}`);
  console.log(`\n(load average when done: ${load.toFixed(1)} on ${availableParallelism()} cores: above the core count, other processes take a share and --jobs cannot show its speed-up)`);
  console.log('| round | run | wall | ratio to --jobs 1 | CPU time (user + sys) | maps |');
  console.log('| ---: | --- | ---: | ---: | ---: | ---: |');
  rounds.forEach(({ one, two, oneSingle }, r) => {
    console.log(`| ${r + 1} | --jobs 1 | ${fmt(one.seconds)} | 1.00 | ${fmt(one.cpu)} | ${one.json.computed} |`);
    console.log(`| ${r + 1} | --jobs 2 | ${fmt(two.seconds)} | ${(two.seconds / one.seconds).toFixed(2)} | ${fmt(two.cpu)} | ${two.json.computed} |`);
    console.log(`| ${r + 1} | --jobs 1 --threads 1 (reference) | ${fmt(oneSingle.seconds)} | ${(oneSingle.seconds / one.seconds).toFixed(2)} | ${fmt(oneSingle.cpu)} | ${oneSingle.json.computed} |`);
  });
  const ratios = rounds.map((x) => x.two.seconds / x.one.seconds);
  const ratiosSingle = rounds.map((x) => x.two.seconds / x.oneSingle.seconds);
  console.log(`--jobs 2 / --jobs 1: median ${median(ratios).toFixed(2)} over ${ROUNDS} round(s) (${ratios.map((x) => x.toFixed(2)).join(', ')}); --jobs 2 / (--jobs 1 --threads 1): median ${median(ratiosSingle).toFixed(2)} (${ratiosSingle.map((x) => x.toFixed(2)).join(', ')})`);
  // Where the time went: each worker's start-up (thread, TypeScript loader, TF.js + wasm) and its jobs (saliency, and the rest: images, models, writing).
  type W = { worker: number; readySeconds: number; jobs: number; busySeconds: number; saliencySeconds: number };
  console.log('\n| round | run | worker | start-up | jobs | busy | saliency | rest (images, models, writing) | command wall |');
  console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  rounds.forEach(({ one, two }, r) => {
    for (const [name, x] of [['--jobs 1', one], ['--jobs 2', two]] as const) {
      for (const w of x.json.workers as W[]) console.log(`| ${r + 1} | ${name} | ${w.worker} | ${fmt(w.readySeconds)} | ${w.jobs} | ${fmt(w.busySeconds)} | ${fmt(w.saliencySeconds)} | ${fmt(w.busySeconds - w.saliencySeconds)} | ${fmt(x.seconds)} |`);
    }
  });
  const two = rounds[0].two;
  const rerun = heatcheck(['maps', '--plan', plan, '--out', path.join(tmp, 'j2-r0'), '--jobs', '2']);
  console.log(`maps identical byte for byte: ${same ? 'yes' : 'NO'} (${a.size} files); rerun into the --jobs 2 folder: computed ${rerun.json.computed}, reused ${rerun.json.reused}, ${fmt(rerun.seconds)}`);

  // 2. cost table
  const entries = (JSON.parse(readFileSync(path.join(tmp, 'j1-r0', 'index.json'), 'utf8')).maps as Array<{ model: string; method: string; ms: number }>);
  const jobOf = new Map(p.jobs.map((j) => [`${j.case}/${j.model}/${j.method}`, j]));
  const cells = new Map<string, { passes: number; ms: number[] }>();
  const perModel = new Map<string, { passes: number; ms: number }>();
  for (const e of entries as Array<{ case: string; model: string; method: string; ms: number }>) {
    const j = jobOf.get(`${e.case}/${e.model}/${e.method}`)!;
    const c = cells.get(`${e.model}\u0000${e.method}`) ?? { passes: j.cost, ms: [] };
    c.ms.push(e.ms);
    cells.set(`${e.model}\u0000${e.method}`, c);
    const m = perModel.get(e.model) ?? { passes: 0, ms: 0 };
    m.passes += j.cost;
    m.ms += e.ms;
    perModel.set(e.model, m);
  }
  console.log('\n| model | method | estimated passes | measured ms (median) | ms per pass |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const [k, c] of cells) {
    const [model, method] = k.split('\u0000');
    const med = median(c.ms);
    console.log(`| ${model} | ${method} | ${c.passes} | ${med.toFixed(0)} | ${(med / c.passes).toFixed(1)} |`);
  }
  const msPerPass = new Map([...perModel].map(([m, v]) => [m, v.ms / v.passes]));
  for (const [m, v] of msPerPass) console.log(`${m}: ${v.toFixed(1)} ms per estimated pass over the mix`);

  if (JOBS_ONLY) {
    rmSync(tmp, { recursive: true, force: true });
    process.exit(0);
  }

  // 3. projections: paper preset, 40 cases x 4 models x six methods, cascading randomization included
  const study40 = path.join(tmp, 'study40');
  heatcheck(['phantom', '--out', study40, '--count', '40', '--seed', '2022']);
  const paperPlan = path.join(tmp, 'paper.json');
  heatcheck(['plan', '--study', study40, '--models', ALL_MODELS.join(','), '--preset', 'paper', '--out', paperPlan]);
  const pp = JSON.parse(readFileSync(paperPlan, 'utf8')) as MapPlan;
  // Measured job costs at the paper preset on a sample: the first PAPER_SAMPLE abnormal cases, every model and method, --jobs 1.
  const sampleCases = [...new Set(pp.jobs.filter((j) => j.step !== undefined).map((j) => j.case))].slice(0, PAPER_SAMPLE);
  const samplePlan = path.join(tmp, 'paper-sample.json');
  heatcheck(['plan', '--study', study40, '--models', ALL_MODELS.join(','), '--preset', 'paper', '--cases', sampleCases.join(','), '--no-randomization', '--out', samplePlan]);
  const sp = JSON.parse(readFileSync(samplePlan, 'utf8')) as MapPlan;
  const sampleRun = heatcheck(['maps', '--plan', samplePlan, '--out', path.join(tmp, 'paper-sample'), '--jobs', '1']);
  const sampleEntries = JSON.parse(readFileSync(path.join(tmp, 'paper-sample', 'index.json'), 'utf8')).maps as Array<{ case: string; model: string; method: string; ms: number; steps?: number }>;
  const measured = new Map<string, number[]>();
  for (const e of sampleEntries) measured.set(`${e.model}\u0000${e.method}`, [...(measured.get(`${e.model}\u0000${e.method}`) ?? []), e.ms]);
  const paperMsPerPass = new Map<string, number>();
  for (const m of sp.models) {
    const es = sampleEntries.filter((e) => e.model === m.id);
    const passes = es.reduce((a, e) => a + sp.jobs.find((j) => j.case === e.case && j.model === e.model && j.method === e.method)!.cost, 0);
    paperMsPerPass.set(m.id, es.reduce((a, e) => a + e.ms, 0) / passes);
  }
  console.log(`\npaper preset, measured on ${sampleCases.length} case(s) x ${sp.models.length} models x ${sp.methods.length} methods (--jobs 1, ${fmt(sampleRun.seconds)}): estimated vs actual per job`);
  console.log('| model | method | estimated passes | steps used | estimated ms (passes x model ms/pass) | actual ms (median) | actual / estimated |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const j of sp.jobs.filter((x) => x.case === sampleCases[0])) {
    const ms = median(measured.get(`${j.model}\u0000${j.method}`) ?? [NaN]);
    const est = j.cost * paperMsPerPass.get(j.model)!;
    const steps = sampleEntries.find((e) => e.case === j.case && e.model === j.model && e.method === j.method)?.steps;
    console.log(`| ${j.model} | ${j.method} | ${j.cost} | ${steps ?? '-'} | ${est.toFixed(0)} | ${ms.toFixed(0)} | ${(ms / est).toFixed(2)} |`);
  }
  // Each job of the whole paper plan (randomized models too: same network, same cost) at its measured median.
  const timed: MapJob[] = pp.jobs.map((j) => ({ ...j, cost: median(measured.get(`${j.model}\u0000${j.method}`) ?? [j.cost * paperMsPerPass.get(j.model)!]) }));
  const total = timed.reduce((s, j) => s + j.cost, 0) / 1000;
  const makespan = (jobs: MapJob[], n: number) => Math.max(...shardJobs(jobs, n).map((part) => part.reduce((s, j) => s + j.cost, 0))) / 1000;
  const nRandomized = pp.jobs.filter((j) => j.step !== undefined).length;
  console.log(`\npaper preset, 40 demo cases x 4 models x ${pp.methods.length} methods: ${pp.jobs.length} jobs (${pp.jobs.length - nRandomized} trained, ${nRandomized} randomized models' on ${pp.randomization?.caseIds.length ?? 0} abnormal cases x every cascade step), ${pp.totalCost} estimated passes, ${fmt(total)} of compute at the measured cost of each (model, method)`);
  console.log('| where | projected wall |');
  console.log('| --- | ---: |');
  for (const n of [1, 2, 16, 64]) console.log(`| ${n} core${n > 1 ? 's' : ''} (--jobs ${n}) | ${fmt(makespan(timed, n))} |`);
  const nodes = shardJobs(timed, 8).map((part) => makespan(part, 16));
  console.log(`| 8 Slurm nodes x 16 cores (--shard i/8, --jobs 16) | ${fmt(Math.max(...nodes))} |`);
  console.log('(a projection from measured job costs, not a measurement: it leaves out per-worker start-up, a few seconds, and the scoring, which reads the maps and runs no model)');

  // 4. Slurm overhead
  const why = slurmUnavailable();
  if (why) console.log(`\nSlurm overhead: not measured (${why})`);
  else {
    const s = await startLocalSlurm(path.join(tmp, 'slurm'));
    try {
      const run = path.join(tmp, 'run');
      const t0 = performance.now();
      const r = spawnSync('sbatch', ['--parsable', '--export=ALL', '--array=0-1', '-o', path.join(tmp, 'slurm-%a.out'), path.join(root, 'scripts', 'slurm', 'maps-array.sh'), plan, run], { env: { ...s.env, HEATCHECK_HOME: root }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      await waitForJobs(s, [r.stdout.trim().split(';')[0]], 30 * 60_000);
      const slurmS = (performance.now() - t0) / 1000;
      console.log(`\nSlurm (single node, ${s.cpus} CPUs), array of 2 shards: ${fmt(slurmS)} from sbatch to the last task's end vs --jobs 2 ${fmt(two.seconds)}: overhead ${fmt(slurmS - two.seconds)} (${((slurmS / two.seconds - 1) * 100).toFixed(0)} %)`);
    } finally {
      await s.stop();
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
