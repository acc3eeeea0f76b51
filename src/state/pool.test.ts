import { describe, expect, it } from 'vitest';
import { COPIES_PER_MODEL, MAX_POOL, poolSize, WORKER_BASE_BYTES } from './pool';

const MiB = 2 ** 20;
const base = { param: null, saved: null, cores: 8, deviceMemoryGiB: 8, largestModelBytes: 2 * MiB, modelsPerWorker: 2 };

describe('poolSize', () => {
  it('auto: one worker per core but one, at least one', () => {
    expect(poolSize(base).size).toBe(7);
    expect(poolSize({ ...base, cores: 2 }).size).toBe(1);
    expect(poolSize({ ...base, cores: 1 }).size).toBe(1);
    expect(poolSize({ ...base, cores: undefined }).size).toBe(1);
  });

  it('auto: capped by a quarter of the device memory over the per-worker estimate', () => {
    // 100 MiB models: each worker holds 96 MiB + 4 copies x 2 models x 100 MiB = 896 MiB; 8 GiB / 4 = 2048 MiB holds 2
    const big = { ...base, cores: 16, largestModelBytes: 100 * MiB };
    const r = poolSize(big);
    expect(r.perWorkerBytes).toBe(WORKER_BASE_BYTES + COPIES_PER_MODEL * 2 * 100 * MiB);
    expect(r.size).toBe(Math.floor((8 * 1024 * MiB) / 4 / r.perWorkerBytes));
    expect(r.size).toBe(2);
    expect(r.reason).toContain('auto');
    // no deviceMemory reported: 4 GiB assumed (1024 MiB for workers: 1 of 896 MiB)
    expect(poolSize({ ...big, deviceMemoryGiB: undefined }).size).toBe(1);
    // never under one, however big the model
    expect(poolSize({ ...big, largestModelBytes: 10 * 1024 * MiB }).size).toBe(1);
  });

  it('forced by ?pool= (over the saved setting), by the setting, else auto; capped at MAX_POOL', () => {
    expect(poolSize({ ...base, cores: 2, param: '2' })).toMatchObject({ size: 2, reason: expect.stringContaining('URL') });
    expect(poolSize({ ...base, cores: 2, param: '3', saved: '2' }).size).toBe(3);
    expect(poolSize({ ...base, cores: 2, saved: '2' })).toMatchObject({ size: 2, reason: expect.stringContaining('saved') });
    expect(poolSize({ ...base, param: 'auto', saved: '3' }).size).toBe(3);
    expect(poolSize({ ...base, param: '0' }).size).toBe(7);
    expect(poolSize({ ...base, param: 'two' }).size).toBe(7);
    expect(poolSize({ ...base, param: '1000' }).size).toBe(MAX_POOL);
  });
});
