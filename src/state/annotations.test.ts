import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { createAnnotationsStore, idbAnnotationIO, mergeBoxes, type AnnotationsStore, type EditJournal } from './annotations';
import { openDatabase, type Box } from './db';

let n = 0;
const stores: AnnotationsStore[] = [];
function freshDb() {
  const name = `ann-test-${++n}-${Date.now()}`;
  const db = openDatabase(name);
  return { name, db, io: () => idbAnnotationIO(() => db) };
}
function make(io: ReturnType<typeof idbAnnotationIO>, extra: Parameters<typeof createAnnotationsStore>[0] = {}) {
  const s = createAnnotationsStore({ io, channel: null, retryDelays: [5, 10, 20], journal: null, ...extra });
  stores.push(s);
  return s;
}
afterEach(() => { while (stores.length) stores.pop()!.getState().dispose(); });

const box = (id: string, x0: number, y0: number, x1: number, y1: number): Box => ({ id, x0, y0, x1, y1 });
const until = async (cond: () => boolean, ms = 2000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('annotations store', () => {
  it('shows an edit at once as saving, then saved once IndexedDB has it; a new store (reload) reads it back exactly', async () => {
    const { db, io } = freshDb();
    const a = make(io());
    a.getState().setBoxes('R1', 'c1', [box('b1', 1, 2, 30.5, 40)]);
    expect(a.getState().get('R1', 'c1').boxes).toEqual([box('b1', 1, 2, 30.5, 40)]);
    expect(a.getState().saveState).toBe('saving');
    await a.getState().flush();
    expect(a.getState().saveState).toBe('saved');
    const stored = await (await db).get('annotations', ['R1', 'c1']);
    expect(stored?.boxes).toEqual([box('b1', 1, 2, 30.5, 40)]);
    expect(stored?.status).toBe('in-progress'); // boxes make an unread case in progress
    expect(stored?.rev).toBe(1);

    const reloaded = make(io());
    const rec = await reloaded.getState().load('R1', 'c1');
    expect(rec.boxes).toEqual([box('b1', 1, 2, 30.5, 40)]);
    expect(rec.rev).toBe(1);
    const byReader = await reloaded.getState().loadReader('R1');
    expect(byReader.map((r) => r.caseId)).toEqual(['c1']);
  });

  it('undoes and redoes per case, and a new edit clears redo', async () => {
    const { io } = freshDb();
    const s = make(io()).getState;
    s().setBoxes('R1', 'c1', [box('a', 0, 0, 10, 10)]);
    s().setBoxes('R1', 'c1', [box('a', 5, 0, 15, 10)]);
    s().setBoxes('R1', 'c2', [box('z', 1, 1, 2, 2)]);
    expect(s().undo('R1', 'c1')).toBe(true);
    expect(s().get('R1', 'c1').boxes).toEqual([box('a', 0, 0, 10, 10)]);
    expect(s().get('R1', 'c2').boxes).toEqual([box('z', 1, 1, 2, 2)]); // other case untouched
    expect(s().redo('R1', 'c1')).toBe(true);
    expect(s().get('R1', 'c1').boxes).toEqual([box('a', 5, 0, 15, 10)]);
    s().undo('R1', 'c1');
    s().setBoxes('R1', 'c1', []);
    expect(s().canRedo('R1', 'c1')).toBe(false);
    s().undo('R1', 'c1');
    s().undo('R1', 'c1');
    expect(s().get('R1', 'c1').boxes).toEqual([]);
    expect(s().get('R1', 'c1').status).toBe('unread');
    expect(s().undo('R1', 'c1')).toBe(false);
    await s().flush();
  });

  it('keeps "No abnormality found" distinct: refused while boxes exist, replaced by in-progress when a box is drawn', async () => {
    const { io } = freshDb();
    const s = make(io()).getState;
    s().setStatus('R1', 'c1', 'no-finding');
    expect(s().get('R1', 'c1').status).toBe('no-finding');
    s().setBoxes('R1', 'c1', [box('a', 0, 0, 4, 4)]);
    expect(s().get('R1', 'c1').status).toBe('in-progress');
    expect(() => s().setStatus('R1', 'c1', 'no-finding')).toThrow(/Delete the boxes first/);
    await s().flush();
  });

  it('keeps an edit in memory when a put fails with QuotaExceededError, says so, and retries until written', async () => {
    const { db, io } = freshDb();
    const s = make(io()).getState;
    const proto = (globalThis as unknown as { IDBObjectStore: { prototype: { put: (...a: unknown[]) => unknown } } }).IDBObjectStore.prototype;
    const realPut = proto.put;
    let failures = 0;
    proto.put = function (this: unknown, ...args: unknown[]) {
      if (failures < 3) { failures++; throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); }
      return realPut.apply(this, args);
    };
    try {
      s().setBoxes('R2', 'c9', [box('q', 3, 3, 9, 9)]);
      await until(() => s().saveState === 'unsaved');
      expect(s().error?.code).toBe('STORAGE_FULL');
      expect(s().error?.message).toMatch(/kept in memory/);
      expect(s().get('R2', 'c9').boxes).toEqual([box('q', 3, 3, 9, 9)]);
      expect(await (await db).get('annotations', ['R2', 'c9'])).toBeUndefined();
      await s().flush();
    } finally {
      proto.put = realPut;
    }
    expect(failures).toBe(3);
    expect(s().saveState).toBe('saved');
    expect(s().error).toBeNull();
    expect((await (await db).get('annotations', ['R2', 'c9']))?.boxes).toEqual([box('q', 3, 3, 9, 9)]);
  });

  it('merges by box id when two tabs of one reader write on the same rev, and tells the user', async () => {
    const { db, io } = freshDb();
    const a = make(io()).getState;
    a().setBoxes('R1', 'c1', [box('base', 0, 0, 10, 10)]);
    await a().flush();
    const b = make(io()).getState;
    await b().load('R1', 'c1');
    // both tabs now at rev 1; each edits
    a().setBoxes('R1', 'c1', [...a().get('R1', 'c1').boxes, box('fromA', 20, 20, 30, 30)]);
    await a().flush();
    b().setBoxes('R1', 'c1', [box('base', 0, 0, 12, 10), box('fromB', 40, 40, 50, 50)]);
    await b().flush();
    const stored = await (await db).get('annotations', ['R1', 'c1']);
    const byId = Object.fromEntries(stored!.boxes.map((x) => [x.id, x]));
    expect(Object.keys(byId).sort()).toEqual(['base', 'fromA', 'fromB']);
    expect(byId.base).toEqual(box('base', 0, 0, 12, 10));
    expect(stored!.rev).toBe(3);
    expect(b().notice).toMatch(/merged/);
    expect(b().get('R1', 'c1').boxes.map((x) => x.id).sort()).toEqual(['base', 'fromA', 'fromB']);
  });

  it('tells another tab through the BroadcastChannel, which re-reads the record', async () => {
    const { io } = freshDb();
    const channelName = `hc-test-${Date.now()}`;
    const a = createAnnotationsStore({ io: io(), channelName });
    const b = createAnnotationsStore({ io: io(), channelName });
    stores.push(a, b);
    await b.getState().load('R3', 'c5');
    a.getState().setBoxes('R3', 'c5', [box('t', 1, 1, 5, 5)]);
    await a.getState().flush();
    await until(() => b.getState().get('R3', 'c5').boxes.length === 1);
    expect(b.getState().get('R3', 'c5').boxes).toEqual([box('t', 1, 1, 5, 5)]);
    expect(b.getState().get('R3', 'c5').rev).toBe(1);
  });
});

describe('a deletion reverted by a merge', () => {
  it('tells the tab whose deleted box came back which box and why', async () => {
    const { io } = freshDb();
    const channelName = `hc-del-${Date.now()}`;
    const a = createAnnotationsStore({ io: io(), channelName, journal: null, retryDelays: [5] });
    const b = createAnnotationsStore({ io: io(), channelName, journal: null, retryDelays: [5] });
    stores.push(a, b);
    a.getState().setBoxes('R1', 'c1', [box('x', 0, 0, 10, 10)]);
    await a.getState().flush();
    await b.getState().load('R1', 'c1');
    // a deletes the box; b, still on the old revision, moves it: b's write merges and keeps it
    a.getState().setBoxes('R1', 'c1', []);
    await a.getState().flush();
    b.getState().setBoxes('R1', 'c1', [box('x', 5, 0, 15, 10)]);
    await b.getState().flush();
    expect(b.getState().notice).toMatch(/kept/);
    await until(() => a.getState().get('R1', 'c1').boxes.length === 1);
    expect(a.getState().notice).toContain('Box x that you deleted is back');
    expect(a.getState().notice).toContain('a change wins over a delete');
  });
});

describe('mergeBoxes (three-way, by id)', () => {
  const base = [box('k', 0, 0, 1, 1), box('m', 0, 0, 2, 2), box('d', 0, 0, 3, 3)];
  it('takes the changed side, keeps new boxes of both sides, drops a box deleted on one side and unchanged on the other', () => {
    const ours = [box('k', 0, 0, 1, 1), box('m', 1, 1, 2, 2), box('o', 5, 5, 6, 6)]; // d deleted, m moved, o new
    const theirs = [box('k', 9, 9, 10, 10), box('m', 0, 0, 2, 2), box('d', 0, 0, 3, 3), box('t', 7, 7, 8, 8)]; // k moved, t new
    const r = mergeBoxes(base, ours, theirs);
    const byId = Object.fromEntries(r.boxes.map((b) => [b.id, b]));
    expect(Object.keys(byId).sort()).toEqual(['k', 'm', 'o', 't']);
    expect(byId.k).toEqual(box('k', 9, 9, 10, 10));
    expect(byId.m).toEqual(box('m', 1, 1, 2, 2));
    expect(r.kept).toEqual([]);
  });
  it('keeps a box that one side deleted while the other changed it, and reports it', () => {
    const ours = [box('k', 0, 0, 1, 1), box('m', 0, 0, 2, 2)]; // d deleted
    const theirs = [box('k', 0, 0, 1, 1), box('m', 0, 0, 2, 2), box('d', 1, 0, 3, 3)]; // d changed
    const r = mergeBoxes(base, ours, theirs);
    expect(r.boxes.map((b) => b.id).sort()).toEqual(['d', 'k', 'm']);
    expect(r.kept).toEqual(['d']);
  });

  it('journals an edit synchronously: a page gone before IndexedDB got it (a store that never wrote) loses nothing on the next start', async () => {
    const { db, io } = freshDb();
    const mem = new Map<string, string>();
    const journal: EditJournal = { put: (k, v) => void mem.set(k, v), remove: (k) => void mem.delete(k), entries: () => [...mem.entries()] };
    // the first page: an io whose commit never finishes (the page unloads first)
    const dead = { ...io(), commit: () => new Promise<never>(() => {}) };
    const first = make(dead, { journal });
    first.getState().setBoxes('R1', 'c1', [box('b1', 3, 4, 50, 60)]);
    expect(mem.size).toBe(1); // in the journal before setBoxes returned
    expect(first.getState().safeToUnload()).toBe(true);
    // the next start replays it into IndexedDB and clears the journal
    const next = make(io(), { journal });
    await next.getState().flush();
    const stored = await (await db).get('annotations', ['R1', 'c1']);
    expect(stored?.boxes).toEqual([box('b1', 3, 4, 50, 60)]);
    expect(mem.size).toBe(0);
    // replaying twice (both tabs found it) does not duplicate boxes: the merge is by box id
    mem.set('R1\u001fc1', JSON.stringify({ readerId: 'R1', caseId: 'c1', boxes: [box('b1', 3, 4, 50, 60)], status: 'in-progress', base: { boxes: [], status: 'unread' }, baseRev: 0 }));
    const third = make(io(), { journal });
    await third.getState().flush();
    expect((await (await db).get('annotations', ['R1', 'c1']))?.boxes).toEqual([box('b1', 3, 4, 50, 60)]);
  });

  it('a box on a case answered "No abnormality found" withdraws the answer with a notice, and undo brings it back', async () => {
    const { io } = freshDb();
    const s = make(io()).getState;
    s().setStatus('R1', 'c1', 'no-finding');
    expect(s().notice).toBeNull();
    s().setBoxes('R1', 'c1', [box('a', 0, 0, 10, 10)]);
    expect(s().get('R1', 'c1').status).toBe('in-progress');
    expect(s().notice).toMatch(/No abnormality found.*withdrawn/);
    s().undo('R1', 'c1');
    expect(s().get('R1', 'c1')).toMatchObject({ status: 'no-finding', boxes: [] });
    await s().flush();
  });
});
