import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { canonicalJson, modelDocId, modelResultDocs, READER_STUDY_SELECTOR, readerNeedsStudyDoc, trustReportProblems } from './modelResults';
import { syntheticTrustReport } from './reportFixture';
import { trustReportJson, type TrustReport, type TrustReportModel } from '../trust/report';

const require = createRequire(import.meta.url);
/** PouchDB in memory: its changes feed applies a selector as the local sync server's does (and CouchDB's `_selector` filter). */
type Db = { bulkDocs(d: object[]): Promise<unknown>; changes(o: object): Promise<{ results: Array<{ id: string; deleted?: boolean }> }>; get(id: string): Promise<{ _rev: string }>; remove(id: string, rev: string): Promise<unknown> };
const Pouch = require('pouchdb-core').plugin(require('pouchdb-adapter-memory')) as new (name: string) => Db;

describe('model results documents', () => {
  it("a reader's selector keeps the case list and the readers' list, and nothing else; a case's deletion passes", async () => {
    const kept = ['case:a/1.png', 'case:x', 'cases', 'readers'];
    const dropped = ['report:abc', 'model:abc', 'model:entry-abc', '_design/heatcheck-access', 'casesX', 'readers2', 'xcases', 'case-list', 'caseX'];
    for (const id of kept) expect(readerNeedsStudyDoc(id), id).toBe(true);
    for (const id of dropped) expect(readerNeedsStudyDoc(id), id).toBe(false);
    const db = new Pouch(`selector-${Date.now()}`);
    await db.bulkDocs([...kept, ...dropped].map((_id) => ({ _id, type: 'any' })));
    const feed = async () => (await db.changes({ selector: READER_STUDY_SELECTOR, include_docs: true })).results;
    expect((await feed()).map((r) => r.id).sort()).toEqual([...kept].sort());
    // a deleted case keeps its id (and loses its body), so its deletion passes the selector
    await db.remove('case:x', (await db.get('case:x'))._rev);
    expect((await feed()).find((r) => r.id === 'case:x')?.deleted).toBe(true);
  });

  it('canonical JSON sorts keys at every depth and keeps arrays in order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 'x' }, null], e: { z: true, y: undefined } })).toBe('{"a":[{"c":"x","d":2},null],"b":1,"e":{"z":true}}');
  });

  it('the report id is the SHA-256 of its canonical JSON form; key order does not change it; a model without a weights hash is keyed by its entry', async () => {
    const r = await syntheticTrustReport();
    const docs = await modelResultDocs(r, 'coord', 5);
    const exported = JSON.parse(trustReportJson(r));
    const sorted = (v: unknown): unknown => (Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v);
    expect(docs.report._id).toBe(`report:${createHash('sha256').update(JSON.stringify(sorted(exported))).digest('hex')}`);
    const reversed = Object.fromEntries(Object.entries(exported).reverse()) as unknown as TrustReport;
    expect((await modelResultDocs(reversed, 'someone else', 9)).report._id).toBe(docs.report._id);
    expect(docs.report.body).toMatchObject({ publishedBy: 'coord', publishedAt: 5, cases: 4, verdicts: { flat: r.verdicts.flat.state } });
    expect(docs.models.map((m) => m._id)).toEqual(r.models.map((m) => `model:${m.weightsSha256}`));
    const bare: TrustReportModel = { ...r.models[0], weightsSha256: null };
    const entry = `{"architecture":"net","cascade":${JSON.stringify(bare.cascade)},"family":"net","id":"m1","input":{"channels":1,"height":10,"width":10},"name":"Net m1","output":{"index":0,"kind":"logit"},"seed":1,"weightsSha256":null}`;
    expect(await modelDocId(bare)).toBe(`model:entry-${createHash('sha256').update(entry).digest('hex')}`);
  });

  it('a file that is not a trust report is named with what is wrong', async () => {
    const r = JSON.parse(trustReportJson(await syntheticTrustReport()));
    expect(trustReportProblems(r, 'r.json')).toEqual([]);
    expect(trustReportProblems([], 'r.json')).toEqual(['r.json is not a JSON object, so it is not a Heatcheck trust report.']);
    expect(trustReportProblems({ ...r, schema: 'x/1' }, 'r.json')[0]).toContain('r.json has schema "x/1", not "heatcheck.trust-report/1"');
    expect(trustReportProblems({ ...r, models: {} }, 'r.json')).toEqual(['r.json: "models" should be a list.']);
    expect(trustReportProblems({ ...r, verdicts: {} }, 'r.json')).toEqual(['r.json: method flat has no verdict.']);
    expect(trustReportProblems({ ...r, models: [{ id: 'm' }] }, 'r.json')).toEqual(['r.json: models[0] needs an id, a family and a weightsSha256 (a hash or null).']);
  });
});
