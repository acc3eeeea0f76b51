import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../main';
import { shardJobs } from '../plan/plan';
import { byCostDescending, UnitQueue, unitsByCost } from './pool';
import { runCli } from '../testing/runCli';
import { npyFiles } from '../testing/npyFiles';

/** The demo models shipped with the app: real networks, small enough for a unit test. */
const MODELS = path.resolve('public/models');
const DENSE = path.join(MODELS, 'densenet-compact-s1');
const INCEPTION = path.join(MODELS, 'inception-compact-s1');

let root: string;
let study: string;

const cli = runCli;


const index = (dir: string) => (JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')).maps as Array<Record<string, unknown>>).map(({ ms: _ms, ...rest }) => rest);

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'heatcheck-jobs-'));
  study = path.join(root, 'study');
  expect((await cli(['phantom', '--out', study, '--count', '3', '--seed', '2022'])).code).toBe(0);
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('cost-balanced shards', () => {
  it('splits a hand-worked case greedily, largest first, to the least loaded part', () => {
    const jobs = [5, 4, 3, 3, 3].map((cost, k) => ({ key: 'abcde'[k], cost }));
    // a(5)->0; b(4)->1; c(3)->1 (4 < 5, now 7); d(3)->0 (5 < 7, now 8); e(3)->1 (7 < 8, now 10).
    expect(shardJobs(jobs, 2).map((p) => p.map((j) => j.key).join(''))).toEqual(['ad', 'bce']);
    expect(byCostDescending(jobs.map((j) => ({ ...j, case: '', model: '', method: '', seed: 0, params: {} }))).map((j) => j.key).join('')).toBe('abcde');
  });

  it('hands a pool a case on one network at a time, largest unit first, and lends what is left', () => {
    const job = (key: string, c: string, model: string, cost: number, step?: number) => ({ key, case: c, model, method: key, seed: 0, params: {}, cost, ...(step !== undefined ? { step, reinitSeed: 0 } : {}) });
    // Units: (c1, m) = a1 + a2 + a3 = 7; (c2, m) = b1 + b2 = 9; (c1, m at cascade step 1) = r1 = 4; (c3, n) = d1 = 1.
    const jobs = [job('a1', 'c1', 'm', 1), job('a2', 'c1', 'm', 4), job('b1', 'c2', 'm', 4), job('a3', 'c1', 'm', 2), job('b2', 'c2', 'm', 5), job('r1', 'c1', 'm', 4, 1), job('d1', 'c3', 'n', 1)];
    expect(unitsByCost(jobs).map((u) => u.map((j) => j.key).join(' '))).toEqual(['b2 b1', 'a2 a3 a1', 'r1', 'd1']);
    const q = new UnitQueue(jobs, 2);
    // Worker 0 takes unit b, worker 1 unit a; each goes on with its own unit before taking another.
    const order = [q.take(0), q.take(1), q.take(1), q.take(0), q.take(0), q.take(0), q.take(1), q.take(1), q.take(0)].map((j) => j?.key ?? '-');
    expect(order).toEqual(['b2', 'a2', 'a3', 'b1', 'r1', 'd1', 'a1', '-', '-']);
    // One unit, two workers: the idle one takes the largest job the other still holds.
    const one = new UnitQueue([job('x', 'c1', 'm', 1), job('y', 'c1', 'm', 3), job('z', 'c1', 'm', 2)], 2);
    expect([one.take(0), one.take(1), one.take(1), one.take(0)].map((j) => j?.key ?? '-')).toEqual(['y', 'z', 'x', '-']);
  });

  it('puts every job in exactly one part, loads within the largest job of each other', () => {
    let s = 7;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const jobs = Array.from({ length: 57 }, (_, k) => ({ key: `j${k}`, cost: 1 + Math.floor(rnd() * 100) }));
    for (const n of [1, 2, 3, 4, 7]) {
      const parts = shardJobs(jobs, n);
      expect(parts.flat().map((j) => j.key).sort()).toEqual(jobs.map((j) => j.key).sort());
      const loads = parts.map((p) => p.reduce((a, j) => a + j.cost, 0));
      expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(Math.max(...jobs.map((j) => j.cost)));
    }
  });
});

describe('heatcheck plan, maps --plan --jobs, merge', () => {
  it('plans case x model x method jobs with their costs and keys, and the randomized models\' jobs', async () => {
    const plan = path.join(root, 'plan.json');
    const { code, json } = await cli(['plan', '--study', study, '--models', `${DENSE},${INCEPTION}`, '--methods', 'gradcam,ig,sg,xrai', '--preset', 'quick', '--seed', '3', '--out', plan]);
    expect(code).toBe(0);
    const p = JSON.parse(readFileSync(plan, 'utf8'));
    // Quick preset (starting steps): Grad-CAM one pass, IG 16 steps, SmoothGrad 6 samples, XRAI 2 x 16 steps + 4.
    const passes: Record<string, number> = { gradcam: 1, ig: 16, sg: 6, xrai: 36 };
    const trained = p.jobs.filter((j: { step?: number }) => j.step === undefined);
    expect(trained.length).toBe(3 * 2 * 4);
    expect(json).toMatchObject({ cases: 3 });
    for (const j of p.jobs) {
      expect(j.cost).toBe(passes[j.method]);
      expect(j.key).toBe(j.step === undefined ? `${j.case}/${j.model}/${j.method}.npy` : `${j.case}/${j.model}@cascade-${j.step}/${j.method}.npy`);
      expect(j.seed).toBe(3);
    }
    expect(p.jobs.slice(0, 4).map((j: { method: string }) => j.method)).toEqual(['gradcam', 'ig', 'sg', 'xrai']);
    // Cascading randomization as evaluate --preset quick runs it: 3 steps of each model's cascade, ending at
    // the fully randomized one, on the abnormal cases (cases.csv's label 1; at most 6), every method.
    const abnormal = readFileSync(path.join(study, 'cases.csv'), 'utf8').trim().split('\n').slice(1).filter((l) => l.split(',')[2] === '1').length;
    expect(abnormal).toBeGreaterThan(0);
    for (const m of p.models) {
      const randomized = p.jobs.filter((j: { model: string; step?: number }) => j.model === m.id && j.step !== undefined);
      const steps = [...new Set(randomized.map((j: { step: number }) => j.step))];
      expect(steps.length).toBe(Math.min(3, m.cascade.length));
      expect(steps).toContain(m.cascade.at(-1).step);
      expect(randomized.length).toBe(steps.length * abnormal * 4);
    }
    expect(json.totalCost).toBe(p.jobs.reduce((a: number, j: { method: string }) => a + passes[j.method], 0));
    // --no-randomization: the trained models' maps alone.
    const bare = await cli(['plan', '--study', study, '--models', `${DENSE},${INCEPTION}`, '--methods', 'gradcam,ig,sg,xrai', '--preset', 'quick', '--seed', '3', '--no-randomization', '--out', plan]);
    expect(bare.json).toMatchObject({ jobs: 24, cases: 3, totalCost: 3 * 2 * (1 + 16 + 6 + 36), randomizationJobs: 0 });
  });

  it('--jobs 2 writes the same maps, byte for byte, as --jobs 1; a rerun computes nothing; a killed job is redone', async () => {
    const plan = path.join(root, 'plan2.json');
    expect((await cli(['plan', '--study', study, '--models', DENSE, '--methods', 'gradcam,ig,sg', '--preset', 'quick', '--seed', '4', '--no-randomization', '--out', plan])).code).toBe(0);
    const one = path.join(root, 'one');
    const two = path.join(root, 'two');
    const r1 = await cli(['maps', '--plan', plan, '--out', one, '--jobs', '1']);
    const r2 = await cli(['maps', '--plan', plan, '--out', two, '--jobs', '2']);
    expect(r1.code).toBe(0);
    expect(r2.code).toBe(0);
    expect(r2.json).toMatchObject({ maps: 9, computed: 9, reused: 0, jobs: 2 });
    const a = npyFiles(one);
    const b = npyFiles(two);
    expect(a.size).toBe(9);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [k, bytes] of a) expect(b.get(k)!.equals(bytes), k).toBe(true);
    expect(index(two)).toEqual(index(one));
    // The demo model has one logit unit: its probability is the sigmoid of the target logit.
    for (const e of index(one)) expect(e.probability as number).toBeCloseTo(1 / (1 + Math.exp(-(e.targetLogit as number))), 5);

    // Rerun: everything is there.
    const again = await cli(['maps', '--plan', plan, '--out', two, '--jobs', '2']);
    expect(again.json).toMatchObject({ computed: 0, reused: 9 });
    expect(again.err).toContain('computed 0, reused 9');

    // A run killed after writing a map but before its entry, with a temporary file left behind:
    // that one job is computed again, and gives the same bytes.
    const key = 'case-0002/densenet-compact-s1/sg';
    unlinkSync(path.join(two, `${key}.json`));
    writeFileSync(path.join(two, `${key}.npy.123.abc.tmp`), 'partial');
    const resumed = await cli(['maps', '--plan', plan, '--out', two]);
    expect(resumed.json).toMatchObject({ computed: 1, reused: 8 });
    expect(readFileSync(path.join(two, `${key}.npy`)).equals(a.get(`${key}.npy`)!)).toBe(true);

    // Another seed is other work only for the method that draws noise (SmoothGrad): 3 maps, not 9.
    const plan5 = path.join(root, 'plan5.json');
    expect((await cli(['plan', '--study', study, '--models', DENSE, '--methods', 'gradcam,ig,sg', '--preset', 'quick', '--seed', '5', '--no-randomization', '--out', plan5])).code).toBe(0);
    expect((await cli(['maps', '--plan', plan5, '--out', two])).json).toMatchObject({ computed: 3, reused: 6 });
    const sg = index(two).filter((e) => e.method === 'sg');
    expect(sg.map((e) => e.seed)).toEqual([5, 5, 5]);
  }, 240_000);

  it('a run killed mid-way keeps every finished map; the rerun computes only the rest, same bytes', async () => {
    const plan = path.join(root, 'plan2.json');
    const out = path.join(root, 'killed');
    const child = spawn(process.execPath, [path.resolve('scripts/heatcheck.mjs'), 'maps', '--plan', plan, '--out', out, '--jobs', '2'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const exited = new Promise((r) => child.once('exit', r));
    child.stderr!.on('data', (d) => {
      err += String(d);
      // Killed (no chance to clean up) as soon as 2 of the 9 maps are reported done.
      if (/\(2\/9,/.test(err)) child.kill('SIGKILL');
    });
    await exited;
    const finished = [...npyFiles(out).keys()].filter((k) => existsSync(path.join(out, k.replace(/npy$/, 'json'))));
    expect(finished.length).toBeGreaterThanOrEqual(2);
    expect(finished.length).toBeLessThan(9);
    const one = npyFiles(path.join(root, 'one'));
    for (const k of finished) expect(readFileSync(path.join(out, k)).equals(one.get(k)!), k).toBe(true);
    const rerun = await cli(['maps', '--plan', plan, '--out', out, '--jobs', '2']);
    expect(rerun.json).toMatchObject({ reused: finished.length, computed: 9 - finished.length });
    const after = npyFiles(out);
    expect(after.size).toBe(9);
    for (const [k, bytes] of one) expect(after.get(k)!.equals(bytes), k).toBe(true);
  }, 240_000);

  it('shards merge into the single-process maps; a duplicate or a missing shard is named', async () => {
    const plan = path.join(root, 'plan2.json');
    const one = path.join(root, 'one');
    const shards = [0, 1, 2].map((i) => path.join(root, `shard-${i}`));
    let planned = 0;
    for (const [i, d] of shards.entries()) {
      const r = await cli(['maps', '--plan', plan, '--shard', `${i}/3`, '--out', d]);
      expect(r.code).toBe(0);
      planned += r.json.planned as number;
    }
    expect(planned).toBe(9);
    const merged = path.join(root, 'merged');
    const m = await cli(['merge', merged, ...shards]);
    expect(m.code).toBe(0);
    expect(m.json).toMatchObject({ maps: 9, missing: 0, duplicated: 0 });
    const a = npyFiles(one);
    const b = npyFiles(merged);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [k, bytes] of a) expect(b.get(k)!.equals(bytes), k).toBe(true);
    expect(index(merged)).toEqual(index(one));

    const dup = await cli(['merge', path.join(root, 'dup'), shards[0], shards[1], shards[2], one]);
    expect(dup.code).not.toBe(0);
    expect(dup.json.code).toBe('BAD_INPUT_MERGE_DUPLICATE');
    expect(existsSync(path.join(root, 'dup', 'index.json'))).toBe(false);

    const part = await cli(['merge', path.join(root, 'part'), shards[0], shards[2]]);
    expect(part.code).not.toBe(0);
    expect(part.json.code).toBe('BAD_INPUT_MERGE_MISSING');
    const shard1 = (JSON.parse(readFileSync(path.join(shards[1], 'index.json'), 'utf8')).maps as Array<{ file: string }>).map((e) => e.file);
    expect(String(part.json.message)).toContain(`${shard1.length} of 9`);
    expect([...(part.json.missing as string[])].sort()).toEqual([...shard1].sort());
  }, 240_000);

  it('a worker\'s error reaches the command: weights changed since the plan', async () => {
    const p = JSON.parse(readFileSync(path.join(root, 'plan2.json'), 'utf8'));
    p.models[0].hash = '0'.repeat(64);
    const stale = path.join(root, 'stale.json');
    writeFileSync(stale, JSON.stringify(p));
    const r = await cli(['maps', '--plan', stale, '--out', path.join(root, 'stale'), '--jobs', '2']);
    expect(r.code).not.toBe(0);
    expect(r.json.code).toBe('BAD_INPUT_PLAN_STALE');
    expect(String(r.json.message)).toContain(DENSE);
  }, 120_000);

  it('--plan with flags that describe the work is a usage error', async () => {
    const r = await cli(['maps', '--plan', path.join(root, 'plan2.json'), '--out', path.join(root, 'x'), '--methods', 'grad']);
    expect(r.code).not.toBe(0);
    expect(r.json.code).toBe('USAGE_BAD_OPTION');
    expect(String(r.json.message)).toContain('--methods');
  });
});
