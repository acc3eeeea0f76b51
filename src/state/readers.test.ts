import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './db';
import { createReadersStore, freeReaderId, pickCurrentReader, readersOfStudy } from './readers';
import { appStore } from './appStore';

const r = (id: string, order: number, extra: { simulated?: boolean; studyId?: string } = {}) => ({ id, name: id, order, ...extra });

describe('readers belong to a study', () => {
  it('a study offers its own readers and those of no study, never another study\'s', () => {
    const all = [r('R1', 1, { simulated: true, studyId: 'demo' }), r('you', 0, { studyId: 'demo' }), r('R4', 0, { studyId: 'import-a' }), r('old', 5)];
    expect(readersOfStudy(all, 'demo').map((x) => x.id)).toEqual(['you', 'R1', 'old']);
    expect(readersOfStudy(all, 'import-a').map((x) => x.id)).toEqual(['R4', 'old']);
  });
  it('the first reader is the saved one, else the first person, never a simulated reader while a person exists', () => {
    const demo = [r('R1', 0, { simulated: true }), r('you', 1), r('R2', 2, { simulated: true })];
    expect(pickCurrentReader(demo, undefined)).toBe('you');
    expect(pickCurrentReader(demo, 'R2')).toBe('R2');
    expect(pickCurrentReader(demo, 'gone')).toBe('you');
    expect(pickCurrentReader([r('R1', 0, { simulated: true })], null)).toBe('R1');
    expect(pickCurrentReader([], null)).toBeNull();
  });
  it('new ids are the lowest free R<n> across all studies', () => {
    expect(freeReaderId([{ id: 'R1' }, { id: 'R2' }, { id: 'you' }, { id: 'R4' }])).toBe('R3');
    expect(freeReaderId([])).toBe('R1');
  });
  it('load() lists the current study\'s readers, picks a person, and gives a study without readers one', async () => {
    const name = `readers-${Date.now()}`;
    const open = () => openDatabase(name);
    const db = await open();
    await db.put('studies', { id: 'demo', name: 'Demo', source: 'demo', createdAt: 1 });
    await db.put('studies', { id: 'import-a', name: 'Ward', source: 'import', createdAt: 2 });
    for (const x of [r('you', 0, { studyId: 'demo' }), r('R1', 1, { simulated: true, studyId: 'demo' }), r('R2', 2, { simulated: true, studyId: 'demo' })]) await db.put('readers', x);
    await db.put('settings', { key: 'currentStudy', value: 'demo' });
    const store = createReadersStore(open);
    await store.getState().load();
    expect(store.getState().readers.map((x) => x.id)).toEqual(['you', 'R1', 'R2']);
    expect(appStore.getState().currentReader).toBe('you');
    // another study, with no readers yet: one person is made for it, not the simulated ones
    await db.put('settings', { key: 'currentStudy', value: 'import-a' });
    await store.getState().load();
    const mine = store.getState().readers;
    expect(mine.map((x) => [x.id, x.name, x.studyId, Boolean(x.simulated)])).toEqual([['R3', 'Reader 1', 'import-a', false]]);
    expect(appStore.getState().currentReader).toBe('R3');
    // a reader added now belongs to that study
    const added = await store.getState().create('Dana');
    expect(added).toMatchObject({ id: 'R4', name: 'Dana', studyId: 'import-a' });
  });
});
