/**
 * ONNX import bench: DenseNet-121 at 224x224x3 (torchvision, random weights, one logit) exported by
 * torch.onnx.export at opset 13 (bench/onnx_torch.py, at bench time into .cache/bench-onnx), timed
 *  - imported by the ONNX importer (src/core/model/onnx) through its probe: forward (the target),
 *    forward + input gradient by the op-graph backward pass, and stock tf.grad through the lowered
 *    graph (the route before it; one run);
 *  - as a TF.js LayersModel of the same architecture (src/core/model/architectures/densenet.ts,
 *    Keras' DenseNet121 layout) on the same backend: predict, and fastgrad's input gradient;
 *  - onnxruntime-node's forward pass on the same file;
 *  - PyTorch on the CPU (bench/onnx_torch.py): forward and input gradient;
 * all at batch 1 on one thread (the wasm backend is held to one, onnxruntime and PyTorch get one
 * too). The TF.js routes are built first and timed in interleaved rounds (one forward and one
 * gradient pass of each in turn per round, median of the rounds after a warm-up), in wall-clock and
 * in CPU time (user + system of the process: the work done, which a shared, loaded machine distorts
 * far less than wall-clock; back-to-back medians of one route then the other read load swings as
 * speed differences). onnxruntime and PyTorch: median of REPS after one warm-up. Plus IG-25 (25
 * gradient passes in batches of 5, one run) per route. Prints a table; asserts nothing. The machine
 * may be loaded: rerun on a quiet one for figures to quote.
 *
 * Options: --reps N (rounds and repetitions, default 5), --no-torch, --no-stock, --no-ig (skip
 * IG-25), --no-ort (skip onnxruntime-node); --interleave N: N interleaved rounds instead of REPS;
 * --profile: per-kernel time (tf.profile) of one input-gradient pass and one forward pass of each
 * route, side by side; --baseline DIR: also times the ONNX importer of another checkout
 * (DIR/src/core/model/onnx, e.g. the commit before a change, its node_modules the same), in the
 * same rounds, for before/after figures under the same conditions.
 *
 *   npx tsx bench/onnx.ts [--reps 5] [--no-torch] [--no-stock] [--no-ig] [--no-ort] [--profile] [--interleave N] [--baseline DIR]
 */
import * as tf from '@tensorflow/tfjs';
import { timeMs } from './gradients_core';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initNodeBackend, nodeWasmThreads, setNodeWasmThreads } from '../src/cli/nodeBackend';
import { buildArchitecture } from '../src/core/model/architectures';
import { createFastGrad } from '../src/core/model/fastgrad';
import { validateManifest } from '../src/core/model/manifest';
import { buildOnnxModel } from '../src/core/model/onnx/model';
import { createOnnxProbe } from '../src/core/model/onnx/probe';
import { logical } from '../src/core/model/onnx/values';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
/** `--name value` or `--name=value` (the form `npm run bench -- onnx --reps=3` passes on). */
const opt = (name: string): string | undefined => {
  const eq = args.find((a) => a.startsWith(`--${name}=`));
  if (eq) return eq.slice(name.length + 3);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const REPS = Number(opt('reps') ?? 5);
const INTERLEAVE = Number(opt('interleave') ?? 0);
const BASELINE = opt('baseline');
const IG_STEPS = 25;
const IG_BATCH = 5;
const cacheDir = path.join(root, '.cache/bench-onnx');
mkdirSync(cacheDir, { recursive: true });
const file = path.join(cacheDir, 'densenet121_op13.onnx');

const median = (fn: () => tf.Tensor, reps = REPS, warmup = 1): Promise<number> => timeMs(fn, reps, warmup);
const mid = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)];

/** IG-25's gradient work: 25 input gradients at alpha * x in batches, summed, times x / 25. */
async function ig(grad: (x: tf.Tensor4D) => tf.Tensor4D, x: tf.Tensor4D): Promise<number> {
  const t0 = performance.now();
  let acc: tf.Tensor = tf.zerosLike(x);
  for (let s = 0; s < IG_STEPS; s += IG_BATCH) {
    const n = Math.min(IG_BATCH, IG_STEPS - s);
    const next = tf.tidy(() => {
      const alphas = tf.linspace((s + 1) / IG_STEPS, (s + n) / IG_STEPS, n).reshape([n, 1, 1, 1]);
      return tf.add(acc, tf.sum(grad(tf.mul(alphas, x) as tf.Tensor4D), 0, true));
    });
    acc.dispose();
    acc = next;
  }
  const map = tf.mul(acc, tf.div(x, IG_STEPS));
  await map.data();
  tf.dispose([acc, map]);
  return performance.now() - t0;
}

/** Kernel name -> total ms and calls over one run of `fn` (tf.profile; scopes not counted twice). */
async function kernelTimes(fn: () => tf.Tensor): Promise<{ wallMs: number; kernels: Map<string, { ms: number; calls: number }> }> {
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    const t = fn();
    await t.data();
    t.dispose();
  });
  const wallMs = performance.now() - t0;
  const kernels = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    // Op scopes and tf.customGrad's scopes wrap kernels: counting them would count twice.
    if (k.name.endsWith('__op') || k.name === 'unnamed scope') continue;
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : Number((await k.kernelTimeMs as unknown as { kernelMs?: number })?.kernelMs ?? await k.kernelTimeMs) || 0;
    const e = kernels.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls += 1;
    kernels.set(k.name, e);
  }
  return { wallMs, kernels };
}

function printProfiles(title: string, cols: Array<{ name: string; p: Awaited<ReturnType<typeof kernelTimes>> }>): void {
  const names = [...new Set(cols.flatMap((c) => [...c.p.kernels.keys()]))];
  const key = (n: string) => Math.max(...cols.map((c) => c.p.kernels.get(n)?.ms ?? 0));
  names.sort((a, b) => key(b) - key(a));
  const cell = (c: (typeof cols)[number], n: string) => {
    const e = c.p.kernels.get(n);
    return e ? `${e.ms.toFixed(1)} ms / ${e.calls}` : '-';
  };
  const rows = names.map((n) => [n, ...cols.map((c) => cell(c, n))]);
  const total = (c: (typeof cols)[number]) => [...c.p.kernels.values()];
  rows.push(['all kernels', ...cols.map((c) => `${total(c).reduce((a, e) => a + e.ms, 0).toFixed(1)} ms / ${total(c).reduce((a, e) => a + e.calls, 0)}`)]);
  rows.push(['wall (profiled)', ...cols.map((c) => `${c.p.wallMs.toFixed(0)} ms`)]);
  const head = ['kernel', ...cols.map((c) => `${c.name} (ms / calls)`)];
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (r: string[]) => '| ' + r.map((v, k) => v.padEnd(widths[k])).join(' | ') + ' |';
  console.log(`\n${title}`);
  console.log(line(head));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

const load = () => os.loadavg().map((v) => v.toFixed(1)).join(' ');
console.log(`load average before: ${load()} (${os.cpus().length} CPUs)`);

// PyTorch first: it also writes the ONNX file.
let torchRow: { torch: string; threads: number; forwardMs: number; gradMs: number; ig25Ms: number } | null = null;
if (!flag('no-torch') || !existsSync(file)) {
  const r = spawnSync('/usr/bin/python3', [path.join(root, 'bench/onnx_torch.py'), file, '1', String(REPS), String(IG_BATCH)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench/onnx_torch.py failed: ${r.stderr}`);
  if (!flag('no-torch')) torchRow = JSON.parse(r.stdout.trim().split('\n').pop()!);
}

// One wasm thread (the backend's default measures and may pick more): the same as onnxruntime and
// PyTorch get, and CPU time is then the work done.
setNodeWasmThreads(1);
const choice = await initNodeBackend('wasm');
const wasmThreads = await nodeWasmThreads();
const x = tf.randomUniform([1, 224, 224, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
type Row = { route: string; forwardMs: number; gradMs: number; ig25Ms: number; cpuForwardMs?: number; cpuGradMs?: number; cpuIg25Ms?: number; note?: string };
const rows: Row[] = [];
const bytes = new Uint8Array(readFileSync(file));
const manifest = validateManifest({ id: 'densenet121-onnx', input: { height: 224, width: 224, channels: 3 }, preprocessing: { scale: 1, offset: 0 }, output: { kind: 'logit', index: 0 } });

// Every route is built first and timed in interleaved rounds: each round runs one forward and one
// gradient pass of every route in turn, so a load that comes and goes on a shared machine falls on
// all of them alike. Wall-clock and CPU time (user + system of this process: with one wasm thread
// it is the work done, and what a loaded machine distorts least) are both kept.
type Timed = { wall: number[]; cpu: number[] };
const timed = (): Timed => ({ wall: [], cpu: [] });
async function once(fn: () => tf.Tensor, into: Timed): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const t = fn();
  await t.data();
  into.wall.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  into.cpu.push((c.user + c.system) / 1000);
  t.dispose();
}
type Route = { name: string; fwd: () => tf.Tensor; grad: () => tf.Tensor; ig: (x: tf.Tensor4D) => tf.Tensor4D; f: Timed; g: Timed; note?: string };
const routes: Route[] = [];

// ONNX import.
const model = buildOnnxModel(bytes, file);
const probe = createOnnxProbe(model, manifest, { maxBatch: IG_BATCH });
routes.push({ name: 'ONNX import (op-graph backward)', fwd: () => probe.target(x), grad: () => probe.inputGradients(x), ig: (xx) => probe.inputGradients(xx), f: timed(), g: timed() });

// The importer of another checkout (--baseline DIR), on the same file.
let base: { probe: ReturnType<typeof createOnnxProbe>; dispose: () => void } | null = null;
if (BASELINE) {
  const dir = path.resolve(BASELINE, 'src/core/model/onnx');
  const bm = (await import(path.join(dir, 'model.ts'))) as typeof import('../src/core/model/onnx/model');
  const bp = (await import(path.join(dir, 'probe.ts'))) as typeof import('../src/core/model/onnx/probe');
  const m = bm.buildOnnxModel(bytes, file);
  const p = bp.createOnnxProbe(m, manifest, { maxBatch: IG_BATCH });
  base = { probe: p, dispose: () => { p.dispose(); m.dispose(); } };
  const d = tf.tidy(() => {
    const a = probe.inputGradients(x), b = p.inputGradients(x);
    return tf.max(tf.abs(tf.sub(a, b))).div(tf.max(tf.abs(b)));
  });
  const diff = (await d.data())[0];
  d.dispose();
  routes.push({ name: `ONNX import, baseline ${BASELINE}`, fwd: () => p.target(x), grad: () => p.inputGradients(x), ig: (xx) => p.inputGradients(xx), f: timed(), g: timed(), note: `this vs baseline gradient: max |diff| / max ${diff.toExponential(1)}` });
}

// The same architecture as a TF.js LayersModel: forward by the Layers API (predict) and by
// fastgrad's lowered graph (what its gradient pass runs forward).
const lm = buildArchitecture('densenet121', { seed: 1 });
const fg = createFastGrad(lm, (o) => tf.squeeze(tf.slice(o, [0, 0], [-1, 1]), [1]) as tf.Tensor1D);
const lmRoute: Route = { name: 'TF.js LayersModel (fastgrad)', fwd: () => lm.predict(x) as tf.Tensor, grad: () => fg.inputGradients(x), ig: (xx) => fg.inputGradients(xx), f: timed(), g: timed() };
routes.push(lmRoute);
const fgFwd = timed();

const rounds = INTERLEAVE > 0 ? INTERLEAVE : REPS;
for (const r of routes) for (const fn of [r.fwd, r.grad]) await once(fn, timed()); // warm-up
await once(() => fg.predict(x), timed());
for (let k = 0; k < rounds; k++) {
  for (const r of routes) {
    await once(r.fwd, r.f);
    await once(r.grad, r.g);
    if (r === lmRoute) await once(() => fg.predict(x), fgFwd);
  }
}

for (const r of routes) {
  rows.push({ route: r.name, forwardMs: mid(r.f.wall), gradMs: mid(r.g.wall), ig25Ms: NaN, cpuForwardMs: mid(r.f.cpu), cpuGradMs: mid(r.g.cpu), note: r.note });
  if (r === lmRoute) rows.push({ route: 'TF.js LayersModel, fastgrad forward', forwardMs: mid(fgFwd.wall), gradMs: NaN, ig25Ms: NaN, cpuForwardMs: mid(fgFwd.cpu), cpuGradMs: NaN });
}
if (!flag('no-ig')) {
  // One batch-of-5 gradient of every route first: the first route timed would otherwise pay for
  // growing the wasm heap to batch-5 sizes alone.
  const x5 = tf.tile(x, [IG_BATCH, 1, 1, 1]) as tf.Tensor4D;
  for (const r of routes) await once(() => r.ig(x5), timed());
  x5.dispose();
  for (const r of routes) {
    const row = rows.find((o) => o.route === r.name)!;
    const c0 = process.cpuUsage();
    row.ig25Ms = await ig(r.ig, x);
    const c = process.cpuUsage(c0);
    row.cpuIg25Ms = (c.user + c.system) / 1000;
  }
}
if (!flag('no-stock')) {
  const out = model.graph.outputNames[0];
  const stock = () => tf.tidy(() => tf.grad((xx: tf.Tensor) => logical(model.graph.run(xx, [out])[0]).sum())(x));
  const stockMs = await median(stock, 1, 0);
  const a = probe.inputGradients(x);
  const b = stock();
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).div(tf.max(tf.abs(b))));
  const diff = (await d.data())[0];
  tf.dispose([a, b, d]);
  rows.splice(1, 0, { route: 'ONNX import, stock tf.grad (1 run)', forwardMs: NaN, gradMs: stockMs, ig25Ms: NaN, note: `op-graph vs stock: max |diff| / max ${diff.toExponential(1)}` });
}

if (flag('profile')) {
  const cols = [{ name: 'ONNX', p: await kernelTimes(() => probe.inputGradients(x)) }];
  if (base) cols.push({ name: 'ONNX baseline', p: await kernelTimes(() => base!.probe.inputGradients(x)) });
  cols.push({ name: 'LayersModel', p: await kernelTimes(() => fg.inputGradients(x)) });
  printProfiles('Kernel time of one input-gradient pass (forward + backward), batch 1', cols);
  const fcols = [{ name: 'ONNX', p: await kernelTimes(() => probe.target(x)) }];
  if (base) fcols.push({ name: 'ONNX baseline', p: await kernelTimes(() => base!.probe.target(x)) });
  fcols.push({ name: 'LayersModel', p: await kernelTimes(() => fg.predict(x)) });
  printProfiles('Kernel time of one forward pass, batch 1', fcols);
}
fg.dispose();
lm.dispose();
base?.dispose();
probe.dispose();
model.dispose();

// onnxruntime-node, one thread.
if (!flag('no-ort')) {
  try {
    const mod = await import('onnxruntime-node');
    const ort = (mod as unknown as { default?: typeof mod }).default ?? mod;
    const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const nchw = tf.tidy(() => x.transpose([0, 3, 1, 2]).dataSync()) as Float32Array;
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', nchw, [1, 3, 224, 224]) };
    const run = async () => { await session.run(feeds); };
    await run();
    const ts: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const t0 = performance.now();
      await run();
      ts.push(performance.now() - t0);
    }
    rows.push({ route: 'onnxruntime-node (forward only)', forwardMs: mid(ts), gradMs: NaN, ig25Ms: NaN });
    await session.release();
  } catch (e) {
    console.error(`onnxruntime-node: ${(e as Error).message}`);
  }
}
if (torchRow) rows.push({ route: `PyTorch ${torchRow.torch} CPU, ${torchRow.threads} thread`, forwardMs: torchRow.forwardMs, gradMs: torchRow.gradMs, ig25Ms: torchRow.ig25Ms });
x.dispose();

const f = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v.toFixed(0) : '-');
const head = ['route', 'forward ms', 'fwd+grad ms', 'CPU forward ms', 'CPU fwd+grad ms', 'IG-25 ms', 'CPU IG-25 ms', 'note'];
const table = rows.map((r) => [r.route, f(r.forwardMs), f(r.gradMs), f(r.cpuForwardMs), f(r.cpuGradMs), f(r.ig25Ms), f(r.cpuIg25Ms), r.note ?? '']);
const widths = head.map((h, k) => Math.max(h.length, ...table.map((r) => r[k].length)));
const line = (r: string[]) => '| ' + r.map((v, k) => v.padEnd(widths[k])).join(' | ') + ' |';
console.log(`\nDenseNet-121 224x224x3, batch 1 (IG-25: batches of ${IG_BATCH}), ${choice.active} backend in Node (TF.js ${tf.version.tfjs}), ${wasmThreads ?? 1} thread; TF.js routes: median of ${rounds} interleaved rounds after a warm-up (CPU: user + system time of the process); others: median of ${REPS}`);
console.log(line(head));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const r of table) console.log(line(r));
const onnxRow = rows[0];
const lmRow = rows.find((r) => r.route === lmRoute.name)!;
const fgRow = rows.find((r) => r.route === 'TF.js LayersModel, fastgrad forward')!;
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? (a / b).toFixed(2) : '-');
console.log(`ONNX import / LayersModel: forward ${ratio(onnxRow.forwardMs, lmRow.forwardMs)}x, input gradient ${ratio(onnxRow.gradMs, lmRow.gradMs)}x, IG-25 ${ratio(onnxRow.ig25Ms, lmRow.ig25Ms)}x`);
console.log(`  in CPU time: forward ${ratio(onnxRow.cpuForwardMs, lmRow.cpuForwardMs)}x (${ratio(onnxRow.cpuForwardMs, fgRow.cpuForwardMs)}x fastgrad's forward), input gradient ${ratio(onnxRow.cpuGradMs, lmRow.cpuGradMs)}x, IG-25 ${ratio(onnxRow.cpuIg25Ms, lmRow.cpuIg25Ms)}x`);
// Median of the per-round ratios (each round's routes ran back to back, under the same load).
const perRound = (a: number[], b: number[]) => mid(a.map((v, i) => v / b[i])).toFixed(2);
for (const r of routes.slice(0, -1)) console.log(`${r.name} / LayersModel, median of per-round ratios: wall forward ${perRound(r.f.wall, lmRoute.f.wall)}x, gradient ${perRound(r.g.wall, lmRoute.g.wall)}x; CPU forward ${perRound(r.f.cpu, lmRoute.f.cpu)}x, gradient ${perRound(r.g.cpu, lmRoute.g.cpu)}x`);
for (const r of routes.slice(1, -1)) {
  const row = rows.find((x) => x.route === r.name)!;
  console.log(`${r.name} / LayersModel: forward ${ratio(row.forwardMs, lmRow.forwardMs)}x, input gradient ${ratio(row.gradMs, lmRow.gradMs)}x, IG-25 ${ratio(row.ig25Ms, lmRow.ig25Ms)}x; CPU: forward ${ratio(row.cpuForwardMs, lmRow.cpuForwardMs)}x, input gradient ${ratio(row.cpuGradMs, lmRow.cpuGradMs)}x, IG-25 ${ratio(row.cpuIg25Ms, lmRow.cpuIg25Ms)}x`);
}
console.log(`load average after: ${load()}`);
