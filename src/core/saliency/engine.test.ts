import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { METHODS } from './registry';
import { createRng } from './rng';
import { countingProbe, seededValues } from './testing';
import { createTfProbe } from '../model/probe';
import { validateManifest } from '../model/manifest';
import { runPath, gradientPath } from './engine';

beforeAll(async () => { await tf.setBackend('cpu'); });

function smallModel() {
  const inp = tf.input({ shape: [8, 8, 1] });
  let h = tf.layers.conv2d({ name: 'b1_conv', filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(inp) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ name: 'b1_bn' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({ name: 'head_gap' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'logit', units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: out });
}
const manifest = validateManifest({ id: 'small', input: { height: 8, width: 8, channels: 1 }, preprocessing: { scale: 2, offset: -1 }, output: { kind: 'sigmoid', index: 0 } });
const small: Record<string, Record<string, unknown>> = {
  gradcam: {},
  grad: {},
  // tolerance 0 forces one doubling (5 -> 10) and a warning: the adaptive path is covered too.
  ig: { steps: 5, baseline: 'black', tolerance: 0, maxSteps: 10 },
  sg: { samples: 3, noise: 0.15 },
  sig: { samples: 2, steps: 3, noise: 0.15, baseline: 'black', tolerance: 0, maxSteps: 6 },
};

describe('tensors stay on the device and nothing leaks', () => {
  it('runs every registered method 100 times: tensor count and bytes end where they started', async () => {
    const model = smallModel();
    const probe = createTfProbe(model, manifest, { maxBatch: 4 });
    const x = tf.tensor3d(seededValues(64, 3), [8, 8, 1]);
    for (const id of Object.keys(METHODS)) {
      const params = small[id] ?? METHODS[id].presets.quick;
      // One warm-up run (lazy weight reads and kernels), then the count.
      await METHODS[id].fn(probe, x, params as never, { rng: createRng(1) });
      const before = tf.memory();
      for (let i = 0; i < 100; i++) await METHODS[id].fn(probe, x, params as never, { rng: createRng(i) });
      const after = tf.memory();
      expect({ id, numTensors: after.numTensors, numBytes: after.numBytes }).toEqual({ id, numTensors: before.numTensors, numBytes: before.numBytes });
    }
    x.dispose();
    probe.dispose();
    model.dispose();
  });

  it('a cancelled run (checkpoint throws) leaves nothing behind', async () => {
    const model = smallModel();
    const probe = createTfProbe(model, manifest, { maxBatch: 2 });
    const x = tf.tensor3d(seededValues(64, 4), [8, 8, 1]);
    await METHODS.sig.fn(probe, x, small.sig as never, { rng: createRng(1) });
    const before = tf.memory().numTensors;
    let batches = 0;
    const checkpoint = async () => { if (++batches === 2) throw Object.assign(new Error('cancelled'), { code: 'CANCELLED' }); };
    await expect(METHODS.sig.fn(probe, x, small.sig as never, { rng: createRng(1), checkpoint })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});

describe('batching', () => {
  it('paper IG (25 steps) with maxBatch 8 makes 4 gradient calls; SIG 25 x 25 makes ceil(625 / 8) = 79', async () => {
    const model = smallModel();
    const x = tf.tensor3d(seededValues(64, 5), [8, 8, 1]);
    const { probe, calls } = countingProbe(createTfProbe(model, manifest, { maxBatch: 8 }));
    // The starting steps alone (maxSteps = steps: no doubling), to count the batches of one pass.
    await METHODS.ig.fn(probe, x, { ...METHODS.ig.presets.paper, maxSteps: 25 } as never, { rng: createRng(0) });
    expect(calls.inputGradients).toEqual([8, 8, 8, 1]);
    calls.inputGradients.length = 0;
    await METHODS.sig.fn(probe, x, { ...METHODS.sig.presets.paper, maxSteps: 25 } as never, { rng: createRng(0) });
    expect(calls.inputGradients.length).toBe(79);
    expect(calls.inputGradients.reduce((a, b) => a + b, 0)).toBe(625);
    x.dispose();
    model.dispose();
  });

  it('halves the batch after an out-of-memory error and carries on', async () => {
    const model = smallModel();
    const inner = createTfProbe(model, manifest, { maxBatch: 8 });
    const sizes: number[] = [];
    const probe = Object.create(inner) as typeof inner;
    Object.defineProperty(probe, 'maxBatch', { get: () => inner.maxBatch });
    probe.inputGradients = (b) => {
      sizes.push(b.shape[0]);
      if (b.shape[0] > 3) throw new Error('Failed to allocate 512 MB: out of memory');
      return inner.inputGradients(b);
    };
    const x = tf.tensor3d(seededValues(64, 6), [8, 8, 1]);
    const before = tf.memory().numTensors;
    let rows = 0;
    await runPath(probe, 1, () => x.expandDims(0) as tf.Tensor4D, { ...gradientPath, rows: 1 }, {}, (_s, a) => { rows++; a.dispose(); });
    expect(rows).toBe(1);
    const ig = await METHODS.ig.fn(probe, x, { steps: 10, baseline: 'black' } as never, { rng: createRng(0) });
    expect(ig.raw.length).toBe(64);
    expect(inner.maxBatch).toBe(2);
    // 8 fails, 4 fails, then 2 + 2 + 2 + 2 + 2.
    expect(sizes.slice(1)).toEqual([8, 4, 2, 2, 2, 2, 2]);
    inner.dispose(); // the probe's own prepared filters (fast gradients) go with it
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  it('progress counts rows up to the total', async () => {
    const model = smallModel();
    const probe = createTfProbe(model, manifest, { maxBatch: 8 });
    const x = tf.tensor3d(seededValues(64, 7), [8, 8, 1]);
    const seen: Array<[number, number]> = [];
    await METHODS.sg.fn(probe, x, { samples: 10, noise: 0.15 } as never, { rng: createRng(0), onProgress: (d, t) => seen.push([d, t]) });
    expect(seen).toEqual([[8, 10], [10, 10]]);
    x.dispose();
    model.dispose();
  });
});
