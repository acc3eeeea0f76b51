/**
 * Gradient bench (issue 9): forward ms, input-gradient ms (stock tf.grad vs the fast path of
 * src/core/model/fastgrad.ts), their ratio, batch throughput, the per-kernel breakdown of one
 * gradient pass (tf.profile), and the same workloads in PyTorch (bench/gradients_torch.py).
 *
 *   npx tsx bench/gradients.ts [--quick] [--no-node] [--no-browser] [--no-torch] [--no-stock-big] [--gpu-big]
 *                              [--models id,id] [--browser-backends wasm,wasm-threads,webgl,webgpu]
 *                              [--threads 1,all]   (Node wasm and PyTorch at each count; all = os.availableParallelism())
 *                              [--kernels before,after]   (Node: fastgrad's fused backward kernels as JavaScript
 *                                loops with stock SplitV for concat backward (before), and as Heatcheck's wasm SIMD
 *                                kernels (after, the default); both given: measured in turn for each model, one run)
 *                              [--rounds N]   (Node: N rounds per model, kernel modes alternating; the median round kept)
 *
 * Workloads: the demo models (public/models/*), a small CNN at 224x224x3, DenseNet-121 at 224x224x3
 * and InceptionV3 at 299x299x3 with random weights. Big models run 2 reps (1 on GPU backends) and
 * one stock gradient without warm-up; throughput is timed at batch 1, 2, 4, 8 and 16 (1, 2, 4 for the big
 * models) on both sides, and the best batch of each side is compared (img/s vs torch).
 * Backends: wasm in Node at each --threads count (default 1 and all cores; PyTorch runs at the same
 * counts beside it); in headless Chromium (/usr/bin/chromium)
 * wasm single-thread, wasm with 2 threads, webgl and webgpu (SwiftShader, --enable-unsafe-webgpu).
 * Big models on webgl/webgpu only with --gpu-big (SwiftShader takes minutes per pass).
 * Results also go to bench/results/gradients.json.
 */
import * as tf from '@tensorflow/tfjs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initNodeBackend, nodeWasmThreads, setNodeWasmThreads } from '../src/cli/nodeBackend';
import { loadModelFromFiles, shardPaths } from '../src/core/model/load';
import { asLayersModel } from '../src/core/model/createProbe';
import { BIG_BATCHES, buildSmallCnn, groupKernels, SMALL_BATCHES, KERNEL_GROUPS, measureModel, optionsFor, timeIg, WORKLOADS, useKernels, type KernelShare, type MeasureResult, type Workload } from './gradients_core';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const value = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = flag('quick');
const wantedModels = value('models')?.split(',');
const browserBackends = (value('browser-backends') ?? 'wasm,wasm-threads,webgl,webgpu').split(',');
const noNode = flag('no-node');
const kernelModes = (value('kernels') ?? 'after').split(',') as Array<'before' | 'after'>;
const rounds = Math.max(1, Number(value('rounds') ?? 1));
const threadCounts = [...new Set((value('threads') ?? '1,all').split(',').map((t) => (t === 'all' ? Math.min(8, os.availableParallelism()) : Number(t))))];
const workloads = WORKLOADS.filter((w) => (!wantedModels || wantedModels.includes(w.id)) && (!quick || !w.big))
  .filter((w) => w.kind !== 'demo' || existsSync(path.join(root, 'public/models', w.source, 'model.json')));
const cacheDir = path.join(root, '.cache/bench-gradients');
mkdirSync(cacheDir, { recursive: true });

async function buildArch(name: string): Promise<tf.LayersModel> {
  // The architectures module belongs to the demo-models work; imported lazily so this bench still runs without it.
  const mod = await import('../src/core/model/architectures/index');
  return mod.buildArchitecture(name, { seed: 1 });
}

async function loadNode(w: Workload): Promise<tf.LayersModel> {
  if (w.kind === 'small-cnn') return buildSmallCnn();
  if (w.kind === 'architecture') return buildArch(w.source);
  const dir = path.join(root, 'public/models', w.source);
  const modelJson = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const shards = new Map<string, Uint8Array>();
  for (const p of shardPaths(modelJson)) shards.set(p, new Uint8Array(readFileSync(path.join(dir, p))));
  const lm = await loadModelFromFiles({ source: dir, modelJson, shards, manifest });
  return asLayersModel(lm.model, 'the gradient bench', lm.manifest.id);
}

const load = () => os.loadavg().map((v) => v.toFixed(1)).join(' ');

interface Row extends MeasureResult { where: string; ig25Ms?: number; threads?: number }
const rows: Row[] = [];
type TorchRow = { id: string; forwardMs: number; gradMs: number; batch: number; batchGradImagesPerS: number; byBatch: Record<string, number>; threads: number; torch: string; reps: number };
/** PyTorch rows by `${id}@${threads}`. */
const torch = new Map<string, TorchRow>();
const torchFor = (r: Row) => torch.get(`${r.id}@${r.threads ?? 2}`);

// ---------------------------------------------------------------- Node, wasm
async function runNode(threadsAsked: number): Promise<void> {
  setNodeWasmThreads(threadsAsked);
  await initNodeBackend('wasm');
  const threads = (await nodeWasmThreads()) ?? 1;
  const where = `node wasm, ${threads} thread${threads > 1 ? 's' : ''}`;
  for (const w of workloads) {
    const model = await loadNode(w);
    process.stderr.write(`${where}: ${w.id} ...\n`);
    if (w.kind !== 'demo') {
      // Topology for the PyTorch mirror.
      writeFileSync(path.join(cacheDir, `${w.id}.json`), JSON.stringify(model.toJSON(null, false)));
    }
    // Kernel modes alternate over `rounds` rounds (ABAB..., then BABA... so neither always goes first);
    // each mode keeps the round with its median gradient time.
    const byMode = new Map<string, MeasureResult[]>();
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 ? [...kernelModes].reverse() : kernelModes;
      for (const mode of order) {
        useKernels(mode);
        // the stock tf.grad reference once per model, not once per kernel mode or round
        const stock = round === 0 && mode === kernelModes[0] && (w.big ? !flag('no-stock-big') : true);
        const r = await measureModel(model, optionsFor(w, 'wasm', stock));
        byMode.set(mode, [...(byMode.get(mode) ?? []), r]);
      }
    }
    for (const mode of kernelModes) {
      const runs = byMode.get(mode)!;
      const sorted = [...runs].sort((a, b) => a.fastGradMs - b.fastGradMs);
      const pick = sorted[Math.floor((sorted.length - 1) / 2)];
      const stocked = runs.find((r) => r.stockGradMs != null);
      const label = kernelModes.length > 1 ? `${where}, kernels ${mode}` : where;
      rows.push({ ...pick, ...(stocked && pick !== stocked ? { stockGradMs: stocked.stockGradMs, stockProfile: stocked.stockProfile, stockForwardProfile: stocked.stockForwardProfile, maxAbsDiff: stocked.maxAbsDiff } : {}), where: label, threads });
    }
    useKernels('after');
    model.dispose();
  }
}

// ---------------------------------------------------------------- PyTorch
function runTorch(threads: number): void {
  const spec = workloads.map((w) => ({
    id: w.id,
    topology: w.kind === 'demo' ? path.join(root, 'public/models', w.source, 'model.json') : path.join(cacheDir, `${w.id}.json`),
    shape: rows.find((r) => r.id === w.id)?.inputShape ?? [224, 224, 3],
    reps: w.big ? 3 : 7,
    batches: w.big ? BIG_BATCHES : SMALL_BATCHES,
  })).filter((s) => existsSync(s.topology));
  const specPath = path.join(cacheDir, 'torch_spec.json');
  writeFileSync(specPath, JSON.stringify(spec));
  process.stderr.write(`pytorch, ${threads} thread(s): ${spec.map((s) => s.id).join(', ')} ...\n`);
  const r = spawnSync('/usr/bin/python3', [path.join(root, 'bench/gradients_torch.py'), specPath, String(threads)], { encoding: 'utf8', cwd: root, timeout: 900_000 });
  if (r.status !== 0) {
    console.log(`PyTorch side failed (exit ${r.status}): ${(r.stderr ?? '').split('\n').slice(-5).join(' | ')}`);
    return;
  }
  for (const line of r.stdout.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    const o = JSON.parse(line) as TorchRow;
    torch.set(`${o.id}@${o.threads}`, o);
  }
}

// ---------------------------------------------------------------- Chromium
async function runBrowser(): Promise<void> {
  const build = spawnSync('npx', ['vite', 'build', '--config', 'bench/browser/vite.config.ts', '--logLevel', 'warn'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) {
    console.log(`browser bench page did not build: ${build.stderr.slice(-500)}`);
    return;
  }
  const { chromium } = await import('@playwright/test');
  let server: ChildProcess | null = null;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--enable-unsafe-webgpu'] });
  try {
    server = spawn('npx', ['vite', 'preview', '--config', 'bench/browser/vite.config.ts'], { cwd: root, stdio: 'ignore', detached: true });
    const url = 'http://127.0.0.1:4178/';
    for (let i = 0; i < 60; i++) {
      try { if ((await fetch(url)).ok) break; } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const b of browserBackends) {
      const backend = b.startsWith('wasm') ? 'wasm' : b;
      const threads = b === 'wasm-threads' ? 2 : 1;
      const page = await browser.newPage();
      page.setDefaultTimeout(0);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url + (threads > 1 ? '?spoofCores=1' : ''));
      await page.waitForFunction(() => (window as unknown as { __heatcheckBench?: unknown }).__heatcheckBench !== undefined);
      const info = await page.evaluate(([bk, t]) => (window as unknown as { __heatcheckBench: { init(b: string, t: number): Promise<Record<string, unknown>> } }).__heatcheckBench.init(bk, t), [backend, threads] as const);
      const where = `chromium ${b}${threads > 1 ? ` (${info.wasmThreads} threads)` : ''}`;
      if (!info.ok) {
        console.log(`${where}: backend did not start (${info.error}; ${errors.slice(0, 2).join('; ')})`);
        await page.close();
        continue;
      }
      const gpu = backend === 'webgl' || backend === 'webgpu';
      for (const w of workloads) {
        if (gpu && w.big && !flag('gpu-big')) continue;
        process.stderr.write(`${where}: ${w.id} ...\n`);
        // Stock gradients of the big models: wasm single-thread only (each takes many seconds).
        const withStock = !w.big || (b === 'wasm' && !flag('no-stock-big'));
        const limitS = gpu ? 600 : 900;
        const r = await Promise.race([
          page.evaluate(([id, s]) => (window as unknown as { __heatcheckBench: { run(id: string, s: boolean): Promise<MeasureResult> } }).__heatcheckBench.run(id, s), [w.id, withStock] as const),
          new Promise<null>((res) => setTimeout(() => res(null), limitS * 1000)),
        ]);
        if (!r) {
          console.log(`${where}: ${w.id} did not finish within ${limitS} s; the rest of this backend is skipped.`);
          break;
        }
        const row: Row = { ...r, where };
        if (w.id === 'densenet121' && backend === 'wasm') {
          row.ig25Ms = await page.evaluate(() => (window as unknown as { __heatcheckBench: { ig(id: string, steps: number, batch: number): Promise<number> } }).__heatcheckBench.ig('densenet121', 25, 5));
        }
        rows.push(row);
      }
      await page.close();
    }
  } finally {
    await browser.close();
    if (server?.pid) process.kill(-server.pid);
  }
}

// ---------------------------------------------------------------- report
const f0 = (v: number | null | undefined) => (v == null || Number.isNaN(v) ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const fx = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? '—' : `${v.toFixed(1)}x`);

function top(p: KernelShare[] | null, n: number): string {
  if (!p) return '—';
  const total = p.reduce((a, k) => a + k.ms, 0);
  return p.slice(0, n).map((k) => `${k.kernel} ${(100 * k.ms / total).toFixed(0)}%`).join(', ');
}

function report(): void {
  console.log(`\n# Input gradients: stock tf.grad (before) vs fastgrad (after)`);
  console.log(`tfjs ${tf.version.tfjs}; load average at the end: ${load()} (2 cores); target = logit 0; ratios: gradient ms / forward ms (model.predict).`);
  console.log(`Big models (DenseNet-121, InceptionV3): 2 reps (1 on GPU backends), one stock gradient without warm-up, throughput at batches ${BIG_BATCHES.join(', ')} (4 on GPU backends); other models at ${SMALL_BATCHES.join(', ')}.\n`);
  const where = [...new Set(rows.map((r) => r.where))];
  for (const wh of where) {
    console.log(`## ${wh}`);
    console.log('| model | forward ms | before: grad ms | before ratio | after: grad ms | after ratio | speed-up | best batch | after img/s | torch fwd ms | torch grad ms | fwd vs torch | after grad vs torch | after img/s vs torch |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows.filter((x) => x.where === wh)) {
      const t = torchFor(r);
      if (r.error) { console.log(`| ${r.id} | error: ${r.error} |`); continue; }
      console.log(`| ${r.id} | ${f0(r.forwardMs)} | ${f0(r.stockGradMs)} | ${fx(r.stockGradMs == null ? null : r.stockGradMs / r.forwardMs)} | ${f0(r.fastGradMs)} | ${fx(r.fastGradMs / r.forwardMs)} | ${fx(r.stockGradMs == null ? null : r.stockGradMs / r.fastGradMs)} | ${r.batch} | ${f0(r.batchGradImagesPerS)} | ${f0(t?.forwardMs)} | ${f0(t?.gradMs)} | ${fx(t ? r.forwardMs / t.forwardMs : null)} | ${fx(t ? r.fastGradMs / t.gradMs : null)} | ${t ? (r.batchGradImagesPerS / t.batchGradImagesPerS).toFixed(2) : '—'} |`);
    }
    const sized = rows.filter((x) => x.where === wh && Object.keys(x.byBatch ?? {}).length > 1);
    if (sized.length) {
      console.log('\nInput-gradient images per second by batch size (Heatcheck / PyTorch at the same thread count); "best" compares the best batch of each side:\n');
      const bs = [...new Set(sized.flatMap((x) => Object.keys(x.byBatch).map(Number)))].sort((a, b) => a - b);
      console.log(`| model | ${bs.map((b) => `batch ${b}`).join(' | ')} | best: Heatcheck / PyTorch |`);
      console.log(`|---|${bs.map(() => '---').join('|')}|---|`);
      for (const r of sized) {
        const t = torchFor(r);
        const cell = (b: number) => `${f0(r.byBatch[b])} / ${f0(t?.byBatch?.[String(b)])}`;
        console.log(`| ${r.id} | ${bs.map(cell).join(' | ')} | ${f0(r.batchGradImagesPerS)} (batch ${r.batch}) / ${f0(t?.batchGradImagesPerS)} (batch ${t?.batch ?? '—'}) = ${t ? (r.batchGradImagesPerS / t.batchGradImagesPerS).toFixed(2) : '—'} |`);
      }
    }
    const ig = rows.find((x) => x.where === wh && x.ig25Ms !== undefined);
    if (ig) console.log(`\nDenseNet-121 Integrated Gradients, 25 steps at 224x224 (batches of 5, fast path): ${(ig.ig25Ms! / 1000).toFixed(1)} s per case.`);
    console.log('');
  }
  console.log('## Per-kernel profile of one input-gradient pass (tf.profile, kernel ms, batch 1)');
  console.log('Forward conv vs transposed conv: the gradient pass\'s convolutions beyond those of the forward pass (profiled apart). relu bwd: Step (the mask); masks & scales: the Multiply/Select that apply masks and BatchNorm scales; max-pool bwd: ArgMax, ScatterNd, MaxPoolGrad and the window-tap depthwise convs.\n');
  console.log(`| where | model | pass | ${KERNEL_GROUPS.join(' | ')} | total ms |`);
  console.log(`|---|---|---|${KERNEL_GROUPS.map(() => '---').join('|')}|---|`);
  for (const r of rows) {
    for (const [pass, grad, fwd] of [['before (tf.grad)', r.stockProfile, r.stockForwardProfile], ['after (fastgrad)', r.fastProfile, r.fastForwardProfile]] as const) {
      if (!grad || !fwd) continue;
      const g = groupKernels(grad, fwd);
      const total = grad.reduce((a, k) => a + k.ms, 0);
      console.log(`| ${r.where} | ${r.id} | ${pass} | ${KERNEL_GROUPS.map((k) => f0(g[k])).join(' | ')} | ${f0(total)} |`);
    }
  }
  console.log('');
  console.log('## Where the gradient time goes (tf.profile, share of kernel time, top 5)');
  for (const r of rows.filter((x) => x.fastProfile)) {
    console.log(`- ${r.where} / ${r.id}\n  - before: ${top(r.stockProfile, 5)}\n  - after: ${top(r.fastProfile, 5)}`);
  }
  const odd = rows.filter((r) => r.maxAbsDiff != null && r.maxAbsDiff > 1e-3);
  if (odd.length) {
    console.log(`\nNote: fast vs stock gradient (max |d| / max |g|): ${odd.map((r) => `${r.where}/${r.id} ${r.maxAbsDiff!.toExponential(1)}`).join(', ')}. ` +
      'Folding BatchNorm into the convs changes float32 rounding, and in 100+-layer random-weight nets a few ReLUs sitting at ~0 flip; ' +
      "createFastGrad(model, target, { foldBatchNorm: false }) agrees with tf.grad to ~1e-6 on DenseNet-121 (10-15% slower). On 'same' average pooling tfjs' stock AvgPoolGrad is also not the derivative at the border (src/core/model/fastgrad.test.ts).");
  }
  if (torch.size) {
    const t = [...torch.values()][0];
    console.log(`\nPyTorch ${t.torch}, the same thread count as the Node row beside it (browser rows: 2), median of ${t.reps} after warm-up (3 for the big models), eval mode, parameters frozen.`);
  }
  console.log(`\nThreads: Node wasm runs tfjs's threaded SIMD build with its pthread workers started from a file (src/platform/node/wasmThreads.ts); XNNPACK parallelises convolutions and matmuls, the elementwise kernels stay on one thread. On a busy 2-core machine threads can lose: other processes take the second core while XNNPACK's workers spin.`);
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  writeFileSync(path.join(root, 'bench/results/gradients.json'), JSON.stringify({ load: os.loadavg(), rows, torch: [...torch.values()] }, null, 1));
}

console.log(`load average at start: ${load()}`);
for (const t of threadCounts) {
  if (!noNode) await runNode(t);
  if (!flag('no-torch')) runTorch(t);
}
if (!flag('no-browser')) await runBrowser();
report();
// Exit explicitly: a finished browser run has left handles open that kept Node alive.
process.exit(0);
