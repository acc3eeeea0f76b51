import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { openDatabase, type CaseRecord } from './db';
import { createSyncStore } from './sync';
import { Replica, type PouchCtor } from '../storage/replica';

/**
 * The sync store's case list (what the Data page shows), against the real local sync server
 * (scripts/sync-server.mjs on a free port): a coordinator's workstation publishes its study, a
 * reader's workstation (another IndexedDB, another study id, some images different) is told
 * which files differ, with both hashes, and a box drawn on a different image is named.
 */
const require = createRequire(import.meta.url);
const Pouch = require('pouchdb-core').plugin(require('pouchdb-adapter-memory')).plugin(require('pouchdb-adapter-http')).plugin(require('pouchdb-replication')) as PouchCtor;
const h = (s: string) => createHash('sha256').update(s).digest('hex');
const until = async (f: () => boolean, ms = 20_000) => { const t = Date.now(); while (!f()) { if (Date.now() - t > ms) throw new Error('timed out'); await new Promise((res) => setTimeout(res, 50)); } };

let server: { url: string; stop(): Promise<void> };
beforeAll(async () => {
  const { startSyncServerProcess } = await import('../../scripts/syncServerProcess.mjs' as string);
  server = await startSyncServerProcess({ readers: [{ name: 'alice', password: 'pa' }], coordinators: [{ name: 'coord', password: 'pc' }] });
});
afterAll(async () => { await server?.stop(); });

/** A workstation's IndexedDB with one imported study of the given (name, pixels) images. */
async function workstation(dbName: string, studyId: string, images: Array<[string, string]>) {
  const db = await openDatabase(dbName);
  await db.put('studies', { id: studyId, name: `Ward (${studyId})`, source: 'import', createdAt: 1 });
  for (const [i, [name, pixels]] of images.entries()) {
    const c: CaseRecord = { id: `${studyId}:${name}`, studyId, imageHash: h(pixels), name, label: null, width: 64, height: 48, order: i, meta: { source: { format: 'png' }, identifiers: { PatientName: 'Doe^Jane' } } };
    await db.put('cases', c);
  }
  await db.put('settings', { key: 'currentStudy', value: studyId });
  return createSyncStore({ Pouch: async () => Pouch, open: () => openDatabase(dbName) });
}

describe('sync store: the study case list', () => {
  it('the coordinator publishes; the reader is told which files differ (both hashes), which are missing and extra; a box on a different image is named', async () => {
    const stamp = Date.now();
    const coord = await workstation(`coord-${stamp}`, 'import-c', [['a/1.png', 'one'], ['a/2.png', 'two'], ['b/3.png', 'three']]);
    await coord.getState().connect(server.url, 'coord', 'pc');
    expect(coord.getState().status?.role).toBe('coordinator');
    await until(() => coord.getState().caseList?.caughtUp === true);
    expect(coord.getState().caseList?.check.published).toBe(0);
    expect(coord.getState().caseList?.summary).toBe('No case list published yet.');
    await coord.getState().publishCaseList();
    expect(coord.getState().publish.error).toBeNull();
    expect(coord.getState().publish.message).toContain(`Published 3 cases of "Ward (import-c)" to ${server.url} (3 written, 0 removed, 0 unchanged)`);
    // its own pull of the study database comes back matching its study
    await until(() => coord.getState().caseList?.check.ok === true);
    expect(coord.getState().caseList?.summary).toBe('Case list matches: all 3 published cases are here with the same images.');
    // no identifiers went to the server
    const docs = await (await fetch(`${server.url}/heatcheck-study/_all_docs?include_docs=true`, { headers: { authorization: 'Basic ' + btoa('alice:pa') } })).text();
    expect(docs).not.toContain('Doe');

    const alice = await workstation(`alice-${stamp}`, 'import-r', [['a/1.png', 'one'], ['a/2.png', 'two, other export'], ['c/5.png', 'five']]);
    await alice.getState().connect(server.url, 'alice', 'pa');
    expect(alice.getState().status?.role).toBe('reader');
    await until(() => alice.getState().caseList?.check.published === 3);
    const cl = alice.getState().caseList!;
    expect(cl.summary).toBe('Case list differs: 1 of 3 published cases match; 1 with a different image, 1 missing here, 1 here but not published.');
    expect(cl.messages).toHaveLength(3);
    expect(cl.messages[0]).toBe(`a/2.png: a different image here. Image hash in the study's case list ${h('two')}, of the file imported here ${h('two, other export')}. Boxes on this case would not be comparable; import the study folder the coordinator published.`);
    expect(cl.messages[1]).toContain('b/3.png: in the study\'s case list (published by coord from study "Ward (import-c)"), not imported here');
    expect(cl.messages[2]).toContain('c/5.png: imported here, not in the study\'s case list');
    expect([cl.publishedBy, cl.publishedFrom, cl.study]).toEqual(['coord', 'Ward (import-c)', 'Ward (import-r)']);
    // her workstation cannot publish: the server refuses it
    await alice.getState().publishCaseList();
    expect(alice.getState().publish.error).toContain(`${server.url} refused to publish the case list`);
    expect(alice.getState().publish.message).toBeNull();

    // a box alice drew on her a/2.png reaches the coordinator, whose a/2.png is another image: named, not shown
    const raw = new Replica({ Pouch, server: server.url, user: 'alice', password: 'pa', localPrefix: `raw-${stamp}`, onReads: () => {}, onStatus: () => {}, onConflicts: () => {} });
    await raw.start();
    await raw.push({ readerId: 'alice', caseId: 'import-r:a/2.png', caseName: 'a/2.png', imageHash: h('two, other export'), status: 'done', boxes: [{ id: 'bx-a2', x0: 1, y0: 1, x1: 9, y1: 9 }] });
    await until(() => coord.getState().problems.some((p) => p.includes('a/2.png')));
    expect(coord.getState().problems.find((p) => p.includes('a/2.png'))).toBe(`${server.url}: reader alice's boxes for case a/2.png were drawn on a different image (content hash ${h('two, other export').slice(0, 12)}…; here ${h('two').slice(0, 12)}…). Import the same study folder on every workstation; these boxes are not shown.`);
    await raw.stop();
    await alice.getState().disconnect();
    await coord.getState().disconnect();
  }, 60_000);
});
