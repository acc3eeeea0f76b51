/**
 * Per-case saliency methods, Heatcheck vs PyTorch doing the same method on the same network, side by
 * side in one run: `npx tsx bench/methods.ts [--threads 1,all] [--models small-cnn,densenet-compact-s1] [--reps N] [--quick]
 * [--kernels before,after]` (`npm run bench -- methods`). `--kernels before,after` also times the Heatcheck side
 * with fastgrad's fused backward kernels as JavaScript loops and stock SplitV (before the wasm SIMD kernels),
 * each model in turn under both, in this run; the default is `after` alone.
 *
 * Workloads: `small-cnn` (buildSmallCnn, 224x224x3, seeded random weights, a manifest made here: input
 * range [-1, 1]) and the demo model `densenet-compact-s1` (public/models, 128x128x1). One case: phantom
 * case 0 of seed 7 through preprocessImage, the same Float32Array on both sides (written to
 * .cache/bench-methods/). Per case, median over `--reps` (default 3; `--quick` 1) after a warm-up
 * (one gradient at batch 1 and one batch of the probe's maxBatch on each side):
 * - gradient: runSaliency `grad`;
 * - IG-25: runSaliency `ig` with steps 25, maxSteps 25 (no doubling), rule `pair` (PAIR's linspace
 *   nodes, which the PyTorch side computes), black baseline; steps used and completeness printed;
 * - SG-25: runSaliency `sg`, 25 samples, noise 0.15 of the input's range (Heatcheck squares each
 *   gradient as PAIR's magnitude=True does; so does the PyTorch side);
 * - XRAI: runSaliency `xrai` with the catalog's defaults (steps 100 per baseline, doubling while the
 *   completeness error is over 0.05, up to 400; range baselines; full selection). XRAI keeps the
 *   last inputs' segments (xrai.ts's cache), so every XRAI run here gets the input with its first
 *   value nudged by a distinct 1e-5 multiple: each run segments afresh, as a new case would. Its
 *   non-gradient part is timed apart by calling xraiSegments (uncached) and xraiFull on the IG-25
 *   attribution (max over channels); the gradient part is the rest of the run.
 * PyTorch side: bench/methods_torch.py, the same model.json and weights rebuilt by KerasGraph, PAIR's
 * arithmetic, the same batches (the probe's maxBatch), XRAI's IGs at the steps Heatcheck used.
 * Threads: for each count, Node's wasm (setNodeWasmThreads + initNodeBackend, as bench/gradients.ts)
 * then PyTorch (torch.set_num_threads), both in this run. Results: bench/results/methods.json.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initNodeBackend, nodeWasmThreads, setNodeWasmThreads } from '../src/cli/nodeBackend';
import { loadModelDir } from '../src/cli/modelDir';
import { asLayersModel, createProbe } from '../src/core/model/createProbe';
import type { ModelManifest } from '../src/core/model/manifest';
import { preprocessImage } from '../src/core/model/preprocess';
import { generatePhantomCase } from '../src/core/phantom/generate';
import { METHOD_CATALOG } from '../src/core/saliency/catalog';
import { runSaliency, type SaliencyRun } from '../src/core/saliency/run';
import { maxOverChannels } from '../src/core/saliency/xrai';
import { xraiFull } from '../src/core/saliency/xraiSelection';
import { xraiSegments } from '../src/core/segmentation/xraiSegments';
import { saveModelFolder } from '../src/cli/testing/tinyModel';
import { buildSmallCnn, useKernels } from './gradients_core';
import { median } from './stats';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const value = (name: string) => {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
};
const quick = flag('quick');
const reps = Math.max(1, Number(value('reps') ?? (quick ? 1 : 3)));
const MODELS = ['small-cnn', 'densenet-compact-s1'];
const models = value('models')?.split(',') ?? MODELS;
for (const m of models) if (!MODELS.includes(m)) throw new Error(`bench/methods.ts: --models: unknown model "${m}"; known: ${MODELS.join(', ')}`);
const cores = os.availableParallelism();
const kernelModes = (value('kernels') ?? 'after').split(',') as Array<'before' | 'after'>;
for (const k of kernelModes) if (k !== 'before' && k !== 'after') throw new Error(`bench/methods.ts: --kernels takes before and/or after; found "${k}"`);
const threadCounts = [...new Set((value('threads') ?? '1,all').split(',').map((t) => (t === 'all' ? cores : Number(t))))];
for (const t of threadCounts) if (!Number.isInteger(t) || t < 1) throw new Error(`bench/methods.ts: --threads takes counts >= 1 or "all", separated by commas; found "${value('threads')}"`);
const cacheDir = path.join(root, '.cache/bench-methods');
mkdirSync(cacheDir, { recursive: true });

const loadAvg = () => os.loadavg().map((v) => v.toFixed(2)).join(' ');

/** The small CNN's manifest: the demo models' input convention (x in [-1, 1]), logit 0. */
const SMALL_CNN_MANIFEST: ModelManifest = {
  id: 'small-cnn', architecture: 'small-cnn', family: 'bench', input: { height: 224, width: 224, channels: 3 },
  preprocessing: { scale: 2, offset: -1 }, inputRange: [-1, 1], output: { kind: 'logit', index: 0 }, weightsSha256: '',
};

/** The model, its manifest, and the path of a model.json (with shards beside it) the PyTorch side rebuilds. */
async function loadModel(id: string): Promise<{ model: tf.LayersModel; manifest: ModelManifest; modelJson: string }> {
  if (id === 'small-cnn') {
    const model = buildSmallCnn();
    const dir = path.join(cacheDir, id);
    await saveModelFolder(model, dir, SMALL_CNN_MANIFEST);
    return { model, manifest: SMALL_CNN_MANIFEST, modelJson: path.join(dir, 'model.json') };
  }
  const dir = path.join(root, 'public/models', id);
  const lm = await loadModelDir(dir);
  return { model: asLayersModel(lm.model, 'the methods bench', id), manifest: lm.manifest, modelJson: path.join(dir, 'model.json') };
}

interface HcRow {
  id: string; kernels: 'before' | 'after'; threads: number; maxBatch: number; reps: number;
  gradMs: number; ig25Ms: number; sg25Ms: number; xraiMs: number; xraiSegMs: number; xraiSelMs: number; xraiGradMs: number;
  targetAtInput: number;
  ig25: { steps?: number; completenessError?: number; attributionSum?: unknown; targetAtBaselines?: unknown };
  xrai: { steps?: number; stepsPerBaseline?: unknown; completenessPerBaseline?: unknown; segments?: unknown; masks: number; warnings?: string[] };
}
interface TorchRow {
  id: string; threads: number; torch: string; reps: number; maxBatch: number; weightsLoaded: number; targetAtInput: number;
  gradMs: number; ig25Ms: number; sg25Ms: number; xraiMs: number; xraiGradMs: number; xraiSegMs: number; xraiSelMs: number; xraiSelOwnMs: number;
  ig25: { sum: number; fx: number; fb: number; error: number | null };
  xrai: { steps: number[]; masks: number; black: { error: number | null }; white: { error: number | null } };
}
const results: Array<{ threads: number; heatcheck: HcRow[]; torch: TorchRow[]; torchError?: string; loadStart: string; loadEnd: string }> = [];

/** A distinct nudge per XRAI run, across thread counts: xrai.ts's segment cache must miss. */
let nudge = 0;

async function timeRuns(probe: ReturnType<typeof createProbe>, x: Float32Array, req: Parameters<typeof runSaliency>[2], n: number, perturb = false): Promise<{ ms: number; last: SaliencyRun; all: number[] }> {
  const all: number[] = [];
  let last: SaliencyRun | null = null;
  for (let i = 0; i < n; i++) {
    let xi = x;
    if (perturb) {
      xi = x.slice();
      xi[0] += 1e-5 * ++nudge;
    }
    last = await runSaliency(probe, xi, { ...req, seed: i });
    all.push(last.ms);
  }
  return { ms: median(all), last: last!, all };
}

async function runNode(threadsAsked: number): Promise<{ rows: HcRow[]; spec: unknown[] }> {
  setNodeWasmThreads(threadsAsked);
  await initNodeBackend('wasm');
  const threads = (await nodeWasmThreads()) ?? 1;
  const rows: HcRow[] = [];
  const spec: unknown[] = [];
  for (const id of models) {
    const { model, manifest, modelJson } = await loadModel(id);
    const probe = createProbe(model, manifest);
    const [h, w, c] = probe.inputShape;
    const img = generatePhantomCase(7, 0, { size: 512 });
    const x = preprocessImage({ width: img.width, height: img.height, data: img.image }, manifest);
    const inputPath = path.join(cacheDir, `${id}.input.f32`);
    writeFileSync(inputPath, Buffer.from(x.buffer, x.byteOffset, x.byteLength));
    const B = probe.maxBatch;
    process.stderr.write(`heatcheck wasm ${threads} thread(s): ${id} (batch ${B}) ...\n`);
    // Warm-up: one gradient at batch 1 and one batch of B (SmoothGrad with B samples), the shapes the methods run.
    await runSaliency(probe, x, { method: 'grad' });
    await runSaliency(probe, x, { method: 'sg', params: { samples: B, noise: 0.15 } });

    for (const kernels of kernelModes) {
      useKernels(kernels);
      const grad = await timeRuns(probe, x, { method: 'grad' }, reps);
      const ig = await timeRuns(probe, x, { method: 'ig', params: { steps: 25, maxSteps: 25, rule: 'pair', baseline: 'black' } }, reps);
      const sg = await timeRuns(probe, x, { method: 'sg', params: { samples: 25, noise: 0.15 } }, reps);
      const xr = await timeRuns(probe, x, { method: 'xrai', params: { ...METHOD_CATALOG.xrai.defaults } }, reps, true);
      // XRAI's non-gradient part: segments of the input (not through the cache) and the full selection on the IG-25 attribution.
      const attr = maxOverChannels(ig.last.output.raw, c);
      const seg: number[] = [];
      const sel: number[] = [];
      let masks: Int32Array[] = [];
      for (let i = 0; i < reps; i++) {
        const t0 = performance.now();
        masks = xraiSegments(x, w, h, c);
        const t1 = performance.now();
        xraiFull(attr, masks);
        seg.push(t1 - t0);
        sel.push(performance.now() - t1);
      }
      const xinfo = xr.last.output.info ?? {};
      const row: HcRow = {
        id, kernels, threads, maxBatch: B, reps,
        gradMs: grad.ms, ig25Ms: ig.ms, sg25Ms: sg.ms, xraiMs: xr.ms, xraiSegMs: median(seg), xraiSelMs: median(sel),
        xraiGradMs: xr.ms - median(seg) - median(sel),
        targetAtInput: ig.last.targetLogit,
        ig25: { steps: ig.last.output.steps, completenessError: ig.last.output.completenessError, attributionSum: ig.last.output.info?.attributionSum, targetAtBaselines: ig.last.baselineLogits },
        xrai: { steps: xr.last.output.steps, stepsPerBaseline: xinfo.stepsPerBaseline, completenessPerBaseline: xinfo.completenessPerBaseline, segments: xinfo.segments, masks: masks.length, warnings: xr.last.output.warnings },
      };
      rows.push(row);
      const [nb, nw] = (xinfo.stepsPerBaseline as number[] | undefined) ?? [100, 100];
      if (kernels === kernelModes[kernelModes.length - 1]) spec.push({ id, modelJson, input: inputPath, shape: [h, w, c], inputRange: probe.inputRange, maxBatch: B, reps, xraiSteps: [nb, nw] });
      process.stderr.write(`  kernels ${kernels}: grad ${f(grad.ms)} ms, IG-25 ${f(ig.ms)} ms (${row.ig25.steps} steps), SG-25 ${f(sg.ms)} ms, XRAI ${f(xr.ms)} ms (steps ${nb}/${nw})\n`);
    }
    useKernels('after');
    probe.dispose();
    model.dispose();
  }
  return { rows, spec };
}

function runTorch(threads: number, spec: unknown[]): { rows: TorchRow[]; error?: string } {
  const specPath = path.join(cacheDir, 'torch_spec.json');
  writeFileSync(specPath, JSON.stringify(spec));
  process.stderr.write(`pytorch ${threads} thread(s) ...\n`);
  const r = spawnSync('/usr/bin/python3', [path.join(root, 'bench/methods_torch.py'), specPath, String(threads)], { encoding: 'utf8', cwd: root, timeout: 3_600_000 });
  const rows = (r.stdout ?? '').split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as TorchRow);
  if (r.status !== 0) return { rows, error: `exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-4).join(' | ')}` };
  return { rows };
}

const f = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const pct = (e: unknown) => (typeof e === 'number' ? `${(100 * e).toPrecision(3)} %` : '—');

function report(r: (typeof results)[number]): void {
  console.log(`\n## ${r.threads} thread${r.threads > 1 ? 's' : ''}: Node wasm (tfjs ${tf.version.tfjs}) vs PyTorch ${r.torch[0]?.torch ?? ''}`);
  console.log(`load average (1, 5, 15 min) at start: ${r.loadStart}; at end: ${r.loadEnd} (${cores} cores)\n`);
  const withBefore = r.heatcheck.some((h) => h.kernels === 'before') && r.heatcheck.some((h) => h.kernels === 'after');
  console.log(`| model | method |${withBefore ? ' Heatcheck before ms | Heatcheck after ms | speed-up |' : ' Heatcheck ms |'} PyTorch ms | ratio |`);
  console.log(`|---|---|${withBefore ? '---|---|---|' : '---|'}---|---|`);
  const cases: Array<[string, keyof HcRow & keyof TorchRow]> = [
    ['gradient', 'gradMs'], ['IG-25', 'ig25Ms'], ['SG-25', 'sg25Ms'], ['XRAI', 'xraiMs'],
    ['XRAI: gradient part', 'xraiGradMs'], ['XRAI: segmentation', 'xraiSegMs'], ['XRAI: selection', 'xraiSelMs'],
  ];
  const shown = withBefore ? r.heatcheck.filter((h) => h.kernels === 'after') : r.heatcheck;
  for (const hc of shown) {
    const t = r.torch.find((x) => x.id === hc.id);
    const before = r.heatcheck.find((h) => h.id === hc.id && h.kernels === 'before');
    for (const [label, key] of cases) {
      const a = hc[key] as number;
      const b = t?.[key] as number | undefined;
      const a0 = before?.[key] as number | undefined;
      const name = label === 'XRAI' ? `XRAI (steps ${JSON.stringify(hc.xrai.stepsPerBaseline)})` : label === 'IG-25' ? `IG-25 (${hc.ig25.steps} steps)` : label;
      const beforeCells = withBefore ? ` ${f(a0)} | ${f(a)} | ${a0 ? `${(a0 / a).toFixed(2)}x` : '—'} |` : ` ${f(a)} |`;
      console.log(`| ${hc.id} | ${name} |${beforeCells} ${f(b)} | ${b ? `${(a / b).toFixed(2)}x` : '—'} |`);
    }
  }
  console.log('');
  for (const hc of shown) {
    const t = r.torch.find((x) => x.id === hc.id);
    console.log(`- ${hc.id} (batch ${hc.maxBatch}, ${hc.reps} rep(s)): f(x) Heatcheck ${hc.targetAtInput.toFixed(5)}, PyTorch ${t ? t.targetAtInput.toFixed(5) : '—'}${t ? ` (${t.weightsLoaded} weight tensors loaded)` : ''}.`);
    console.log(`  IG-25 completeness error: Heatcheck ${pct(hc.ig25.completenessError)} (sum ${Number(hc.ig25.attributionSum).toPrecision(5)}, f(x) - f(black) = ${(hc.targetAtInput - Number(Object.values(hc.ig25.targetAtBaselines ?? {})[0])).toPrecision(5)}); ` +
      `PyTorch ${pct(t?.ig25.error)} (sum ${t ? t.ig25.sum.toPrecision(5) : '—'}, f(x) - f(black) = ${t ? (t.ig25.fx - t.ig25.fb).toPrecision(5) : '—'}).`);
    console.log(`  XRAI: Heatcheck steps per baseline ${JSON.stringify(hc.xrai.stepsPerBaseline)}, completeness ${JSON.stringify((hc.xrai.completenessPerBaseline as Array<number | null> | undefined)?.map((e) => pct(e)))}, ${hc.xrai.masks} masks; ` +
      `PyTorch steps ${t ? JSON.stringify(t.xrai.steps) : '—'}, completeness [${t ? `${pct(t.xrai.black.error)}, ${pct(t.xrai.white.error)}` : '—'}], ${t?.xrai.masks ?? '—'} masks, selection on its own attribution ${f(t?.xraiSelOwnMs)} ms.`);
    for (const wmsg of hc.xrai.warnings ?? []) console.log(`  Heatcheck warning: ${wmsg}`);
  }
  if (r.torchError) console.log(`\nPyTorch side failed (${r.torchError}).`);
}

console.log(`# Saliency methods per case: Heatcheck (runSaliency, Node wasm) vs PyTorch autograd (PAIR's arithmetic)`);
console.log(`models ${models.join(', ')}; threads ${threadCounts.join(', ')}; median of ${reps} rep(s) after warm-up; ratio = Heatcheck / PyTorch.`);
for (const t of threadCounts) {
  const loadStart = loadAvg();
  const node = await runNode(t);
  const spec = node.spec.filter((s) => existsSync((s as { modelJson: string }).modelJson));
  const torch = runTorch(t, spec);
  const r = { threads: node.rows[0]?.threads ?? t, heatcheck: node.rows, torch: torch.rows, torchError: torch.error, loadStart, loadEnd: loadAvg() };
  results.push(r);
  report(r);
}
console.log(`\nIG-25 runs the same nodes and weights on both sides (PAIR's rule), so its completeness errors agree. XRAI's do not have to: Heatcheck's IG uses its default trapezoid rule and PyTorch PAIR's linspace mean, at the same steps (the same number of gradients).`);
console.log(`XRAI's gradient part on the Heatcheck side is the run's time less the segmentation and selection timed apart (xraiSegments, xraiFull on the IG-25 attribution); the PyTorch side times each part, and its XRAI row is the whole of PAIR's XRAI (selection on XRAI's own attribution). ` +
  `Heatcheck's IG and XRAI also evaluate the target at the input and baselines (one forward of batch 2 per baseline) for completeness; PAIR does not.`);
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, 'bench/results/methods.json'), JSON.stringify({ cores, reps, models, results }, null, 1));
