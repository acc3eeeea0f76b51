/**
 * Demo models on the wasm backend in Node, batch 1: ms per forward pass and per forward +
 * input-gradient pass (the logit's gradient with respect to the input), median of 20 after 3
 * warm-up runs. Two gradient routes: stock `tf.grad` through the LayersModel (which also computes
 * weight gradients inside fused layers) and the project's fast input-gradient executor
 * (src/core/model/fastgrad.ts). Prints a table; asserts nothing.
 *
 *   npx tsx bench/models.ts [--reps 20]
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { initNodeBackend } from '../src/cli/nodeBackend';
import { loadModelDir } from '../src/cli/modelDir';
import { asLayersModel } from '../src/core/model/createProbe';
import { buildArchitecture } from '../src/core/model/architectures';
import { createFastGrad } from '../src/core/model/fastgrad';

const IDS = [
  ['densenet-compact-s1', 'densenet-compact'],
  ['densenet-compact-s2', 'densenet-compact'],
  ['inception-compact-s1', 'inception-compact'],
  ['inception-compact-s2', 'inception-compact'],
] as const;
const i = process.argv.indexOf('--reps');
const REPS = i > 0 ? Number(process.argv[i + 1]) : 20;

function median(f: () => void): number {
  for (let k = 0; k < 3; k++) f();
  const t: number[] = [];
  for (let k = 0; k < REPS; k++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

const choice = await initNodeBackend('wasm');
const rows: string[][] = [];
for (const [id, arch] of IDS) {
  const dir = path.join('public', 'models', id);
  const trained = existsSync(path.join(dir, 'model.json'));
  const model = trained ? asLayersModel((await loadModelDir(dir)).model, 'the model bench', id) : buildArchitecture(arch, { seed: 1 });
  const [h, w, c] = model.inputs[0].shape.slice(1) as number[];
  const x = tf.randomUniform([1, h, w, c], -1, 1) as tf.Tensor4D;
  const fwd = median(() => tf.tidy(() => { (model.predict(x) as tf.Tensor).dataSync(); }));
  const stock = median(() => tf.tidy(() => {
    const { value, grad } = tf.valueAndGrad((xx: tf.Tensor) => (model.apply(xx) as tf.Tensor).sum())(x);
    value.dataSync();
    grad.dataSync();
  }));
  let fast = NaN;
  try {
    const fg = createFastGrad(model, (out) => out.reshape([-1]) as tf.Tensor1D);
    fast = median(() => tf.tidy(() => {
      const { value, grad } = fg.valueAndGradients(x);
      value.dataSync();
      grad.dataSync();
    }));
    fg.dispose();
  } catch (e) {
    console.error(`${id}: fast gradient route failed: ${(e as Error).message}`);
  }
  rows.push([id + (trained ? '' : ' (random weights)'), `${h}x${w}x${c}`, String(model.countParams()), fwd.toFixed(1), stock.toFixed(1), (stock / fwd).toFixed(1), fast.toFixed(1), (fast / fwd).toFixed(1)]);
  x.dispose();
  model.dispose();
}
const head = ['model', 'input', 'params', 'forward ms', 'fwd+grad ms (tf.grad)', 'x fwd', 'fwd+grad ms (fastgrad)', 'x fwd'];
const widths = head.map((hd, k) => Math.max(hd.length, ...rows.map((r) => r[k].length)));
const line = (r: string[]) => '| ' + r.map((v, k) => v.padEnd(widths[k])).join(' | ') + ' |';
console.log(`Demo models, batch 1, ${choice.active} backend in Node (${tf.version.tfjs}), median of ${REPS} after 3 warm-up runs`);
console.log(line(head));
console.log('|' + widths.map((wd) => '-'.repeat(wd + 2)).join('|') + '|');
for (const r of rows) console.log(line(r));
