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
 * all at batch 1 on one thread (wasm in Node is single-threaded: onnxruntime and PyTorch get one
 * thread too), median of REPS after one warm-up, plus IG-25 (25 gradient passes in batches of 5,
 * one run) per route. Prints a table; asserts nothing. The machine may be loaded: rerun on a quiet
 * one for figures to quote.
 *
 *   npx tsx bench/onnx.ts [--reps 5] [--no-torch] [--no-stock]
 */
import * as tf from '@tensorflow/tfjs';
import { timeMs } from './gradients_core';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initNodeBackend } from '../src/cli/nodeBackend';
import { buildArchitecture } from '../src/core/model/architectures';
import { createFastGrad } from '../src/core/model/fastgrad';
import { validateManifest } from '../src/core/model/manifest';
import { buildOnnxModel } from '../src/core/model/onnx/model';
import { createOnnxProbe } from '../src/core/model/onnx/probe';
import { logical } from '../src/core/model/onnx/values';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const ri = args.indexOf('--reps');
const REPS = ri >= 0 ? Number(args[ri + 1]) : 5;
const IG_STEPS = 25;
const IG_BATCH = 5;
const cacheDir = path.join(root, '.cache/bench-onnx');
mkdirSync(cacheDir, { recursive: true });
const file = path.join(cacheDir, 'densenet121_op13.onnx');

const median = (fn: () => tf.Tensor, reps = REPS, warmup = 1): Promise<number> => timeMs(fn, reps, warmup);

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

const load = () => os.loadavg().map((v) => v.toFixed(1)).join(' ');
console.log(`load average before: ${load()} (${os.cpus().length} CPUs)`);

// PyTorch first: it also writes the ONNX file.
let torchRow: { torch: string; threads: number; forwardMs: number; gradMs: number; ig25Ms: number } | null = null;
if (!flag('no-torch') || !existsSync(file)) {
  const r = spawnSync('/usr/bin/python3', [path.join(root, 'bench/onnx_torch.py'), file, '1', String(REPS), String(IG_BATCH)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench/onnx_torch.py failed: ${r.stderr}`);
  if (!flag('no-torch')) torchRow = JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const choice = await initNodeBackend('wasm');
const x = tf.randomUniform([1, 224, 224, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
type Row = { route: string; forwardMs: number; gradMs: number; ig25Ms: number; note?: string };
const rows: Row[] = [];

// ONNX import.
const model = buildOnnxModel(new Uint8Array(readFileSync(file)), file);
const manifest = validateManifest({ id: 'densenet121-onnx', input: { height: 224, width: 224, channels: 3 }, preprocessing: { scale: 1, offset: 0 }, output: { kind: 'logit', index: 0 } });
const probe = createOnnxProbe(model, manifest, { maxBatch: IG_BATCH });
const onnxFwd = await median(() => probe.target(x));
const onnxGrad = await median(() => probe.inputGradients(x));
const onnxIg = await ig((xx) => probe.inputGradients(xx), x);
rows.push({ route: 'ONNX import (op-graph backward)', forwardMs: onnxFwd, gradMs: onnxGrad, ig25Ms: onnxIg });
if (!flag('no-stock')) {
  const out = model.graph.outputNames[0];
  const stock = () => tf.tidy(() => tf.grad((xx: tf.Tensor) => logical(model.graph.run(xx, [out])[0]).sum())(x));
  const stockMs = await median(stock, 1, 0);
  const a = probe.inputGradients(x);
  const b = stock();
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).div(tf.max(tf.abs(b))));
  const diff = (await d.data())[0];
  tf.dispose([a, b, d]);
  rows.push({ route: 'ONNX import, stock tf.grad (1 run)', forwardMs: NaN, gradMs: stockMs, ig25Ms: NaN, note: `op-graph vs stock: max |diff| / max ${diff.toExponential(1)}` });
}
probe.dispose();
model.dispose();

// The same architecture as a TF.js LayersModel.
const lm = buildArchitecture('densenet121', { seed: 1 });
const fg = createFastGrad(lm, (o) => tf.squeeze(tf.slice(o, [0, 0], [-1, 1]), [1]) as tf.Tensor1D);
const lmFwd = await median(() => lm.predict(x) as tf.Tensor);
const lmGrad = await median(() => fg.inputGradients(x));
const lmIg = await ig((xx) => fg.inputGradients(xx), x);
rows.push({ route: 'TF.js LayersModel (fastgrad)', forwardMs: lmFwd, gradMs: lmGrad, ig25Ms: lmIg });
fg.dispose();
lm.dispose();

// onnxruntime-node, one thread.
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
  ts.sort((a, b) => a - b);
  rows.push({ route: 'onnxruntime-node (forward only)', forwardMs: ts[Math.floor((ts.length - 1) / 2)], gradMs: NaN, ig25Ms: NaN });
  await session.release();
} catch (e) {
  console.error(`onnxruntime-node: ${(e as Error).message}`);
}
if (torchRow) rows.push({ route: `PyTorch ${torchRow.torch} CPU, ${torchRow.threads} thread`, forwardMs: torchRow.forwardMs, gradMs: torchRow.gradMs, ig25Ms: torchRow.ig25Ms });
x.dispose();

const f = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '-');
const head = ['route', 'forward ms', 'fwd+grad ms', 'IG-25 ms', 'note'];
const table = rows.map((r) => [r.route, f(r.forwardMs), f(r.gradMs), f(r.ig25Ms), r.note ?? '']);
const widths = head.map((h, k) => Math.max(h.length, ...table.map((r) => r[k].length)));
const line = (r: string[]) => '| ' + r.map((v, k) => v.padEnd(widths[k])).join(' | ') + ' |';
console.log(`\nDenseNet-121 224x224x3, batch 1 (IG-25: batches of ${IG_BATCH}), ${choice.active} backend in Node (TF.js ${tf.version.tfjs}), one thread, median of ${REPS} after a warm-up`);
console.log(line(head));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const r of table) console.log(line(r));
console.log(`ONNX import / LayersModel: forward ${(onnxFwd / lmFwd).toFixed(2)}x, input gradient ${(onnxGrad / lmGrad).toFixed(2)}x, IG-25 ${(onnxIg / lmIg).toFixed(2)}x`);
console.log(`load average after: ${load()}`);
