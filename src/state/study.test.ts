import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './db';
import { createStudyStore } from './study';
import { makeDemoCase } from '../worker/api/phantom';
import { generatePhantomCase } from '../core/phantom/generate';
import { runsToMask } from '../core/phantom/readers';
import { sha256Hex } from '../core/study/hash';

let n = 0;
const freshDb = () => {
  const name = `study-test-${++n}`;
  return () => openDatabase(name);
};
const demo = { id: 'demo', name: 'Demo study (synthetic phantoms)', seed: 2022, count: 4, size: 64 };

describe('study store', () => {
  it('generates the demo study on first run: study, cases, images, simulated readers and their reads', async () => {
    const open = freshDb();
    let calls = 0;
    const names: string[] = [];
    const store = createStudyStore({ open, demo, makeCase: (s, i, z) => { calls++; return makeDemoCase(s, i, z); }, onStudyName: (x) => names.push(x) });
    await store.getState().ensureDemoStudy();
    const st = store.getState();
    expect(st.error).toBeNull();
    expect(st.ready).toBe(true);
    expect(st.currentStudy?.name).toBe(demo.name);
    expect(names).toEqual([demo.name]);
    expect(st.cases.map((c) => c.name)).toEqual(['case-0001', 'case-0002', 'case-0003', 'case-0004']);
    expect(calls).toBe(4);

    const db = await open();
    for (const [i, c] of st.cases.entries()) {
      const img = await st.getImage(c.imageHash);
      expect(img).toBeDefined();
      const gen = generatePhantomCase(2022, i, { size: 64 });
      expect(Buffer.from(img!.pixels as Uint8Array).equals(Buffer.from(gen.image))).toBe(true);
      expect(c.imageHash).toBe(await sha256Hex(gen.image));
      expect(c.label).toBe(gen.label);
      const runs = (c.meta as { truthRuns?: number[] }).truthRuns;
      if (gen.truth) expect(Buffer.from(runsToMask(runs!, 64 * 64)).equals(Buffer.from(gen.truth))).toBe(true);
      else expect(runs).toBeUndefined();
      const anns = await db.getAllFromIndex('annotations', 'byCase', c.id);
      expect(anns.map((a) => a.readerId).sort()).toEqual(['R1', 'R2', 'R3']);
      for (const a of anns) expect(a.status).toBe(a.boxes.length ? 'done' : 'no-finding');
    }
    // the person trying the demo starts as a new, empty reader; the simulated ones belong to the demo
    const readers = (await db.getAll('readers')).sort((a, b) => a.order - b.order);
    expect(readers.map((r) => [r.id, Boolean(r.simulated), r.studyId])).toEqual([['you', false, 'demo'], ['R1', true, 'demo'], ['R2', true, 'demo'], ['R3', true, 'demo']]);
    expect(await db.getAllFromIndex('annotations', 'byReader', 'you')).toEqual([]);
  });

  it('does not regenerate when a study exists, and survives concurrent calls', async () => {
    const open = freshDb();
    let calls = 0;
    const make = (s: number, i: number, z: number) => { calls++; return makeDemoCase(s, i, z); };
    const a = createStudyStore({ open, demo, makeCase: make });
    await Promise.all([a.getState().ensureDemoStudy(), a.getState().ensureDemoStudy()]);
    expect(calls).toBe(4);
    const b = createStudyStore({ open, demo, makeCase: make });
    await b.getState().ensureDemoStudy();
    expect(calls).toBe(4);
    expect(b.getState().cases.length).toBe(4);
    expect(await b.getState().listCases('nope')).toEqual([]);
  });

  it('reports a failure with a code instead of throwing', async () => {
    const store = createStudyStore({ open: freshDb(), demo, makeCase: async () => { throw Object.assign(new Error('worker gone'), { code: 'WORKER_FAILED' }); } });
    await store.getState().ensureDemoStudy();
    expect(store.getState().error?.code).toBe('WORKER_FAILED');
    expect(store.getState().ready).toBe(false);
  });
});
