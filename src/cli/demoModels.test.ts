import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { initNodeBackend } from '../platform/node/backend';
import { loadModelDir } from './modelDir';
import { asLayersModel } from '../core/model/createProbe';
import { readNpy } from '../core/io/npy';
import { architectureInfo } from '../core/model/architectures/index';

/**
 * The committed demo models (public/models, written by scripts/train_demo.py) against the
 * reference fixture of the same script: four held-out phantom inputs and the logits PyTorch gave
 * for them (fixtures/parity-inputs.npy, fixtures/<id>-torch-logits.npy). Export parity: TF.js on
 * wasm must give the same logits within 1e-4.
 */
const DEMO = ['densenet-compact-s1', 'densenet-compact-s2', 'inception-compact-s1', 'inception-compact-s2'];
const FIX = path.join(__dirname, '../core/model/architectures/fixtures');
const npy = (f: string) => readNpy(new Uint8Array(readFileSync(path.join(FIX, f))), f);

beforeAll(async () => {
  await initNodeBackend('wasm');
});

describe('demo models', () => {
  const index = JSON.parse(readFileSync(path.join('public', 'models', 'index.json'), 'utf8')) as { models: Array<{ id: string; path: string }> };

  it('index.json lists the four demo models', () => {
    expect(index.models.map((m) => m.id).sort()).toEqual([...DEMO].sort());
  });

  it.each(DEMO)('%s: TF.js (wasm) logits equal PyTorch\'s within 1e-4; manifest is complete', async (id) => {
    const { manifest, model, weightsHash } = await loadModelDir(path.join('public', 'models', id));
    const x = npy('parity-inputs.npy');
    const want = npy(`${id}-torch-logits.npy`);
    const got = tf.tidy(() => (model.predict(tf.tensor4d(Float32Array.from(x.data as Float32Array), x.shape as [number, number, number, number])) as tf.Tensor).dataSync());
    expect(got.length).toBe(want.data.length);
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - Number(want.data[i]))).toBeLessThanOrEqual(1e-4);

    const info = architectureInfo(manifest.architecture);
    expect(manifest.id).toBe(id);
    expect(manifest.family).toBe(info.family);
    expect(manifest.input).toEqual({ height: 128, width: 128, channels: 1 });
    expect(manifest.preprocessing).toEqual({ scale: 2, offset: -1 });
    expect(manifest.inputRange).toEqual([-1, 1]);
    expect(manifest.output).toEqual({ kind: 'logit', index: 0 });
    expect(manifest.gradcamLayer).toBe(info.gradcamLayer);
    expect((asLayersModel(model, 'this test', manifest.id).getLayer(manifest.gradcamLayer!).outputShape as number[]).length).toBe(4);
    expect(manifest.weightsSha256).toBe(weightsHash);
    expect(manifest.training?.framework).toMatch(/^pytorch/);
    expect(manifest.heldOutTest!.auroc).toBeGreaterThanOrEqual(0.9);
    expect(manifest.heldOutTest!.seed).not.toBe(manifest.training!.setSeed);
    model.dispose();
  });
});
