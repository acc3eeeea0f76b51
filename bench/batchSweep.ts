/**
 * Batch-size sweep of the input-gradient pass on wasm (the pass IG's interpolation steps and
 * SmoothGrad's noise samples are batched through): images per second of fastgrad at each batch,
 * per model and thread count. Chooses defaultMaxBatch (src/core/model/probe.ts) by measurement.
 *
 *   npx tsx bench/batchSweep.ts [--models small-cnn,densenet-compact-s1] [--batches 1,2,4,8,16] [--threads 1,all]
 *
 * Median of 3 timed passes per batch after one warm-up. Timings on a shared machine are noisy: rerun quiet.
 */
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import { initNodeBackend, nodeWasmThreads, setNodeWasmThreads } from '../src/cli/nodeBackend';
import { createFastGrad } from '../src/core/model/fastgrad';
import { buildSmallCnn, WORKLOADS } from './gradients_core';

const args = process.argv.slice(2);
const value = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const models = (value('models') ?? 'small-cnn,densenet-compact-s1').split(',');
const batches = (value('batches') ?? '1,2,4,8,16').split(',').map(Number);
const threadCounts = (value('threads') ?? '1,all').split(',').map((t) => (t === 'all' ? Math.min(8, os.availableParallelism()) : Number(t)));

async function load(id: string): Promise<tf.LayersModel> {
  if (id === 'small-cnn') return buildSmallCnn();
  const w = WORKLOADS.find((x) => x.id === id);
  if (w?.kind === 'architecture') return (await import('../src/core/model/architectures/index')).buildArchitecture(w.source, { seed: 1 });
  const { readFileSync } = await import('node:fs');
  const path = await import('node:path');
  const { loadModelFromFiles, shardPaths } = await import('../src/core/model/load');
  const { asLayersModel } = await import('../src/core/model/createProbe');
  const dir = path.join('public/models', id);
  const modelJson = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const shards = new Map<string, Uint8Array>();
  for (const p of shardPaths(modelJson)) shards.set(p, new Uint8Array(readFileSync(path.join(dir, p))));
  const lm = await loadModelFromFiles({ source: dir, modelJson, shards, manifest });
  return asLayersModel(lm.model, 'the batch sweep', lm.manifest.id);
}

const target0 = (o: tf.Tensor) => tf.squeeze(tf.slice(o, [0, 0], [-1, 1]), [1]) as tf.Tensor1D;
console.log(`load average at start: ${os.loadavg().map((v) => v.toFixed(1)).join(' ')} (${os.availableParallelism()} cores)`);
console.log(`| threads | model | input | ${batches.map((b) => `batch ${b} img/s`).join(' | ')} | best |`);
console.log(`|---|---|---|${batches.map(() => '---').join('|')}|---|`);
for (const t of threadCounts) {
  setNodeWasmThreads(t);
  await initNodeBackend('wasm');
  const threads = await nodeWasmThreads();
  for (const id of models) {
    const model = await load(id);
    const shape = model.inputs[0].shape.slice(1) as number[];
    const fg = createFastGrad(model, target0);
    const ips: number[] = [];
    for (const b of batches) {
      const x = tf.randomNormal([b, ...shape] as [number, number, number, number], 0, 0.5, 'float32', 5) as tf.Tensor4D;
      const ts: number[] = [];
      for (let i = 0; i < 4; i++) {
        const t0 = performance.now();
        const g = fg.inputGradients(x);
        await g.data();
        g.dispose();
        if (i > 0) ts.push(performance.now() - t0);
      }
      x.dispose();
      ips.push(b / (ts.sort((a, c) => a - c)[1] / 1000));
    }
    fg.dispose();
    model.dispose();
    const best = batches[ips.indexOf(Math.max(...ips))];
    console.log(`| ${threads} | ${id} | ${shape.join('x')} | ${ips.map((v) => v.toFixed(2)).join(' | ')} | ${best} |`);
  }
}
console.log(`load average at the end: ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}`);
