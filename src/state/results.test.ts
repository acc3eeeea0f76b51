import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, getResult, putResult, resultKey, resultKeysOfKind, type SaliencyKeyParts } from './results';
import { openDatabase } from './db';

const parts: SaliencyKeyParts = { imageHash: 'img1', modelHash: 'w1', method: 'ig', params: { steps: 25, baseline: 'black' }, seed: null, backend: 'wasm', randomizationStep: null };

describe('result keys', () => {
  it('do not depend on the order of parameter keys', () => {
    expect(resultKey({ ...parts, params: { baseline: 'black', steps: 25 } })).toBe(resultKey(parts));
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
  });

  it('differ when any part differs', () => {
    const k = resultKey(parts);
    const variants: Partial<SaliencyKeyParts>[] = [
      { imageHash: 'img2' }, { modelHash: 'w2' }, { method: 'sig' }, { params: { steps: 26, baseline: 'black' } },
      { seed: 1 }, { backend: 'webgpu' }, { randomizationStep: 0 },
    ];
    const keys = variants.map((v) => resultKey({ ...parts, ...v }));
    for (const other of keys) expect(other).not.toBe(k);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('result store', () => {
  it('puts and gets a map by key (Float32Array survives), lists keys by kind', async () => {
    const db = openDatabase(`results-test-${Date.now()}`);
    const key = resultKey(parts);
    expect(await getResult(key, db)).toBeUndefined();
    await putResult(key, 'saliency', { map: new Float32Array([0, 0.5, 1]), width: 3, height: 1 }, db);
    const back = await getResult<{ map: Float32Array; width: number }>(key, db);
    expect(back?.map).toBeInstanceOf(Float32Array);
    expect(Array.from(back!.map)).toEqual([0, 0.5, 1]);
    expect(await resultKeysOfKind('saliency', db)).toEqual([key]);
    expect(await resultKeysOfKind('metrics', db)).toEqual([]);
  });
});
