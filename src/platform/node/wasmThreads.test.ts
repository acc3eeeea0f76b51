import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { initNodeBackend, nodeWasmThreads, parseThreads, setNodeWasmThreads } from './backend';
import { createFastGrad } from '../../core/model/fastgrad';
import { relErr, seeded } from '../../core/model/kernels/testUtil';
import { simdKernelStatus } from '../../core/model/kernels/simdKernels';

type S = tf.SymbolicTensor;

/** A small CNN: conv-ReLU-maxpool, conv-ReLU, global average pool, dense softmax. */
function smallCnn(): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3] });
  let x = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as S;
  x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as S;
  x = tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x) as S;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as S;
  const out = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(x) as S;
  return tf.model({ inputs: input, outputs: out });
}

const pick1 = (o: tf.Tensor) => tf.squeeze(tf.slice(o, [0, 1], [-1, 1]), [1]) as tf.Tensor1D;
const XS: [number, number, number, number] = [3, 32, 32, 3];

/** Input gradients of the small CNN (fixed seeded weights) by fastgrad and by tf.grad on the running backend. */
function gradients(): { fast: Float32Array; stock: Float32Array } {
  const m = smallCnn();
  const fresh = m.getWeights().map((w, i) => tf.tensor(seeded(w.size, 31 + i), w.shape));
  m.setWeights(fresh);
  tf.dispose(fresh);
  const fg = createFastGrad(m, pick1);
  const out = tf.tidy(() => {
    const x = tf.tensor4d(seeded(XS.reduce((a, b) => a * b), 5).map((v) => v * 4), XS);
    const fast = fg.inputGradients(x).dataSync().slice() as Float32Array;
    const stock = tf.grad((t: tf.Tensor) => tf.sum(pick1(m.predict(t) as tf.Tensor)))(x).dataSync().slice() as Float32Array;
    return { fast, stock };
  });
  fg.dispose();
  m.dispose();
  return out;
}

afterAll(async () => {
  setNodeWasmThreads(1);
  await initNodeBackend('wasm');
});

describe('threaded wasm in Node', () => {
  it('starts its pthread workers from a file, runs 2 threads, and gives the single-thread gradients', async () => {
    setNodeWasmThreads(1);
    await initNodeBackend('wasm');
    expect(await nodeWasmThreads()).toBe(1);
    const one = gradients();
    expect(simdKernelStatus()).toBe('wasm SIMD (plain memory)');

    setNodeWasmThreads(2);
    const choice = await initNodeBackend('wasm');
    expect(choice.active).toBe('wasm');
    expect(await nodeWasmThreads()).toBe(2);
    const two = gradients();
    // the fused backward kernels run as wasm SIMD on the threaded build's shared heap too
    expect(simdKernelStatus()).toBe('wasm SIMD (shared memory)');

    // Gradients are not zero (the comparison means something) and agree across thread counts.
    expect(Math.max(...one.fast.map(Math.abs))).toBeGreaterThan(1e-6);
    expect(relErr(two.fast, one.fast)).toBeLessThan(1e-6);
    expect(relErr(two.stock, one.stock)).toBeLessThan(1e-6);
    // and fastgrad still equals tf.grad on the threaded backend
    expect(relErr(two.fast, two.stock)).toBeLessThan(1e-5);
  });

  it('lets the CLI exit once its work is done (the pool threads do not hold Node open)', () => {
    const r = spawnSync(process.execPath, ['scripts/heatcheck.mjs', '--threads', '2', 'backends'], { encoding: 'utf8', timeout: 90_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { wasmThreads: number; backends: Array<{ name: string; ok: boolean }> };
    expect(out.wasmThreads).toBe(2);
    expect(out.backends.find((b) => b.name === 'wasm')?.ok).toBe(true);
  });

  it('reads --threads / HEATCHECK_THREADS as 1..8 or auto, with a message naming the source', () => {
    expect(parseThreads('auto', '--threads')).toBe('auto');
    expect(parseThreads(' 4 ', '--threads')).toBe(4);
    expect(() => parseThreads('0', '--threads')).toThrow(/--threads must be a whole number from 1 to 8 or auto, found "0"/);
    expect(() => parseThreads('9', 'HEATCHECK_THREADS')).toThrow(/HEATCHECK_THREADS/);
    expect(() => parseThreads('two', '--threads')).toThrow(/found "two"/);
  });
});
