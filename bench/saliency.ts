/**
 * Saliency speed (printed, not asserted): `npx tsx bench/saliency.ts [--node-only | --browser-only]`.
 *
 * For each demo model (public/models/<id>/): ms per example of one forward pass and of one
 * input-gradient pass at the probe's batch size, their ratio, and ms per case of every registered
 * method with the paper preset — in Node on wasm, then in Chromium (/usr/bin/chromium through
 * Playwright, against the built app and window.__heatcheck) on wasm, webgl and WebGPU
 * (SwiftShader, --enable-unsafe-webgpu). Without a GPU both webgl and webgpu run on SwiftShader, a
 * GPU emulated on the CPU (about 2 s per example forward here), so they are timed at batch
 * BENCH_GPU_BATCH (default 4) with one rep.
 *
 * To keep the run short, a method whose estimated time (gradient evaluations x measured ms per
 * gradient) exceeds BENCH_BUDGET_S (default 45 s) is not run (BENCH_BACKENDS=wasm,webgl picks the
 * Chromium backends): its cell shows the estimate, marked
 * "~". BENCH_BUDGET_S=1e9 measures everything. One case per model (BENCH_CASES to change).
 * Node runs at each `--threads` count (default `1,all`: one thread, then one per core).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { initNodeBackend, nodeWasmThreads, setNodeWasmThreads } from '../src/cli/nodeBackend';
import { loadModelDir } from '../src/cli/modelDir';
import { createProbe } from '../src/core/model/createProbe';
import { timeProbe } from '../src/core/model/probeTiming';
import { preprocessImage } from '../src/core/model/preprocess';
import { generatePhantomCase } from '../src/core/phantom/generate';
import { METHODS, methodIds } from '../src/core/saliency/registry';
import { runSaliency } from '../src/core/saliency/run';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUDGET_S = Number(process.env.BENCH_BUDGET_S ?? 45);
const CASES = Number(process.env.BENCH_CASES ?? 1);
const args = process.argv.slice(2);

/** Gradient evaluations per case for a method's parameters (Grad-CAM: one head gradient, counted as 1). */
function gradientEvaluations(id: string, p: Record<string, unknown>): number {
  const steps = Number(p.steps ?? 1);
  const samples = Number(p.samples ?? 1);
  if (id === 'ig') return steps;
  if (id === 'sg') return samples;
  if (id === 'sig') return samples * steps;
  if (id === 'xrai') return 2 * steps;
  if (id === 'blur-ig' || id === 'guided-ig') return steps;
  // Occlusion: forward passes only, (2 / patch - 1)^2 patches at stride half a patch, a forward costing about half a gradient.
  if (id === 'occlusion') return Math.pow(2 / Number(p.patch ?? 0.125) - 1, 2) / 2;
  return 1;
}

interface Row { env: string; model: string; maxBatch: number; forwardMs: number; gradientMs: number; ratio: number; methods: Record<string, string> }

function modelDirs(): string[] {
  const d = path.join(root, 'public', 'models');
  if (!existsSync(d)) return [];
  return readdirSync(d).filter((n) => existsSync(path.join(d, n, 'model.json'))).sort().map((n) => path.join(d, n));
}

const fmt = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);

async function nodeBench(threadsAsked: number): Promise<Row[]> {
  setNodeWasmThreads(threadsAsked);
  await initNodeBackend('wasm');
  const threads = (await nodeWasmThreads()) ?? 1;
  const rows: Row[] = [];
  for (const dir of modelDirs()) {
    const lm = await loadModelDir(dir);
    const probe = createProbe(lm.model, lm.manifest);
    const { maxBatch: B, forwardMs, gradientMs } = await timeProbe(probe, { reps: 2 });
    const methods: Record<string, string> = {};
    for (const id of methodIds({ extras: true })) {
      const p = METHODS[id].presets.paper;
      const est = gradientEvaluations(id, p) * gradientMs;
      if (est > BUDGET_S * 1000) {
        methods[id] = `~${fmt(est)}`;
        continue;
      }
      let total = 0;
      for (let k = 0; k < CASES; k++) {
        const img = generatePhantomCase(7, k, { size: 512 });
        const x = preprocessImage({ width: img.width, height: img.height, data: img.image }, lm.manifest);
        const r = await runSaliency(probe, x, { method: id, preset: 'paper', seed: k });
        total += r.ms;
      }
      methods[id] = fmt(total / CASES);
    }
    rows.push({ env: `node wasm, ${threads} thread${threads > 1 ? 's' : ''}`, model: lm.manifest.id, maxBatch: B, forwardMs, gradientMs, ratio: gradientMs / forwardMs, methods });
    probe.dispose();
    lm.model.dispose();
    printRows(rows.slice(-1), true);
  }
  return rows;
}

/** The same in Chromium: builds the app if needed, serves dist/, drives window.__heatcheck. */
async function browserBench(): Promise<Row[]> {
  const { chromium } = await import('@playwright/test');
  if (!existsSync(path.join(root, 'dist', 'index.html'))) {
    console.log('building the app (vite build)…');
    spawnSync('npx', ['vite', 'build'], { cwd: root, stdio: 'inherit' });
  }
  const port = 4190 + Math.floor(Math.random() * 50);
  const server: ChildProcess = spawn('npx', ['vite', 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'], { cwd: root, stdio: 'ignore', detached: true });
  const rows: Row[] = [];
  try {
    const base = `http://127.0.0.1:${port}/`;
    for (let i = 0; i < 60; i++) {
      try {
        if ((await fetch(base)).ok) break;
      } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 500));
    }
    const ids = modelDirs().map((d) => path.basename(d));
    for (const backend of (process.env.BENCH_BACKENDS ?? 'wasm,webgl,webgpu').split(',')) {
      const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: backend === 'webgpu' ? ['--enable-unsafe-webgpu'] : [] });
      try {
        const page = await browser.newPage();
        await page.goto(`${base}?backend=${backend}#/data`);
        await page.getByTestId('backend-badge').waitFor();
        const active = await page.waitForFunction(() => document.querySelector('[data-testid="backend-badge"]')?.getAttribute('data-backend') || null, null, { timeout: 120_000 }).then((h) => h.jsonValue());
        if (active !== backend) {
          console.log(`chromium ${backend}: the app started ${active} instead; skipped`);
          continue;
        }
        // A demo case's image hash (the demo study is generated into IndexedDB at start).
        const imageHash = await page.waitForFunction(() => new Promise<string | null>((res) => {
          const r = indexedDB.open('heatcheck');
          r.onsuccess = () => {
            const db = r.result;
            if (!db.objectStoreNames.contains('cases')) { db.close(); res(null); return; }
            const g = db.transaction('cases').objectStore('cases').getAll();
            g.onsuccess = () => { db.close(); const c = (g.result as Array<{ imageHash: string }>)[0]; res(c ? c.imageHash : null); };
            g.onerror = () => { db.close(); res(null); };
          };
          r.onerror = () => res(null);
        }), null, { timeout: 180_000 }).then((h) => h.jsonValue() as Promise<string>);
        // Without a GPU, webgl and webgpu run on SwiftShader, a GPU emulated on the CPU: a batch of 16
        // or 32 takes minutes, so they are timed at a small batch (BENCH_GPU_BATCH, default 4), once.
        const emulated = backend === 'webgl' || backend === 'webgpu';
        const batch = emulated ? Number(process.env.BENCH_GPU_BATCH ?? 4) : undefined;
        const reps = emulated ? 1 : 2;
        for (const modelId of ids) {
          const t = await page.evaluate(
            ([m, r, b]) => (window.__heatcheck!.probeTiming as (m: string, r: number, b?: number) => Promise<{ ok: boolean; value?: { maxBatch: number; forwardMs: number; gradientMs: number; ratio: number }; message?: string }>)(m as string, r as number, (b ?? undefined) as number | undefined),
            [modelId, reps, batch ?? null] as const,
          );
          if (!t.ok || !t.value) {
            console.log(`chromium ${backend} ${modelId}: ${t.message}`);
            continue;
          }
          const methods: Record<string, string> = {};
          for (const id of methodIds({ extras: true })) {
            const est = gradientEvaluations(id, METHODS[id].presets.paper) * t.value.gradientMs;
            if (est > BUDGET_S * 1000) {
              methods[id] = `~${fmt(est)}`;
              continue;
            }
            const r = await page.evaluate(
              (req) => (window.__heatcheck!.computeMap as (r: unknown) => Promise<{ ok: boolean; value?: { ms: number }; message?: string }>)(req),
              { imageHash, modelId, method: id, preset: 'paper', seed: 1, noCache: true },
            );
            methods[id] = r.ok && r.value ? fmt(r.value.ms) : `error: ${r.message}`;
          }
          rows.push({ env: `chromium ${backend}`, model: modelId, ...t.value, methods });
          printRows(rows.slice(-1), true);
        }
      } finally {
        await browser.close();
      }
    }
  } finally {
    if (server.pid) process.kill(-server.pid);
  }
  return rows;
}

let printedHeader = false;
function printRows(rows: Row[], progress = false): void {
  const ids = methodIds({ extras: true });
  const head = ['environment', 'model', 'batch', 'fwd ms/ex', 'grad ms/ex', 'grad/fwd', ...ids];
  if (!progress || !printedHeader) {
    console.log(`| ${head.join(' | ')} |`);
    console.log(`|${head.map(() => '---').join('|')}|`);
    printedHeader = progress;
  }
  for (const r of rows) {
    console.log(`| ${[r.env, r.model, r.maxBatch, r.forwardMs.toFixed(1), r.gradientMs.toFixed(1), r.ratio.toFixed(1), ...ids.map((id) => r.methods[id] ?? '-')].join(' | ')} |`);
  }
}

const t0 = Date.now();
console.log(`paper preset, ${CASES} case(s) per model, budget ${BUDGET_S} s per method (~ = estimated from the measured gradient time, not run)`);
const all: Row[] = [];
const threadsArg = args.includes('--threads') ? args[args.indexOf('--threads') + 1] : '1,all';
const threadCounts = [...new Set(threadsArg.split(',').map((t) => (t === 'all' ? Math.min(8, os.availableParallelism()) : Number(t))))];
if (!args.includes('--browser-only')) for (const t of threadCounts) all.push(...(await nodeBench(t)));
if (!args.includes('--node-only')) all.push(...(await browserBench()));
console.log('\nall:');
printedHeader = false;
printRows(all);
console.log(`total ${((Date.now() - t0) / 1000).toFixed(0)} s`);
