import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { Replica, type BoxConflict, type PouchCtor, type PulledCaseList, type ReplicatedRead, type SyncStatus } from './replica';
import { readerDbName, STUDY_DB } from '../core/sync/couchLayout';
import { checkCaseList, type PublishedCase } from '../core/sync/caseList';
import { syntheticTrustReport } from '../core/sync/reportFixture';
import { trustReportJson, type TrustReport } from '../core/trust/report';
import type { PublishedReportSummary } from '../core/sync/modelResults';

/**
 * The replication module against the real local sync server (scripts/sync-server.mjs, started
 * here on a free port, set up by scripts/sync-setup.mjs): PouchDB in memory stands in for the
 * browser's IndexedDB adapter; the server, its security objects and the protocol are the real ones.
 */
const require = createRequire(import.meta.url);
const Pouch = require('pouchdb-core').plugin(require('pouchdb-adapter-memory')).plugin(require('pouchdb-adapter-http')).plugin(require('pouchdb-replication')) as PouchCtor;

let server: { url: string; stop(): Promise<void>; restart(): Promise<void> };
beforeAll(async () => {
  const { startSyncServerProcess } = await import('../../scripts/syncServerProcess.mjs' as string);
  server = await startSyncServerProcess({ readers: [{ name: 'alice', password: 'pa' }, { name: 'bob', password: 'pb' }], coordinators: [{ name: 'coord', password: 'pc' }] });
});
afterAll(async () => { await server?.stop(); });

let n = 0;
/** A network this test can unplug: while `down`, every request fails as a browser's fetch does offline. */
function network() {
  const net: { down: boolean; fetch: typeof fetch } = { down: false, fetch: ((url: RequestInfo | URL, init?: RequestInit) => (net.down ? Promise.reject(new TypeError('Failed to fetch')) : fetch(url, init))) as typeof fetch };
  return net;
}
function replica(user: string, password: string, net = network(), P: PouchCtor = Pouch) {
  const reads: ReplicatedRead[] = [];
  const statuses: SyncStatus[] = [];
  let conflicts: BoxConflict[] = [];
  let caseList: PulledCaseList | null = null;
  let reports: PublishedReportSummary[] | null = null;
  const r = new Replica({ Pouch: P, server: server.url, user, password, localPrefix: `t${n++}`, onReads: (x) => reads.push(...x), onStatus: (s) => statuses.push(s), onConflicts: (c) => { conflicts = c; }, onCaseList: (l) => { caseList = l; }, onReports: (x) => { reports = x; }, fetch: net.fetch });
  return { r, reads, statuses, conflicts: () => conflicts, caseList: () => caseList, reports: () => reports };
}
const until = async (f: () => boolean, ms = 20_000) => { const t = Date.now(); while (!f()) { if (Date.now() - t > ms) throw new Error('timed out'); await new Promise((res) => setTimeout(res, 50)); } };

describe('Replica (real sync server)', () => {
  it('a wrong password is a clear error naming the server', async () => {
    const a = replica('alice', 'nope');
    expect(await a.r.start()).toBeNull();
    const last = a.statuses.at(-1)!;
    expect(last.state).toBe('error');
    expect(last.code).toBe('BAD_LOGIN');
    expect(last.message).toContain(server.url);
  });

  it("a reader's boxes reach the coordinator; another reader's database is refused", async () => {
    const a = replica('alice', 'pa');
    expect(await a.r.start()).toBe('reader');
    await a.r.push({ readerId: 'alice', caseId: 'c1', imageHash: 'h1', status: 'done', boxes: [{ id: 'b1', x0: 1, y0: 2, x1: 30, y1: 40 }, { id: 'b2', x0: 5, y0: 5, x1: 9, y1: 9 }] });
    await a.r.push({ readerId: 'alice', caseId: 'c1', imageHash: 'h1', status: 'done', boxes: [{ id: 'b1', x0: 1, y0: 2, x1: 30, y1: 41 }] });
    const c = replica('coord', 'pc');
    expect(await c.r.start()).toBe('coordinator');
    await until(() => { const x = c.r.readOf('alice', 'h1'); return x.boxes.length === 1 && x.boxes[0].y1 === 41 && x.status === 'done'; });
    expect(c.r.readOf('alice', 'h1').boxes).toEqual([{ id: 'b1', x0: 1, y0: 2, x1: 30, y1: 41 }]);
    // bob may not read alice's database, over plain HTTP
    const res = await fetch(`${server.url}/${readerDbName('alice')}/_all_docs`, { headers: { authorization: 'Basic ' + btoa('bob:pb') } });
    expect([401, 403]).toContain(res.status);
    const changes = await fetch(`${server.url}/${readerDbName('alice')}/_changes?include_docs=true`, { headers: { authorization: 'Basic ' + btoa('bob:pb') } });
    expect([401, 403]).toContain(changes.status);
    // the coordinator reads but cannot write a reader's database
    const put = await fetch(`${server.url}/${readerDbName('alice')}/forged`, { method: 'PUT', headers: { authorization: 'Basic ' + btoa('coord:pc'), 'content-type': 'application/json' }, body: '{"type":"box"}' });
    expect(put.status).toBe(403);
    await a.r.stop(); await c.r.stop();
  });

  it('one box edited on two workstations of one reader while both are offline: both are told, both versions kept, resolving keeps one', async () => {
    const n1 = network(), n2 = network();
    const w1 = replica('bob', 'pb', n1), w2 = replica('bob', 'pb', n2);
    await w1.r.start(); await w2.r.start();
    await w1.r.push({ readerId: 'bob', caseId: 'c2', imageHash: 'h2', status: 'in-progress', boxes: [{ id: 'bx', x0: 0, y0: 0, x1: 10, y1: 10 }] });
    await until(() => w2.r.readOf('bob', 'h2').boxes.length === 1);
    n1.down = true; n2.down = true;
    await w1.r.push({ readerId: 'bob', caseId: 'c2', imageHash: 'h2', status: 'in-progress', boxes: [{ id: 'bx', x0: 0, y0: 0, x1: 20, y1: 10 }] });
    await w2.r.push({ readerId: 'bob', caseId: 'c2', imageHash: 'h2', status: 'in-progress', boxes: [{ id: 'bx', x0: 5, y0: 0, x1: 10, y1: 10 }] });
    await new Promise((res) => setTimeout(res, 1500));
    n1.down = false; n2.down = false;
    await until(() => w1.conflicts().length === 1 && w2.conflicts().length === 1 && w1.conflicts()[0].others[0].box !== null && w2.conflicts()[0].others[0].box !== null, 60_000);
    const c1 = w1.conflicts()[0], c2 = w2.conflicts()[0];
    expect(c1.boxId).toBe('bx');
    expect(c1.shown.rev).toBe(c2.shown.rev); // the same winner everywhere
    const versions = [c1.shown.box, ...c1.others.map((o) => o.box)].map((b) => [b!.x0, b!.x1]).sort();
    expect(versions).toEqual([[0, 20], [5, 10]]); // nothing lost
    // w2 keeps the losing version: the conflict goes away on both, and both show that version
    const loser = c2.others[0];
    await w2.r.resolveConflict('bx', loser.rev);
    await until(() => w1.conflicts().length === 0 && w2.conflicts().length === 0, 60_000);
    await until(() => w1.r.readOf('bob', 'h2').boxes[0]?.x0 === loser.box!.x0);
    expect(w2.r.readOf('bob', 'h2').boxes).toEqual([loser.box!]);
    await w1.r.stop(); await w2.r.stop();
  });

  it('edits made while the server is gone replicate when it returns (no loss, no duplicates)', async () => {
    const net = network();
    const a = replica('alice', 'pa', net);
    await a.r.start();
    net.down = true;
    const boxes = Array.from({ length: 20 }, (_, i) => ({ id: `off${i}`, x0: i, y0: i, x1: i + 5, y1: i + 5 }));
    for (let i = 1; i <= boxes.length; i++) await a.r.push({ readerId: 'alice', caseId: 'c9', imageHash: 'h9', status: 'in-progress', boxes: boxes.slice(0, i) });
    await until(() => a.statuses.at(-1)!.state === 'offline');
    expect(a.statuses.at(-1)!.message).toContain(server.url);
    net.down = false;
    const c = replica('coord', 'pc');
    await c.r.start();
    await until(() => c.r.readOf('alice', 'h9').boxes.length === 20, 60_000);
    expect(c.r.readOf('alice', 'h9').boxes.map((b) => b.id).sort()).toEqual(boxes.map((b) => b.id).sort());
    await a.r.stop(); await c.r.stop();
  });

  it('the server stops in the middle of replication and comes back empty (in memory): everything arrives once', async () => {
    const a = replica('alice', 'pa');
    await a.r.start();
    const boxes = Array.from({ length: 60 }, (_, i) => ({ id: `mid${i}`, x0: i, y0: 0, x1: i + 3, y1: 3 }));
    const pushes = (async () => { for (let i = 1; i <= boxes.length; i++) await a.r.push({ readerId: 'alice', caseId: 'c7', imageHash: 'h7', status: 'in-progress', boxes: boxes.slice(0, i) }); })();
    await until(() => a.statuses.some((s) => s.state === 'syncing'));
    await server.stop();
    await pushes;
    await until(() => a.statuses.at(-1)!.state === 'offline');
    await server.restart();
    const c = replica('coord', 'pc');
    await c.r.start();
    await until(() => c.r.readOf('alice', 'h7').boxes.length === 60, 60_000);
    const ids = c.r.readOf('alice', 'h7').boxes.map((b) => b.id);
    expect(new Set(ids).size).toBe(60);
    expect(ids.sort()).toEqual(boxes.map((b) => b.id).sort());
    await until(() => a.statuses.at(-1)!.state === 'connected', 30_000);
    await a.r.stop(); await c.r.stop();
  });
  it('the server is gone for a minute while the reader keeps drawing, moving and deleting boxes: after it returns (empty) the coordinator holds exactly her boxes', async () => {
    type Bx = { id: string; x0: number; y0: number; x1: number; y1: number };
    const a = replica('alice', 'pa');
    await a.r.start();
    // what the reader's boxes are, kept by the test itself: the expected state on the coordinator's side
    const mine = new Map<string, Bx>();
    const save = () => a.r.push({ readerId: 'alice', caseId: 'c5', imageHash: 'h5', status: 'in-progress', boxes: [...mine.values()] });
    for (let i = 0; i < 3; i++) mine.set(`pre${i}`, { id: `pre${i}`, x0: 10 * i, y0: 0, x1: 10 * i + 4, y1: 4 });
    await save();
    const c = replica('coord', 'pc');
    await c.r.start();
    await until(() => c.r.readOf('alice', 'h5').boxes.length === 3, 30_000);
    await until(() => a.statuses.at(-1)!.state === 'connected', 30_000);
    const before = a.statuses.length;

    await server.stop();
    const t0 = Date.now();
    let i = 0;
    // one new box every 3 s for a minute; every fourth step moves an earlier box, every seventh deletes one
    while (Date.now() - t0 < 60_000) {
      mine.set(`gone${i}`, { id: `gone${i}`, x0: i, y0: 20, x1: i + 6, y1: 26 });
      if (i % 4 === 3) { const m = mine.get(`gone${i - 2}`)!; mine.set(m.id, { ...m, x0: m.x0 + 100, x1: m.x1 + 100 }); }
      if (i % 7 === 6) mine.delete(`gone${i - 5}`);
      if (i === 10) mine.delete('pre1');
      if (i === 11) { const m = mine.get('pre2')!; mine.set('pre2', { ...m, y0: 50, y1: 60 }); }
      await save();
      i++;
      await new Promise((res) => setTimeout(res, 3000));
    }
    const offline = a.statuses.slice(before).filter((s) => s.state === 'offline');
    expect(offline.length).toBeGreaterThan(0);
    expect(offline.at(-1)!.message).toContain(server.url);
    expect(a.statuses.at(-1)!.state).toBe('offline');
    expect(c.statuses.at(-1)!.state).toBe('offline');

    await server.restart();
    const want = [...mine.values()].sort((x, y) => x.id.localeCompare(y.id));
    const got = () => [...c.r.readOf('alice', 'h5').boxes].sort((x, y) => x.id.localeCompare(y.id));
    await until(() => JSON.stringify(got()) === JSON.stringify(want), 60_000);
    expect(got()).toEqual(want);
    await until(() => a.statuses.at(-1)!.state === 'connected', 30_000);
    await until(() => c.statuses.at(-1)!.state === 'connected', 30_000);
    // the server itself, over plain HTTP: each box once, the moved ones where they were moved to, the deleted ones deleted
    const res = await fetch(`${server.url}/${readerDbName('alice')}/_all_docs?include_docs=true`, { headers: { authorization: 'Basic ' + btoa('coord:pc') } });
    expect(res.status).toBe(200);
    // (her database also holds the earlier tests' boxes, pulled by this replica and sent again after the restart)
    const rows = ((await res.json()) as { rows: Array<{ id: string; doc: Bx & { type: string; imageHash: string } }> }).rows.filter((r) => r.doc.type === 'box' && r.doc.imageHash === 'h5');
    expect(rows.map((r) => ({ id: r.id, x0: r.doc.x0, y0: r.doc.y0, x1: r.doc.x1, y1: r.doc.y1 })).sort((x, y) => x.id.localeCompare(y.id))).toEqual(want);
    // deleted ones are deletions there (a tombstone), not documents that never arrived
    const gone = ['pre1', 'gone1', 'gone8'];
    for (const id of gone) expect(want.some((b) => b.id === id)).toBe(false);
    const keys = await fetch(`${server.url}/${readerDbName('alice')}/_all_docs?keys=${encodeURIComponent(JSON.stringify(gone))}`, { headers: { authorization: 'Basic ' + btoa('coord:pc') } });
    const kr = ((await keys.json()) as { rows: Array<{ key: string; value?: { deleted?: boolean }; error?: string }> }).rows;
    expect(kr.map((r) => [r.key, r.value?.deleted ?? r.error])).toEqual(gone.map((id) => [id, true]));
    await a.r.stop(); await c.r.stop();
  }, 240_000);
});

describe('the study case list (real sync server)', () => {
  const h = (s: string) => createHash('sha256').update(s).digest('hex');
  const kase = (name: string, pixels: string, order: number): PublishedCase => ({ type: 'case', name, imageHash: h(pixels), width: 64, height: 48, order, format: 'png' });
  const list = [kase('a/1.png', 'one', 0), kase('a/2.png', 'two', 1), kase('b/3.png', 'three', 2), kase('b/4.png', 'four', 3)];

  it('the coordinator publishes, a reader pulls it and checks her images: match, different image, missing, extra; republishing updates her copy', async () => {
    const c = replica('coord', 'pc');
    expect(await c.r.start()).toBe('coordinator');
    const first = await c.r.publishCaseList(list, 'Test study');
    expect(first).toMatchObject({ published: 4, written: 4, removed: 0 });
    // the same list again writes nothing but the manifest
    expect(await c.r.publishCaseList(list, 'Test study')).toMatchObject({ published: 4, written: 0, removed: 0 });
    // what the server holds, over plain HTTP as the reader: one document per case, no pixels
    const res = await fetch(`${server.url}/${STUDY_DB}/_all_docs?include_docs=true`, { headers: { authorization: 'Basic ' + btoa('alice:pa') } });
    expect(res.status).toBe(200);
    const docs = ((await res.json()) as { rows: Array<{ id: string; doc: Record<string, unknown> }> }).rows.map((r) => r.doc);
    const caseDocs = docs.filter((d) => d.type === 'case');
    expect(caseDocs.map((d) => d._id).sort()).toEqual(['case:a/1.png', 'case:a/2.png', 'case:b/3.png', 'case:b/4.png']);
    expect(Object.keys(caseDocs[0]).sort()).toEqual(['_id', '_rev', 'format', 'height', 'imageHash', 'name', 'order', 'type', 'width']);
    expect(docs.find((d) => d._id === 'cases')).toMatchObject({ type: 'case-list', study: 'Test study', count: 4, publishedBy: 'coord' });

    const a = replica('alice', 'pa');
    expect(await a.r.start()).toBe('reader');
    await until(() => a.caseList()?.cases.length === 4 && a.caseList()?.manifest?.count === 4);
    expect(a.caseList()!.cases).toEqual(list);
    // her workstation: 1 the same, 2 another image, 3 not imported, 4 the same, 5 not in the list
    const mine = [{ name: 'a/1.png', imageHash: h('one') }, { name: 'a/2.png', imageHash: h('two, other export') }, { name: 'b/4.png', imageHash: h('four') }, { name: 'c/5.png', imageHash: h('five') }];
    const check = checkCaseList(a.caseList()!.cases, mine, a.caseList()!.manifest);
    expect(check.matching).toBe(2);
    expect(check.mismatched).toEqual([{ name: 'a/2.png', publishedHash: h('two'), localHash: h('two, other export') }]);
    expect(check.missing).toEqual([{ name: 'b/3.png', imageHash: h('three') }]);
    expect(check.extra).toEqual([{ name: 'c/5.png', imageHash: h('five') }]);
    // the same images as published: a match
    expect(checkCaseList(a.caseList()!.cases, list.map((x) => ({ name: x.name, imageHash: x.imageHash })), a.caseList()!.manifest).ok).toBe(true);

    // the coordinator drops case 3 and case 2's image changes: her copy follows, live
    const next = [list[0], { ...list[1], imageHash: h('two, other export') }, list[3]];
    expect(await c.r.publishCaseList(next, 'Test study')).toMatchObject({ published: 3, written: 1, removed: 1 });
    await until(() => a.caseList()?.cases.length === 3 && a.caseList()?.manifest?.count === 3 && a.caseList()!.cases[1].imageHash === h('two, other export'));
    const again = checkCaseList(a.caseList()!.cases, mine, a.caseList()!.manifest);
    expect([again.matching, again.mismatched.length, again.missing.length, again.extra.map((x) => x.name)]).toEqual([3, 0, 0, ['c/5.png']]);
    await a.r.stop(); await c.r.stop();
  });

  it("a reader's write to the study database is refused by the server (403), through the app and over plain HTTP", async () => {
    const a = replica('alice', 'pa');
    expect(await a.r.start()).toBe('reader');
    await until(() => (a.caseList()?.cases.length ?? 0) > 0);
    const before = a.caseList()!.cases;
    const err = await a.r.publishCaseList([kase('forged.png', 'forged', 0)], 'Forged').then(() => null, (e: Error & { code?: string }) => e);
    expect(err?.code).toBe('FORBIDDEN');
    expect(err?.message).toContain(server.url);
    expect(err?.message).toContain('Only a coordinator');
    const put = await fetch(`${server.url}/${STUDY_DB}/${encodeURIComponent('case:forged.png')}`, { method: 'PUT', headers: { authorization: 'Basic ' + btoa('alice:pa'), 'content-type': 'application/json' }, body: JSON.stringify(kase('forged.png', 'forged', 0)) });
    expect(put.status).toBe(403);
    const del = await fetch(`${server.url}/${STUDY_DB}/cases`, { headers: { authorization: 'Basic ' + btoa('alice:pa') } });
    const manifest = (await del.json()) as { _rev: string; count: number };
    const gone = await fetch(`${server.url}/${STUDY_DB}/cases?rev=${manifest._rev}`, { method: 'DELETE', headers: { authorization: 'Basic ' + btoa('alice:pa') } });
    expect(gone.status).toBe(403);
    // nothing changed on the server
    const after = await fetch(`${server.url}/${STUDY_DB}/_all_docs?keys=${encodeURIComponent(JSON.stringify(['case:forged.png', 'cases']))}`, { headers: { authorization: 'Basic ' + btoa('coord:pc') } });
    const rows = ((await after.json()) as { rows: Array<{ key: string; error?: string; value?: { rev: string; deleted?: boolean } }> }).rows;
    expect(rows[0].error).toBe('not_found');
    expect(rows[1].value).toEqual({ rev: manifest._rev });
    expect(a.caseList()!.cases).toEqual(before);
    await a.r.stop();
  });
});

describe('model results in the study database (real sync server)', () => {
  const auth = (u: string, p: string) => ({ authorization: 'Basic ' + btoa(`${u}:${p}`) });
  const docOnServer = async (id: string) => {
    const r = await fetch(`${server.url}/${STUDY_DB}/${encodeURIComponent(id)}`, { headers: auth('coord', 'pc') });
    return r.status === 200 ? ((await r.json()) as Record<string, unknown> & { _rev: string }) : null;
  };
  let report: TrustReport;
  let docId = '';
  beforeAll(async () => { report = await syntheticTrustReport(); });

  it('a coordinator publishes; a second coordinator workstation reads back the same report; publishing again writes nothing', async () => {
    // the report is a real one: its localization cell has a figure, its verdicts states
    expect(report.cells.flat.localization.value).not.toBeNull();
    const c = replica('coord', 'pc');
    expect(await c.r.start()).toBe('coordinator');
    const first = await c.r.publishReport(report);
    // the report's document, and one per model (two different weights hashes)
    expect(first).toMatchObject({ written: 3, modelsWritten: 2, already: null });
    docId = first.docId;
    // the id is the content's: SHA-256 of its canonical JSON, worked here independently (sorted keys, the export's JSON form)
    const sorted = (v: unknown): unknown => (Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v);
    const exported = JSON.parse(trustReportJson(report)) as TrustReport;
    expect(docId).toBe(`report:${createHash('sha256').update(JSON.stringify(sorted(exported))).digest('hex')}`);
    const onServer = (await docOnServer(docId))!;
    expect(onServer).toMatchObject({ type: 'trust-report', publishedBy: 'coord', preset: 'quick', cases: 4, methods: [{ id: 'flat', label: expect.any(String) }] });
    expect(onServer.report).toEqual(exported);
    for (const m of report.models) {
      const md = (await docOnServer(`model:${m.weightsSha256}`))!;
      expect(md).toMatchObject({ type: 'model', id: m.id, name: m.name, family: 'net', weightsSha256: m.weightsSha256, input: { height: 10, width: 10, channels: 1 } });
    }
    const revs = [onServer._rev, ...(await Promise.all(report.models.map(async (m) => (await docOnServer(`model:${m.weightsSha256}`))!._rev)))];

    // the same report again: found by its id, nothing written, no new revision
    const again = await c.r.publishReport(report);
    expect(again).toMatchObject({ docId, written: 0, modelsWritten: 0, already: { publishedBy: 'coord', publishedAt: first.publishedAt } });
    const revsAfter = [(await docOnServer(docId))!._rev, ...(await Promise.all(report.models.map(async (m) => (await docOnServer(`model:${m.weightsSha256}`))!._rev)))];
    expect(revsAfter).toEqual(revs);
    expect(revs.every((r) => r.startsWith('1-'))).toBe(true);

    // another coordinator workstation: the report is listed and reads back deep-equal to the export
    const c2 = replica('coord', 'pc');
    expect(await c2.r.start()).toBe('coordinator');
    await until(() => (c2.reports() ?? []).some((x) => x.docId === docId));
    const listed = c2.reports()!.find((x) => x.docId === docId)!;
    expect(listed).toMatchObject({ publishedBy: 'coord', publishedAt: first.publishedAt, preset: 'quick', cases: 4, methods: [{ id: 'flat' }] });
    expect(listed.models.map((m) => [m.id, m.weightsSha256])).toEqual(report.models.map((m) => [m.id, m.weightsSha256]));
    expect(listed.verdicts).toEqual({ flat: report.verdicts.flat.state });
    const back = c2.r.publishedReport(docId)!;
    expect(back.report).toEqual(exported);
    expect(back.report.cells.flat.localization.value).toBe(report.cells.flat.localization.value);
    await c.r.stop(); await c2.r.stop();
  });

  it("a reader's publish is refused by the server (403) with a clear message, and nothing is written", async () => {
    const a = replica('alice', 'pa');
    expect(await a.r.start()).toBe('reader');
    const other = { ...report, createdAt: '2001-01-01T00:00:00.000Z' };
    const err = await a.r.publishReport(other).then(() => null, (e: Error & { code?: string; status?: number }) => e);
    expect(err?.code).toBe('FORBIDDEN');
    expect(err?.status).toBe(403);
    expect(err?.message).toContain(server.url);
    expect(err?.message).toContain('refused to publish the trust report');
    expect(err?.message).toContain('Only a coordinator');
    const all = await fetch(`${server.url}/${STUDY_DB}/_all_docs`, { headers: auth('coord', 'pc') });
    const ids = ((await all.json()) as { rows: Array<{ id: string }> }).rows.map((r) => r.id).filter((id) => id.startsWith('report:'));
    expect(ids).toEqual([docId]);
    await a.r.stop();
  });

  it("a reader's workstation never receives report or model documents (neither over the network nor in its local database), yet gets the case list", async () => {
    const c = replica('coord', 'pc');
    await c.r.start();
    const cases = [0, 1].map((k): PublishedCase => ({ type: 'case', name: `r/${k}.png`, imageHash: createHash('sha256').update(`r${k}`).digest('hex'), width: 8, height: 8, order: k }));
    await c.r.publishCaseList(cases, 'Results study');
    // the report is in the study database (published again: the same documents)
    docId = (await c.r.publishReport(report)).docId;
    expect(await docOnServer(docId)).not.toBeNull();
    // what the reader's workstation is sent from the study database, as received
    const received: string[] = [];
    const net = network();
    const inner = net.fetch;
    net.fetch = (async (url: RequestInfo | URL, init?: RequestInit) => {
      const res = await inner(url, init);
      if (String(url).includes(`/${STUDY_DB}`)) void res.clone().text().then((t) => received.push(t), () => {});
      return res;
    }) as typeof fetch;
    const locals: Array<{ name: string; db: InstanceType<PouchCtor> }> = [];
    class Recording extends (Pouch as unknown as new (name: string, o?: object) => InstanceType<PouchCtor>) {
      constructor(name: string, o?: object) { super(name, o); locals.push({ name, db: this }); }
    }
    const a = replica('alice', 'pa', net, Recording as unknown as PouchCtor);
    expect(await a.r.start()).toBe('reader');
    await until(() => a.caseList()?.manifest?.study === 'Results study' && a.caseList()!.cases.length === 2 && a.caseList()!.caughtUp);
    expect(a.caseList()!.cases).toEqual(cases);
    const study = locals.find((l) => l.name.endsWith('-study'))!;
    const here = (await study.db.allDocs({ include_docs: true })).rows.map((r) => r.id);
    expect(here).toContain('cases');
    expect(here.filter((id) => id.startsWith('report:') || id.startsWith('model:'))).toEqual([]);
    expect(a.r.publishedReports()).toEqual([]);
    expect(a.reports()).toBeNull();
    const sent = received.join('\n');
    expect(sent).toContain('case:r/0.png');
    expect(sent).not.toContain('report:');
    expect(sent).not.toContain('model:');
    expect(sent).not.toContain('trust-report');
    // the study database itself still holds them (a reader's login can GET them: the README says so)
    const direct = await fetch(`${server.url}/${STUDY_DB}/${encodeURIComponent(docId)}`, { headers: auth('alice', 'pa') });
    expect(direct.status).toBe(200);
    // deleting a case reaches the reader through the filter (a deletion keeps its id)
    await c.r.publishCaseList(cases.slice(0, 1), 'Results study');
    await until(() => a.caseList()!.cases.length === 1 && a.caseList()!.manifest?.count === 1);
    await a.r.stop(); await c.r.stop();
  });
});
