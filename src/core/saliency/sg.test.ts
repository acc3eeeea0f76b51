import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { smoothGrad } from './sg';
import { countingProbe, linearProbe, seededValues } from './testing';
import { createRng } from './rng';
import { createTfProbe } from '../model/probe';
import { validateManifest } from '../model/manifest';

beforeAll(async () => { await tf.setBackend('cpu'); });

const shape: [number, number, number] = [4, 4, 1];

describe('SmoothGrad', () => {
  it('of a linear model is w^2 exactly (the gradient does not depend on the noise)', async () => {
    const w = seededValues(16, 11);
    const { probe, calls } = countingProbe(linearProbe(w, shape, 0, { maxBatch: 8 }));
    const x = tf.tensor3d(seededValues(16, 12), shape);
    const out = await smoothGrad(probe, x, { samples: 25, noise: 0.15 }, { rng: createRng(1) });
    x.dispose();
    for (let i = 0; i < 16; i++) expect(out.raw[i]).toBeCloseTo(w[i] * w[i], 6);
    // 25 noisy copies in batches of 8.
    expect(calls.inputGradients).toEqual([8, 8, 8, 1]);
  });

  it('same seed gives the same map, another seed a different one (non-linear model)', async () => {
    const inp = tf.input({ shape: [6, 6, 1] });
    const h = tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }).apply(inp) as tf.SymbolicTensor;
    const f = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }).apply(f) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: out });
    const manifest = validateManifest({ id: 'sg', input: { height: 6, width: 6, channels: 1 }, preprocessing: { scale: 2, offset: -1 }, output: { kind: 'logit', index: 0 } });
    const probe = createTfProbe(model, manifest, { maxBatch: 4 });
    const x = tf.tensor3d(seededValues(36, 13), [6, 6, 1]);
    const run = (seed: number) => smoothGrad(probe, x, { samples: 5, noise: 0.15 }, { rng: createRng(seed) });
    const a = await run(42);
    const b = await run(42);
    const c = await run(43);
    expect(Array.from(b.raw)).toEqual(Array.from(a.raw));
    expect(Array.from(c.raw)).not.toEqual(Array.from(a.raw));
    x.dispose();
    model.dispose();
  });
});
