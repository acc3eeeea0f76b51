import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../testing/runCli';
import { Replica, type PouchCtor } from '../../storage/replica';
import { syntheticTrustReport } from '../../core/sync/reportFixture';
import { trustReportJson, type TrustReport } from '../../core/trust/report';
import type { PublishedReportSummary } from '../../core/sync/modelResults';
import { STUDY_DB } from '../../core/sync/couchLayout';

/**
 * `heatcheck publish-report` against the real local sync server (started here, set up by
 * scripts/sync-setup.mjs): the documents it writes are the dashboard's (a coordinator replica, as
 * the app runs it, lists and reads the report back), the same report again writes nothing, a
 * reader's login is refused by the server, and bad input is a message naming the file.
 */
const require = createRequire(import.meta.url);
const Pouch = require('pouchdb-core').plugin(require('pouchdb-adapter-memory')).plugin(require('pouchdb-adapter-http')).plugin(require('pouchdb-replication')) as PouchCtor;

let server: { url: string; stop(): Promise<void> };
let dir = '';
let report: TrustReport;
beforeAll(async () => {
  const { startSyncServerProcess } = await import('../../../scripts/syncServerProcess.mjs' as string);
  server = await startSyncServerProcess({ readers: [{ name: 'alice', password: 'pa' }], coordinators: [{ name: 'coord', password: 'pc' }] });
  dir = mkdtempSync(path.join(tmpdir(), 'heatcheck-publish-'));
  report = await syntheticTrustReport();
  process.env.HC_TEST_COORD_PW = 'pc';
  process.env.HC_TEST_ALICE_PW = 'pa';
}, 60_000);
afterAll(async () => { await server?.stop(); });

const until = async (f: () => boolean, ms = 20_000) => { const t = Date.now(); while (!f()) { if (Date.now() - t > ms) throw new Error('timed out'); await new Promise((res) => setTimeout(res, 50)); } };
const publish = (file: string, user = 'coord', env = 'HC_TEST_COORD_PW') => runCli(['publish-report', file, '--server', server.url, '--user', user, '--password-env', env]);

describe('heatcheck publish-report (real sync server)', () => {
  it('writes the dashboard\'s documents: a coordinator workstation lists the report and reads it back; the same report again writes nothing', async () => {
    // the form heatcheck evaluate --out writes: the report and more (the study folder, model folders), one-space indent
    const cliForm = { ...JSON.parse(trustReportJson(report)), study: { dir: '/data/study', casesUsed: 4 }, models: report.models.map((m) => ({ ...m, dir: `/models/${m.id}` })) };
    const file = path.join(dir, 'report.json');
    writeFileSync(file, JSON.stringify(cliForm, null, 1) + '\n');
    const a = await publish(file);
    expect(a.code, a.err).toBe(0);
    expect(a.json).toMatchObject({ ok: true, server: server.url, publishedBy: 'coord', alreadyPublished: false, written: 3, modelsWritten: 2 });
    expect(a.json.models).toEqual(report.models.map((m) => ({ id: m.id, document: `model:${m.weightsSha256}` })));
    // the model documents carry the report's model entry, not the folder on the machine that ran it
    const md = await (await fetch(`${server.url}/${STUDY_DB}/${encodeURIComponent(`model:${report.models[0].weightsSha256}`)}`, { headers: { authorization: 'Basic ' + btoa('coord:pc') } })).json();
    expect(md).toMatchObject({ type: 'model', id: 'm1', name: 'Net m1', family: 'net', weightsSha256: report.models[0].weightsSha256 });
    expect(md.dir).toBeUndefined();

    let listed: PublishedReportSummary[] = [];
    const c = new Replica({ Pouch, server: server.url, user: 'coord', password: 'pc', localPrefix: 'cli', onReads: () => {}, onStatus: () => {}, onConflicts: () => {}, onReports: (r) => { listed = r; } });
    expect(await c.start()).toBe('coordinator');
    await until(() => listed.some((r) => r.docId === a.json.document));
    expect(listed.find((r) => r.docId === a.json.document)).toMatchObject({ publishedBy: 'coord', cases: 4, methods: [{ id: 'flat' }] });
    expect(c.publishedReport(a.json.document as string)!.report).toEqual(cliForm);
    await c.stop();

    const b = await publish(file);
    expect(b.code).toBe(0);
    expect(b.json).toMatchObject({ alreadyPublished: true, written: 0, modelsWritten: 0, document: a.json.document, publishedAt: a.json.publishedAt });
  });

  it('the dashboard\'s Metrics JSON of a report the app published is the same report: found, nothing written', async () => {
    const c = new Replica({ Pouch, server: server.url, user: 'coord', password: 'pc', localPrefix: 'cli2', onReads: () => {}, onStatus: () => {}, onConflicts: () => {} });
    const fromApp = await c.publishReport(report);
    const file = path.join(dir, 'metrics.json');
    writeFileSync(file, trustReportJson(report));
    const r = await publish(file);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ alreadyPublished: true, written: 0, document: fromApp.docId });
  });

  it("a reader's login is refused by the server (403), and the message says so", async () => {
    const file = path.join(dir, 'other.json');
    writeFileSync(file, trustReportJson({ ...report, createdAt: '2002-02-02T00:00:00.000Z' }));
    const r = await publish(file, 'alice', 'HC_TEST_ALICE_PW');
    expect(r.code).not.toBe(0);
    expect(r.json).toMatchObject({ ok: false, code: 'SYNC_FORBIDDEN', status: 403 });
    expect(r.json.message).toContain('other.json');
    expect(r.json.message).toContain(`${server.url} refused to publish the trust report (403)`);
    expect(r.json.message).toContain('Only a coordinator');
  });

  it('bad input: a missing file, not JSON, not a trust report, no password variable, a wrong password', async () => {
    const missing = await publish(path.join(dir, 'nope.json'));
    expect([missing.code, missing.json.code]).toEqual([3, 'NOT_FOUND_REPORT']);
    expect(missing.json.message).toContain('nope.json does not exist');
    const text = path.join(dir, 'text.json');
    writeFileSync(text, 'not json');
    const notJson = await publish(text);
    expect([notJson.code, notJson.json.code]).toEqual([4, 'BAD_INPUT_REPORT']);
    expect(notJson.json.message).toContain(`${text} is not JSON`);
    const other = path.join(dir, 'other-schema.json');
    writeFileSync(other, JSON.stringify({ schema: 'heatcheck.reader-file/1' }));
    const wrong = await publish(other);
    expect([wrong.code, wrong.json.code]).toEqual([4, 'BAD_INPUT_REPORT']);
    expect(wrong.json.message).toContain(`${other} has schema "heatcheck.reader-file/1", not "heatcheck.trust-report/1"`);
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, JSON.stringify({ ...JSON.parse(trustReportJson(report)), cells: [] }));
    const b = await publish(broken);
    expect(b.json.message).toContain(`${broken}: "cells" should be an object.`);
    const noEnv = await publish(path.join(dir, 'report.json'), 'coord', 'HC_TEST_NOT_SET');
    expect([noEnv.code, noEnv.json.code]).toEqual([2, 'USAGE_BAD_OPTION']);
    expect(noEnv.json.message).toContain('HC_TEST_NOT_SET');
    process.env.HC_TEST_WRONG_PW = 'wrong';
    const badLogin = await publish(path.join(dir, 'report.json'), 'coord', 'HC_TEST_WRONG_PW');
    expect(badLogin.json).toMatchObject({ ok: false, code: 'SYNC_FORBIDDEN', status: 401 });
    expect(badLogin.json.message).toContain(server.url);
  });
});
