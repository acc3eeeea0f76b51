/**
 * Browser side of bench/gradients.ts: a page that exposes `window.__heatcheckBench` so Playwright
 * can pick a backend (wasm with or without threads, webgl, webgpu) and time the same workloads as
 * the Node bench. Built by bench/browser/vite.config.ts (minified, like the app), served with
 * COOP/COEP so SharedArrayBuffer (WASM threads) is allowed.
 */
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { registerWasmExtraKernels } from '../../src/core/model/kernels/registerWasmKernels';
import { loadModelFromFiles, shardPaths } from '../../src/core/model/load';
import { asLayersModel } from '../../src/core/model/createProbe';
import { buildArchitecture } from '../../src/core/model/architectures';
import { buildSmallCnn, measureModel, optionsFor, timeIg, WORKLOADS, type MeasureResult } from '../gradients_core';

async function loadWorkload(id: string): Promise<tf.LayersModel> {
  const w = WORKLOADS.find((v) => v.id === id);
  if (!w) throw new Error(`unknown workload ${id}`);
  if (w.kind === 'small-cnn') return buildSmallCnn();
  if (w.kind === 'architecture') return buildArchitecture(w.source, { seed: 1 });
  const base = `./models/${w.source}/`;
  const modelJson = await (await fetch(base + 'model.json')).json();
  const manifest = await (await fetch(base + 'manifest.json')).json();
  const shards = new Map<string, Uint8Array>();
  for (const p of shardPaths(modelJson)) shards.set(p, new Uint8Array(await (await fetch(base + p)).arrayBuffer()));
  const lm = await loadModelFromFiles({ source: base, modelJson, shards, manifest });
  return asLayersModel(lm.model, 'the gradient bench', lm.manifest.id);
}

const api = {
  async init(backend: string, threads: number): Promise<Record<string, unknown>> {
    if (backend === 'wasm') {
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads > 1);
      if (threads > 1) {
        wasm.setThreadsCount(threads);
        // tfjs-backend-wasm 4.22 ignores setThreadsCount (tensorflow/tfjs#8513) and sizes its
        // XNNPACK pool as min(4, hardwareConcurrency / 2): 1 thread on a 2-core machine. Raising
        // what the page reports is the only knob left.
        if (new URLSearchParams(location.search).has('spoofCores')) {
          Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => threads * 2, configurable: true });
        }
      }
      wasm.setWasmPaths({
        'tfjs-backend-wasm.wasm': wasmUrl,
        'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
        'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
      });
    }
    const ok = await Promise.race([
      tf.setBackend(backend),
      new Promise<boolean>((r) => setTimeout(() => r(false), 30_000)),
    ]);
    if (!ok) return { ok: false, backend, error: `tf.setBackend('${backend}') failed or timed out`, crossOriginIsolated };
    await tf.ready();
    if (backend === 'wasm') registerWasmExtraKernels();
    return {
      ok: true, backend: tf.getBackend(), crossOriginIsolated,
      wasmThreads: backend === 'wasm' ? wasm.getThreadsCount() : null,
      userAgent: navigator.userAgent,
    };
  },
  /** Threads check: hardware threads and the median of a 3x3 conv (112x112x64 -> 64). */
  async convProbe(): Promise<Record<string, unknown>> {
    const x = tf.randomNormal([1, 112, 112, 64]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 64, 64]) as tf.Tensor4D;
    const ts: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      const y = tf.conv2d(x, w, 1, 'same');
      await y.data();
      ts.push(performance.now() - t0);
      y.dispose();
    }
    tf.dispose([x, w]);
    ts.sort((a, b) => a - b);
    return { hardwareConcurrency: navigator.hardwareConcurrency, convMs: ts[3], wasmThreads: tf.getBackend() === 'wasm' ? wasm.getThreadsCount() : null };
  },
  async run(id: string, withStock: boolean): Promise<MeasureResult> {
    const w = WORKLOADS.find((v) => v.id === id)!;
    const model = await loadWorkload(id);
    try {
      return await measureModel(model, optionsFor(w, tf.getBackend(), withStock));
    } finally {
      model.dispose();
    }
  },
  async ig(id: string, steps: number, batch: number): Promise<number> {
    const model = await loadWorkload(id);
    try {
      await timeIg(model, 1, 1); // warm-up
      return await timeIg(model, steps, batch);
    } finally {
      model.dispose();
    }
  },
};

(window as unknown as { __heatcheckBench: typeof api }).__heatcheckBench = api;
document.getElementById('status')!.textContent = 'ready';
