import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { describeModelDir, loadModelDir } from './modelDir';
import { initNodeBackend } from './nodeBackend';

/**
 * describeModelDir reads what loadModelDir reports (manifest, weights hash) without building the
 * model: evaluate keys and scores stored maps with it, so the two must agree field for field.
 */
describe('describeModelDir', () => {
  it('gives the manifest and weights hash that building the model gives (the demo models)', async () => {
    await initNodeBackend('wasm');
    for (const id of ['densenet-compact-s1', 'inception-compact-s2']) {
      const dir = path.resolve('public/models', id);
      const lm = await loadModelDir(dir);
      const d = await describeModelDir(dir);
      lm.model.dispose();
      expect(d.weightsHash).toBe(lm.weightsHash);
      expect(d.manifest).toEqual(lm.manifest);
    }
  }, 120_000);
});
