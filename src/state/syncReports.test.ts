import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { openDatabase } from './db';
import { createSyncStore } from './sync';
import type { PouchCtor } from '../storage/replica';
import { syntheticTrustReport } from '../core/sync/reportFixture';
import { trustReportJson, type TrustReport } from '../core/trust/report';

/**
 * The sync store's model results (what the Dashboard shows), against the real local sync server:
 * a coordinator's workstation publishes its report, another coordinator's lists it and opens it,
 * and a reader's publish is refused by the server with a message that says so.
 */
const require = createRequire(import.meta.url);
const Pouch = require('pouchdb-core').plugin(require('pouchdb-adapter-memory')).plugin(require('pouchdb-adapter-http')).plugin(require('pouchdb-replication')) as PouchCtor;
const until = async (f: () => boolean, ms = 20_000) => { const t = Date.now(); while (!f()) { if (Date.now() - t > ms) throw new Error('timed out'); await new Promise((res) => setTimeout(res, 50)); } };

let server: { url: string; stop(): Promise<void> };
let report: TrustReport;
beforeAll(async () => {
  const { startSyncServerProcess } = await import('../../scripts/syncServerProcess.mjs' as string);
  server = await startSyncServerProcess({ readers: [{ name: 'alice', password: 'pa' }], coordinators: [{ name: 'coord', password: 'pc' }] });
  report = await syntheticTrustReport();
});
afterAll(async () => { await server?.stop(); });

const store = (name: string) => createSyncStore({ Pouch: async () => Pouch, open: () => openDatabase(`${name}-${Date.now()}`) });

describe('sync store: model results', () => {
  it('a coordinator publishes; another coordinator workstation lists the report and opens it; publishing again says who published it', async () => {
    const a = store('coord-a');
    await a.getState().connect(server.url, 'coord', 'pc');
    expect(a.getState().status?.role).toBe('coordinator');
    await until(() => a.getState().reports !== null);
    expect(a.getState().reports).toEqual([]);
    // a report still being computed is not published
    await a.getState().publishReport({ ...report, complete: false });
    expect(a.getState().reportPublish.error).toBe('The evaluation is still running; publish the report when it is done.');
    await a.getState().publishReport(report);
    expect(a.getState().reportPublish.error).toBeNull();
    expect(a.getState().reportPublish.message).toContain(`Published the trust report (2 models, 1 method, 4 cases) to the study database on ${server.url}`);
    expect(a.getState().reportPublish.message).toContain('(3 documents written, 2 of them models)');
    await a.getState().publishReport(report);
    expect(a.getState().reportPublish.message).toMatch(new RegExp(`^The trust report \\(2 models, 1 method, 4 cases\\) is already in the study database on ${server.url.replace(/[.:/]/g, '\\$&')}: published by coord at .+; nothing was written\\.$`));

    const b = store('coord-b');
    await b.getState().connect(server.url, 'coord', 'pc');
    await until(() => (b.getState().reports?.length ?? 0) === 1);
    const [listed] = b.getState().reports!;
    expect(listed).toMatchObject({ publishedBy: 'coord', cases: 4, preset: 'quick', methods: [{ id: 'flat' }] });
    expect(listed.models.map((m) => m.name)).toEqual(['Net m1', 'Net m2']);
    expect(b.getState().opened).toBeNull();
    b.getState().openReport(listed.docId);
    expect(b.getState().opened?.report).toEqual(JSON.parse(trustReportJson(report)));
    b.getState().closeReport();
    expect(b.getState().opened).toBeNull();
    await a.getState().disconnect(); await b.getState().disconnect();
  });

  it("a reader's publish is refused by the server, and the message says so; a reader's store lists no reports", async () => {
    const r = store('alice');
    await r.getState().connect(server.url, 'alice', 'pa');
    expect(r.getState().status?.role).toBe('reader');
    await until(() => r.getState().caseList?.caughtUp === true);
    await r.getState().publishReport({ ...report, createdAt: '2003-03-03T00:00:00.000Z' });
    expect(r.getState().reportPublish.message).toBeNull();
    expect(r.getState().reportPublish.error).toBe(`${server.url} refused to publish the trust report (403): Only a coordinator writes to the study database.`);
    expect(r.getState().reports).toBeNull();
    await r.getState().disconnect();
  });
});
