/**
 * IG completeness versus steps for each quadrature rule (printed, not asserted):
 *   npx tsx bench/igCompleteness.ts [--full densenet121|inceptionv3|none] [--steps 8,16,25,...]
 *
 * completenessError = |sum(attribution) - (f(x) - f(b))| / |f(x) - f(b)| (SPEC section 2). For IG
 * along the straight path, sum(attribution) = sum_k w_k g(a_k) with g(a) = <grad f(b + a(x - b)),
 * x - b>, the derivative of f along the path, whose integral over [0, 1] is f(x) - f(b) exactly.
 * So the bench computes g once at every node any (rule, n) needs (pair and trapezoid share the
 * linspace nodes), through the same probe the app uses, and prints each rule's error at each n:
 * the same figure `ig` records, at a fraction of the cost. Input: phantom cases 0..CASES-1 of seed 7
 * (median error over cases printed) on the demo models (public/models/*, 128 x 128 x 1) and on a full-size architecture with random
 * weights (default DenseNet-121, 224 x 224 x 3, case 0 only, the phantom replicated over channels), black
 * baseline (the input range's minimum). wasm backend in Node.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initNodeBackend } from '../src/cli/nodeBackend';
import { loadModelDir } from '../src/cli/modelDir';
import { createProbe } from '../src/core/model/createProbe';
import { createTfProbe } from '../src/core/model/probe';
import { preprocessImage } from '../src/core/model/preprocess';
import { buildArchitecture, architectureInfo } from '../src/core/model/architectures';
import { generatePhantomCase } from '../src/core/phantom/generate';
import { IG_RULES, quadrature, type IgRule } from '../src/core/saliency/quadrature';
import type { ModelProbe } from '../src/core/saliency/types';
import { runSaliency } from '../src/core/saliency/run';
import { median } from './stats';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const STEPS = arg('--steps', '8,16,25,32,64,128,200').split(',').map(Number);
/** Phantom cases per demo model (the full-size model runs case 0 only: each of its gradients takes about a second). */
const CASES = Number(arg('--cases', process.env.BENCH_IG_CASES ?? '3'));
const FULL = arg('--full', process.env.BENCH_IG_FULL ?? 'densenet121');

interface Table { model: string; note: string; deltaF: number; errors: Record<IgRule, number[]>; gradients: number; seconds: number }

/** g(a) = <grad f(b + a(x - b)), x - b> at every node, batched by probe.maxBatch; keyed by the node's value. */
async function pathDerivatives(probe: ModelProbe, x: tf.Tensor3D, b: tf.Tensor4D, alphas: number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const B = Math.max(1, probe.maxBatch);
  for (let i = 0; i < alphas.length; i += B) {
    const chunk = alphas.slice(i, i + B);
    const g = tf.tidy(() => {
      const xi = x.expandDims(0) as tf.Tensor4D;
      const d = xi.sub(b);
      const a = tf.tensor4d(Float32Array.from(chunk), [chunk.length, 1, 1, 1]);
      const rows = b.add(a.mul(d)) as tf.Tensor4D;
      return probe.inputGradients(rows).mul(d).sum([1, 2, 3]);
    });
    const v = await g.data();
    g.dispose();
    chunk.forEach((a, k) => out.set(a, v[k]));
  }
  return out;
}

async function measure(model: string, note: string, probe: ModelProbe, x: tf.Tensor3D): Promise<Table> {
  const t0 = performance.now();
  const b = tf.fill([1, ...x.shape], probe.inputRange[0]) as tf.Tensor4D;
  const both = tf.tidy(() => tf.concat([x.expandDims(0), b], 0) as tf.Tensor4D);
  const ft = probe.target(both);
  const [fx, fb] = Array.from(await ft.data());
  ft.dispose();
  both.dispose();
  const deltaF = fx - fb;
  const rules = Object.fromEntries(IG_RULES.map((r) => [r, STEPS.map((n) => quadrature(r, n))])) as Record<IgRule, ReturnType<typeof quadrature>[]>;
  const nodes = new Set<number>();
  for (const r of IG_RULES) for (const q of rules[r]) for (const a of Float32Array.from(q.nodes)) nodes.add(a);
  const g = await pathDerivatives(probe, x, b, [...nodes].sort((p, q) => p - q));
  b.dispose();
  const errors = {} as Record<IgRule, number[]>;
  for (const r of IG_RULES) {
    errors[r] = rules[r].map((q) => {
      const f32 = Float32Array.from(q.nodes);
      let s = 0;
      for (let k = 0; k < f32.length; k++) s += q.weights[k] * g.get(f32[k])!;
      return Math.abs(s - deltaF) / Math.abs(deltaF);
    });
  }
  return { model, note, deltaF, errors, gradients: nodes.size, seconds: (performance.now() - t0) / 1000 };
}

const pct = (e: number) => (e >= 0.1 ? `${(e * 100).toFixed(1)} %` : e >= 1e-4 ? `${(e * 100).toFixed(3)} %` : `${(e * 100).toExponential(1)} %`);


/** The median over several tables (cases, models) of each cell. */
function medianTable(model: string, note: string, ts: Table[]): Table {
  const errors = {} as Record<IgRule, number[]>;
  for (const r of IG_RULES) errors[r] = STEPS.map((_n, j) => median(ts.map((t) => t.errors[r][j])));
  return { model, note, deltaF: NaN, errors, gradients: ts.reduce((a, t) => a + t.gradients, 0), seconds: ts.reduce((a, t) => a + t.seconds, 0) };
}

function print(t: Table): void {
  const df = Number.isNaN(t.deltaF) ? '' : `f(x) - f(black) = ${t.deltaF.toPrecision(5)}; `;
  console.log(`\n${t.model} (${t.note}); ${df}${t.gradients} gradients, ${t.seconds.toFixed(0)} s`);
  const head = ['rule \\ steps', ...STEPS.map(String)];
  const rows = IG_RULES.map((r) => [r, ...t.errors[r].map(pct)]);
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k].length)));
  const line = (r: string[]) => '| ' + r.map((v, k) => v.padEnd(widths[k])).join(' | ') + ' |';
  console.log(line(head));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

const backend = await initNodeBackend('wasm');
console.log(`IG completeness error |sum(attr) - (f(x) - f(b))| / |f(x) - f(b)| by rule and steps; ${backend.active} backend in Node, phantom cases of seed 7, black baseline`);
const images = Array.from({ length: Math.max(1, CASES) }, (_, k) => generatePhantomCase(7, k, { size: 512 }));
const img = images[0];
const modelsDir = path.join(root, 'public', 'models');
const demo = existsSync(modelsDir) ? readdirSync(modelsDir).filter((n) => existsSync(path.join(modelsDir, n, 'model.json'))).sort() : [];
const all: Table[] = [];
for (const id of demo) {
  const lm = await loadModelDir(path.join(modelsDir, id));
  const probe = createProbe(lm.model, lm.manifest);
  const mine: Table[] = [];
  for (let k = 0; k < images.length; k++) {
    const im = images[k];
    const x = tf.tensor3d(preprocessImage({ width: im.width, height: im.height, data: im.image }, lm.manifest), [lm.manifest.input.height, lm.manifest.input.width, lm.manifest.input.channels]);
    mine.push(await measure(id, `case ${k}`, probe, x));
    x.dispose();
  }
  const t = medianTable(id, `trained demo model, ${lm.manifest.input.height}x${lm.manifest.input.width}x${lm.manifest.input.channels}, median over ${images.length} phantom cases`, mine);
  print(t);
  all.push(...mine);
  probe.dispose();
  lm.model.dispose();
}
if (all.length) print(medianTable('all demo models', `median over ${all.length} model-case pairs`, all));

// What the presets do now: IG and XRAI with adaptive steps through runSaliency, as the app and the CLI run them.
if (!args.includes('--no-presets') && demo.length) {
  console.log(`\nPresets through runSaliency (adaptive steps, default rule), phantom case 0 of seed 7, per demo model`);
  const head = ['model', 'method', 'preset', 'start', 'steps used', 'completeness', 'warning', 'ms'];
  const rows: string[][] = [];
  for (const id of demo) {
    const lm = await loadModelDir(path.join(modelsDir, id));
    const probe = createProbe(lm.model, lm.manifest);
    const x = preprocessImage({ width: img.width, height: img.height, data: img.image }, lm.manifest);
    for (const method of ['ig', 'xrai']) {
      for (const preset of ['quick', 'paper'] as const) {
        const r = await runSaliency(probe, x, { method, preset, seed: 0 });
        rows.push([id, method, preset, String(r.params.steps), String(r.output.steps), r.output.completenessError === undefined ? 'n/a' : pct(r.output.completenessError), r.output.warnings?.length ? 'yes' : 'no', r.ms.toFixed(0)]);
      }
    }
    probe.dispose();
    lm.model.dispose();
  }
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k].length)));
  const line = (r: string[]) => '| ' + r.map((v, k) => v.padEnd(widths[k])).join(' | ') + ' |';
  console.log(line(head));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
}
if (FULL !== 'none') {
  const info = architectureInfo(FULL);
  const [h, w, c] = info.inputShape;
  const model = buildArchitecture(FULL, { seed: 1 });
  const manifest = {
    id: FULL, architecture: FULL, family: info.family, input: { height: h, width: w, channels: c },
    preprocessing: { scale: 2, offset: -1 }, inputRange: [-1, 1] as [number, number], output: { kind: 'logit' as const, index: 0 },
    gradcamLayer: info.gradcamLayer, weightsSha256: '',
  };
  const probe = createTfProbe(model, manifest);
  const x = tf.tensor3d(preprocessImage({ width: img.width, height: img.height, data: img.image }, manifest), [h, w, c]);
  print(await measure(FULL, `full size, random weights (seed 1), ${h}x${w}x${c}`, probe, x));
  x.dispose();
  probe.dispose();
  model.dispose();
}
