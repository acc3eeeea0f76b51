import type { Box, ReadStatus } from './db';
import { CASES_DOC_ID, readerDbName, READERS_DOC_ID, STUDY_DB } from '../core/sync/couchLayout';
import { CASE_DOC_PREFIX, caseDocId, type CaseListManifest, type PublishedCase } from '../core/sync/caseList';
import { modelResultDocs, READER_STUDY_SELECTOR, readerNeedsStudyDoc, REPORT_DOC_PREFIX, summaryOf, type PublishedReport, type PublishedReportSummary } from '../core/sync/modelResults';
import type { TrustReport } from '../core/trust/report';

/**
 * Replication of readers' boxes with a CouchDB server (CouchDB's replication protocol, through
 * PouchDB). The app's IndexedDB store stays the source of truth for the reader at the keyboard; this
 * module keeps a PouchDB database beside it (IndexedDB in the browser) that holds the same boxes as
 * documents and replicates it, live and resumably (checkpoints), with the server:
 * - a reader pushes and pulls their own database `heatcheck-reader-<login>` (other readers' data
 *   never comes here: the server refuses it);
 * - a coordinator pulls every reader's database listed in the study database (read-only).
 *
 * Documents: one per box, `_id` the box's stable id ({type: 'box', readerId, caseId, caseName,
 * imageHash, x0, y0, x1, y1}); a deleted box is a deletion of its document; one per read case,
 * `read:<imageHash>` ({type: 'read', status}). Cases are matched across workstations by the
 * image's content hash (each workstation imports the same images; nothing is uploaded); the case
 * name (its path in the study folder) names the case when the hashes differ.
 *
 * The study database: every login pulls it (live, read only) and hands its case list to
 * `onCaseList`; a coordinator publishes the case list into it (`publishCaseList`, over plain
 * HTTP; the server refuses that to readers). A coordinator also publishes trust reports into it
 * (`publishReport`: model and report documents, src/core/sync/modelResults.ts) and sees the
 * published ones (`onReports`, `publishedReport`). A reader's workstation pulls the study
 * database filtered to the case list and the readers' list (a Mango selector the server applies):
 * model results never reach it.
 *
 * Conflicts (one box edited on two workstations, or in two browsers, at once) are CouchDB's: both
 * revisions are kept, one wins by revision everywhere, and `conflicts` lists every box whose
 * document has losing revisions until someone resolves it (`resolveConflict`).
 */

/** The part of PouchDB this module uses (pouchdb-browser in the app, pouchdb-core + memory in Node). */
export interface PouchEmitter {
  on(ev: string, fn: (arg?: any) => void): PouchEmitter; // eslint-disable-line @typescript-eslint/no-explicit-any
  cancel(): void;
}
export interface PouchDoc { _id: string; _rev?: string; _deleted?: boolean; _conflicts?: string[]; [k: string]: unknown }
export interface PouchLike {
  allDocs(o: { include_docs: boolean; conflicts?: boolean }): Promise<{ rows: Array<{ id: string; doc?: PouchDoc }> }>;
  get(id: string, o?: { rev?: string; conflicts?: boolean }): Promise<PouchDoc>;
  bulkDocs(docs: PouchDoc[]): Promise<Array<{ ok?: boolean; id: string; rev?: string; error?: string | boolean; status?: number; message?: string }>>;
  changes(o: { since: 'now' | number; live: boolean; include_docs: boolean; conflicts?: boolean }): PouchEmitter;
  sync(remote: PouchLike, o: object): PouchEmitter;
  replicate: { from(remote: PouchLike, o: object): PouchEmitter };
  close(): Promise<void>;
  info?(): Promise<object>;
}
export type PouchCtor = new (name: string, opts?: object) => PouchLike;

/**
 * A server database for replication. PouchDB's replication asks the source for `info()` after each
 * batch it writes, only to update its progress bookkeeping, and attaches no handler to that promise:
 * when the server goes away just then, the rejection is unhandled (a console error in the browser).
 * Here a failed `info()` answers with the last one that succeeded, if any; the replication's next
 * request fails as usual and its retry takes over. With no earlier answer it fails as before.
 */
function remoteDb(Pouch: PouchCtor, url: string, opts: object): PouchLike {
  const db = new Pouch(url, opts);
  const info = db.info?.bind(db);
  if (info) {
    let last: object | undefined;
    db.info = async () => {
      try { last = await info(); return last; } catch (e) { if (last) return last; throw e; }
    };
  }
  return db;
}

export interface BoxDoc extends PouchDoc { type: 'box'; readerId: string; caseId: string; caseName?: string; imageHash: string; x0: number; y0: number; x1: number; y1: number; updatedAt: number }
export interface ReadDoc extends PouchDoc { type: 'read'; readerId: string; caseId: string; caseName?: string; imageHash: string; status: ReadStatus; updatedAt: number }

/**
 * One reader's boxes on one image, as replicated. `caseId` is the case's record id on the
 * workstation that wrote it; `caseName` its name in the study (the same on every workstation).
 */
export interface ReplicatedRead { readerId: string; caseId: string; caseName?: string; imageHash: string; boxes: Box[]; status: ReadStatus }
/** The study database's case list as pulled here (empty before anything is published). */
export interface PulledCaseList {
  cases: PublishedCase[];
  manifest: CaseListManifest | null;
  /** The pull has caught up with the server at least once (before that, an empty list says nothing). */
  caughtUp: boolean;
}
export interface PublishCaseListResult { published: number; written: number; removed: number; publishedAt: number }
export interface PublishReportResult {
  docId: string;
  reportId: string;
  /** Documents written: the report's (0 when it was there already) and the models' that were new or changed. */
  written: number;
  modelsWritten: number;
  /** When the same report was published before: by whom and when (nothing of it was written again). */
  already: { publishedBy: string; publishedAt: number } | null;
  publishedAt: number;
}
export interface BoxConflict {
  boxId: string;
  readerId: string;
  caseId: string;
  imageHash: string;
  /** The version shown (CouchDB's winning revision). */
  shown: { rev: string; box: Box | null };
  /** The versions kept beside it. */
  others: Array<{ rev: string; box: Box | null }>;
}
export interface SyncStatus {
  state: 'connecting' | 'connected' | 'syncing' | 'offline' | 'error';
  server: string;
  role: 'reader' | 'coordinator' | null;
  /** Documents written here and not yet on the server (reader), or still to pull (coordinator, when known). */
  pending: number;
  lastSyncedAt: number | null;
  code?: 'BAD_LOGIN' | 'SERVER_UNREACHABLE' | 'FORBIDDEN' | 'QUOTA' | 'NOT_A_HEATCHECK_SERVER' | 'SYNC_FAILED';
  message?: string;
}
export interface ReplicaOptions {
  Pouch: PouchCtor;
  server: string;
  user: string;
  password: string;
  /** Prefix of the local PouchDB databases (one per login and server). */
  localPrefix?: string;
  onReads(reads: ReplicatedRead[]): void;
  onStatus(s: SyncStatus): void;
  onConflicts(c: BoxConflict[]): void;
  /** A box this workstation deleted came back (changed elsewhere at the same time; an edit wins over a delete). */
  onRestored?(c: { boxId: string; readerId: string; caseId: string; imageHash: string }): void;
  /** The study database's case list, after each change pulled (batched). */
  onCaseList?(list: PulledCaseList): void;
  /** Coordinator: the trust reports published in the study database, newest first, after each change pulled (batched). */
  onReports?(reports: PublishedReportSummary[]): void;
  fetch?: typeof fetch;
}

const basic = (user: string, password: string) => 'Basic ' + btoa(unescape(encodeURIComponent(`${user}:${password}`)));
const boxOf = (d: PouchDoc | undefined): Box | null => (d && !d._deleted && d.type === 'box' ? { id: d._id, x0: d.x0 as number, y0: d.y0 as number, x1: d.x1 as number, y1: d.y1 as number } : null);
/** The same document body (ignoring `_id`, `_rev` and key order). */
function sameBody(a: object, b: object): boolean {
  const keys = (o: object) => Object.keys(o).filter((k) => !k.startsWith('_')).sort();
  const ka = keys(a), kb = keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && JSON.stringify((a as Record<string, unknown>)[k]) === JSON.stringify((b as Record<string, unknown>)[k]));
}
const readKey = (readerId: string, imageHash: string) => `${readerId}\u001f${imageHash}`;

/** A login on a sync server, for plain HTTP requests (no replication). */
export interface ServerLogin { server: string; user: string; password: string; fetch?: typeof fetch }

/** Requests to the study database for a publication: the login, and refusals as clear errors naming `what`. */
function studyCall(o: ServerLogin, what: string) {
  const f = o.fetch ?? fetch;
  const headers = { authorization: basic(o.user, o.password), accept: 'application/json', 'content-type': 'application/json' };
  return async (url: string, init: RequestInit = {}) => {
    let r: Response;
    try { r = await f(url, { ...init, headers }); } catch (e) {
      throw Object.assign(new Error(`Cannot reach ${o.server} to publish ${what} (${(e as Error).message}); nothing was published.`), { code: 'SERVER_UNREACHABLE' });
    }
    if (r.status === 401 || r.status === 403) {
      const j = (await r.json().catch(() => ({}))) as { reason?: string };
      throw Object.assign(new Error(`${o.server} refused to publish ${what} (${r.status}): ${j.reason ?? 'only a coordinator login writes to the study database.'}`), { code: 'FORBIDDEN', status: r.status });
    }
    return r;
  };
}

/**
 * Publishes a trust report to the study database over plain HTTP (the app and `heatcheck
 * publish-report`): a document per model (written when new or changed) and the report's document,
 * whose id is the report's content hash: the same report published again writes nothing. The
 * server decides who may: a reader's login is refused (403), and that is the error thrown.
 */
export async function publishTrustReport(o: ServerLogin, report: TrustReport): Promise<PublishReportResult> {
  const what = 'the trust report';
  const server = o.server.replace(/\/+$/, '');
  const login = { ...o, server };
  const call = studyCall(login, what);
  const base = `${server}/${STUDY_DB}`;
  const publishedAt = Date.now();
  const docs = await modelResultDocs(report, o.user, publishedAt);
  const ids = [docs.report._id, ...docs.models.map((m) => m._id)];
  const listed = await call(`${base}/_all_docs?include_docs=true`, { method: 'POST', body: JSON.stringify({ keys: ids }) });
  if (listed.status === 404) throw Object.assign(new Error(`${server} has no Heatcheck study database (${STUDY_DB}); run scripts/sync-setup.mjs against it. Nothing was published.`), { code: 'NOT_A_HEATCHECK_SERVER' });
  if (!listed.ok) throw Object.assign(new Error(`${server} answered ${listed.status} when asked for the published reports; nothing was published.`), { code: 'SYNC_FAILED' });
  const rows = ((await listed.json()) as { rows: Array<{ key: string; doc?: PouchDoc | null }> }).rows;
  const existing = new Map(rows.filter((r) => r.doc).map((r) => [r.key, r.doc!]));
  const write: PouchDoc[] = [];
  for (const m of docs.models) {
    const old = existing.get(m._id);
    if (old && sameBody(old, m.body)) continue;
    write.push({ ...m.body, _id: m._id, ...(old?._rev ? { _rev: old._rev } : {}) } as unknown as PouchDoc);
  }
  const oldReport = existing.get(docs.report._id);
  const already = oldReport ? { publishedBy: String(oldReport.publishedBy), publishedAt: Number(oldReport.publishedAt) } : null;
  if (!oldReport) write.push({ ...docs.report.body, _id: docs.report._id } as unknown as PouchDoc);
  const result: PublishReportResult = { docId: docs.report._id, reportId: docs.report.body.reportId, written: write.length, modelsWritten: write.length - (oldReport ? 0 : 1), already, publishedAt };
  if (!write.length) return result;
  const w = await call(`${base}/_bulk_docs`, { method: 'POST', body: JSON.stringify({ docs: write }) });
  if (w.status === 413) throw Object.assign(new Error(`${server} refused the trust report as too large (413); raise the server's max_document_size (CouchDB: [couchdb] max_document_size) or publish a report of fewer cases.`), { code: 'SYNC_FAILED' });
  if (!w.ok) throw Object.assign(new Error(`${server} answered ${w.status} to the trust report; it may be published in part. Publish again.`), { code: 'SYNC_FAILED' });
  const res = (await w.json()) as Array<{ id: string; ok?: boolean; error?: string; reason?: string }>;
  const refused = res.find((x) => x.error === 'forbidden' || x.error === 'unauthorized');
  if (refused) {
    const status = refused.error === 'forbidden' ? 403 : 401;
    throw Object.assign(new Error(`${server} refused to publish ${what} (${status}): ${refused.reason ?? 'only a coordinator login writes to the study database.'}`), { code: 'FORBIDDEN', status });
  }
  // the report's document written meanwhile by another coordinator is the same report: not a failure
  const failed = res.filter((x) => x.error && !(x.error === 'conflict' && x.id === docs.report._id));
  if (failed.length) throw Object.assign(new Error(`${failed.length} document(s) of the trust report were not written (${failed[0].id}: ${failed[0].error}${failed[0].reason ? `, ${failed[0].reason}` : ''}); another coordinator may have published meanwhile. Publish again.`), { code: 'SYNC_FAILED' });
  return result;
}

export class Replica {
  private readonly o: ReplicaOptions;
  private readonly server: string;
  private locals: PouchLike[] = [];
  private emitters: PouchEmitter[] = [];
  /** Every document of the local databases, by id (the current winning revision). */
  private docs = new Map<string, PouchDoc>();
  private conflicts = new Map<string, BoxConflict>();
  private ownRevs = new Set<string>();
  private ownDeleted = new Set<string>();
  private status: SyncStatus;
  private role: 'reader' | 'coordinator' | null = null;
  private mine: PouchLike | null = null;
  private stopped = false;
  /** The last request to the server failed at the network level. */
  private unreachable = false;
  private writing: Promise<void> = Promise.resolve();
  /** The local copy of the study database (pulled, read only here). */
  private study: PouchLike | null = null;
  private studyDocs = new Map<string, PouchDoc>();
  private caseListTimer: ReturnType<typeof setTimeout> | null = null;
  private studyCaughtUp = false;

  constructor(o: ReplicaOptions) {
    this.o = o;
    this.server = o.server.replace(/\/+$/, '');
    this.status = { state: 'connecting', server: this.server, role: null, pending: 0, lastSyncedAt: null };
  }

  private setStatus(p: Partial<SyncStatus>) {
    const next: SyncStatus = { ...this.status, ...p };
    if (next.state !== 'error') { if (!('code' in p)) delete next.code; if (!('message' in p)) delete next.message; }
    this.status = next;
    this.o.onStatus({ ...next });
  }
  private fail(code: NonNullable<SyncStatus['code']>, message: string) {
    this.status = { ...this.status, state: 'error', code, message };
    this.o.onStatus({ ...this.status });
  }

  /** Checks the login, then starts live replication. Resolves with the role the server gave the login. */
  async start(): Promise<'reader' | 'coordinator' | null> {
    const f = this.o.fetch ?? fetch;
    const auth = basic(this.o.user, this.o.password);
    let session: { userCtx?: { name: string | null; roles: string[] } };
    try {
      const r = await f(`${this.server}/_session`, { headers: { authorization: auth, accept: 'application/json' } });
      if (r.status === 401) { this.fail('BAD_LOGIN', `${this.server} refused the login "${this.o.user}": wrong user name or password.`); return null; }
      session = await r.json();
    } catch (e) {
      this.fail('SERVER_UNREACHABLE', `Cannot reach the sync server ${this.server} (${(e as Error).message}). Check the address and that it is running; nothing here is lost.`);
      return null;
    }
    const roles = session.userCtx?.roles ?? [];
    if (session.userCtx?.name !== this.o.user) { this.fail('BAD_LOGIN', `${this.server} did not accept the login "${this.o.user}".`); return null; }
    this.role = roles.includes('heatcheck-coordinator') ? 'coordinator' : roles.includes('heatcheck-reader') ? 'reader' : null;
    if (!this.role) { this.fail('FORBIDDEN', `The login "${this.o.user}" on ${this.server} is neither a Heatcheck reader nor a coordinator (roles: ${roles.join(', ') || 'none'}). Run scripts/sync-setup.mjs for it.`); return null; }
    this.setStatus({ role: this.role });
    // every request to the server goes through here: the login, and whether the server answers at all
    const remoteOpts = {
      fetch: async (url: string, init: RequestInit = {}) => {
        const h = new Headers(init.headers);
        h.set('authorization', auth);
        try {
          const r = await f(url, { ...init, headers: h });
          if (this.unreachable) { this.unreachable = false; if (this.status.state === 'offline') this.setStatus({ state: 'syncing' }); }
          return r;
        } catch (e) {
          if (!this.stopped && (init.signal as AbortSignal | undefined)?.aborted !== true) {
            this.unreachable = true;
            this.setStatus({ state: 'offline', message: `Cannot reach ${this.server}; ${this.status.pending} document(s) wait here and will be sent when it is back.` });
          }
          throw e;
        }
      },
    };
    const prefix = `${this.o.localPrefix ?? 'heatcheck-sync'}-${encodeURIComponent(this.server)}-${this.o.user}`;
    const live = { live: true, retry: true, back_off_function: (d: number) => (d ? Math.min(d * 2, 4000) : 500), batch_size: 200 };
    if (this.role === 'reader') {
      const local = new this.o.Pouch(prefix);
      this.mine = local;
      this.locals.push(local);
      await this.index(local);
      const remote = remoteDb(this.o.Pouch, `${this.server}/${readerDbName(this.o.user)}`, remoteOpts);
      this.watch(() => local.sync(remote, live));
    } else {
      let readers: string[] = [];
      try {
        const r = await f(`${this.server}/${STUDY_DB}/${READERS_DOC_ID}`, { headers: { authorization: auth, accept: 'application/json' } });
        if (r.status === 404) { this.fail('NOT_A_HEATCHECK_SERVER', `${this.server} has no Heatcheck study database (${STUDY_DB}/${READERS_DOC_ID}); run scripts/sync-setup.mjs against it.`); return this.role; }
        readers = ((await r.json()) as { readers?: string[] }).readers ?? [];
      } catch (e) {
        this.fail('SERVER_UNREACHABLE', `Cannot read the readers' list from ${this.server} (${(e as Error).message}).`);
        return this.role;
      }
      for (const name of readers) {
        const local = new this.o.Pouch(`${prefix}-${name}`);
        this.locals.push(local);
        await this.index(local);
        const remote = remoteDb(this.o.Pouch, `${this.server}/${readerDbName(name)}`, remoteOpts);
        this.watch(() => local.replicate.from(remote, live));
      }
      if (!readers.length) this.setStatus({ state: 'connected', lastSyncedAt: Date.now() });
    }
    await this.pullStudy(prefix, remoteOpts, live);
    return this.role;
  }

  /** Pulls the study database (live, read only) and reports its case list. */
  private async pullStudy(prefix: string, remoteOpts: object, live: object) {
    if (this.stopped) return;
    const local = new this.o.Pouch(`${prefix}-study`);
    this.study = local;
    // a reader keeps (and shows) only the case list and the readers' list, whatever this database holds
    const keep = (id: string) => this.role !== 'reader' || readerNeedsStudyDoc(id);
    const all = await local.allDocs({ include_docs: true });
    for (const row of all.rows) if (row.doc && keep(row.id)) this.studyDocs.set(row.id, row.doc);
    this.emitCaseList();
    const feed = local.changes({ since: 'now', live: true, include_docs: true });
    feed.on('change', (ch: { id: string; deleted?: boolean; doc?: PouchDoc }) => {
      if (!keep(ch.id)) return;
      if (ch.deleted) this.studyDocs.delete(ch.id);
      else if (ch.doc) this.studyDocs.set(ch.id, ch.doc);
      // replication writes in batches: report the list once a batch has settled
      if (!this.caseListTimer) this.caseListTimer = setTimeout(() => { this.caseListTimer = null; this.emitCaseList(); }, 150);
    });
    this.emitters.push(feed);
    const remote = remoteDb(this.o.Pouch, `${this.server}/${STUDY_DB}`, remoteOpts);
    // readers: only the documents they need come from the server (model results could bias them)
    const opts = this.role === 'reader' ? { ...live, selector: READER_STUDY_SELECTOR } : live;
    this.watch(() => local.replicate.from(remote, opts), 'study');
  }

  /** Coordinator: the trust reports published in the study database as pulled here, newest first. */
  publishedReports(): PublishedReportSummary[] {
    const out: PublishedReportSummary[] = [];
    for (const d of this.studyDocs.values()) {
      if (d._deleted || d.type !== 'trust-report' || !d._id.startsWith(REPORT_DOC_PREFIX)) continue;
      out.push(summaryOf(d._id, d as unknown as PublishedReport));
    }
    return out.sort((a, b) => b.publishedAt - a.publishedAt || (a.docId < b.docId ? -1 : 1));
  }
  /** A published report (as pulled here), or null when it is not here. */
  publishedReport(docId: string): (PublishedReportSummary & { report: TrustReport }) | null {
    const d = this.studyDocs.get(docId);
    if (!d || d._deleted || d.type !== 'trust-report') return null;
    return { ...summaryOf(docId, d as unknown as PublishedReport), report: (d as unknown as PublishedReport).report };
  }

  /** The study database's case list as pulled here so far. */
  caseList(): PulledCaseList {
    const cases: PublishedCase[] = [];
    for (const d of this.studyDocs.values()) {
      if (d._deleted || d.type !== 'case' || !d._id.startsWith(CASE_DOC_PREFIX)) continue;
      const { _id, _rev, ...body } = d; // eslint-disable-line @typescript-eslint/no-unused-vars
      cases.push(body as unknown as PublishedCase);
    }
    cases.sort((a, b) => a.order - b.order || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const m = this.studyDocs.get(CASES_DOC_ID);
    const manifest = m && !m._deleted && m.type === 'case-list' ? ({ type: 'case-list', study: m.study, count: m.count, publishedAt: m.publishedAt, publishedBy: m.publishedBy } as CaseListManifest) : null;
    return { cases, manifest, caughtUp: this.studyCaughtUp };
  }
  /**
   * Publishes a trust report to the study database (`publishTrustReport`, with this login). The
   * server decides who may: a reader's login is refused (403), and that is the error thrown.
   */
  publishReport(report: TrustReport): Promise<PublishReportResult> {
    return publishTrustReport({ server: this.server, user: this.o.user, password: this.o.password, fetch: this.o.fetch }, report);
  }

  private emitCaseList() {
    if (this.stopped) return;
    this.o.onCaseList?.(this.caseList());
    if (this.role === 'coordinator') this.o.onReports?.(this.publishedReports());
  }

  /**
   * Publishes the study's case list to the study database: a document per case (written only when
   * new or changed), deletions of published cases no longer in the list, and the manifest. The
   * server decides who may: a reader's login is refused (403), and that is the error thrown.
   */
  async publishCaseList(cases: PublishedCase[], study: string): Promise<PublishCaseListResult> {
    const f = this.o.fetch ?? fetch;
    const headers = { authorization: basic(this.o.user, this.o.password), accept: 'application/json', 'content-type': 'application/json' };
    const base = `${this.server}/${STUDY_DB}`;
    const names = new Set<string>();
    for (const c of cases) {
      if (names.has(c.name)) throw Object.assign(new Error(`Two cases are named ${c.name}; the case list keys cases by name.`), { code: 'SYNC_FAILED' });
      names.add(c.name);
    }
    const call = async (url: string, init: RequestInit = {}) => {
      let r: Response;
      try { r = await f(url, { ...init, headers }); } catch (e) {
        throw Object.assign(new Error(`Cannot reach ${this.server} to publish the case list (${(e as Error).message}); nothing was published.`), { code: 'SERVER_UNREACHABLE' });
      }
      if (r.status === 401 || r.status === 403) {
        const j = (await r.json().catch(() => ({}))) as { reason?: string };
        throw Object.assign(new Error(`${this.server} refused to publish the case list (${r.status}): ${j.reason ?? 'only a coordinator login writes to the study database.'}`), { code: 'FORBIDDEN', status: r.status });
      }
      return r;
    };
    const q = new URLSearchParams({ include_docs: 'true', startkey: JSON.stringify(CASE_DOC_PREFIX), endkey: JSON.stringify(`${CASE_DOC_PREFIX}\ufff0`) });
    const listed = await call(`${base}/_all_docs?${q}`);
    if (!listed.ok) throw Object.assign(new Error(`${this.server} answered ${listed.status} when asked for the published case list; nothing was published.`), { code: 'SYNC_FAILED' });
    const existing = new Map(((await listed.json()) as { rows: Array<{ id: string; doc?: PouchDoc }> }).rows.filter((r) => r.doc).map((r) => [r.id, r.doc!]));
    const m = await call(`${base}/${CASES_DOC_ID}`);
    const manifestRev = m.ok ? ((await m.json()) as PouchDoc)._rev : undefined;
    const docs: PouchDoc[] = [];
    for (const c of cases) {
      const id = caseDocId(c.name);
      const old = existing.get(id);
      if (old && sameBody(old, c)) continue;
      docs.push({ ...c, _id: id, ...(old?._rev ? { _rev: old._rev } : {}) } as PouchDoc);
    }
    let removed = 0;
    for (const [id, old] of existing) if (!names.has(id.slice(CASE_DOC_PREFIX.length))) { docs.push({ _id: id, _rev: old._rev, _deleted: true }); removed++; }
    const publishedAt = Date.now();
    const manifest: CaseListManifest = { type: 'case-list', study, count: cases.length, publishedAt, publishedBy: this.o.user };
    docs.push({ ...manifest, _id: CASES_DOC_ID, ...(manifestRev ? { _rev: manifestRev } : {}) } as PouchDoc);
    const w = await call(`${base}/_bulk_docs`, { method: 'POST', body: JSON.stringify({ docs }) });
    if (!w.ok) throw Object.assign(new Error(`${this.server} answered ${w.status} to the case list; it may be published in part. Publish again.`), { code: 'SYNC_FAILED' });
    const res = (await w.json()) as Array<{ id: string; ok?: boolean; error?: string; reason?: string }>;
    const refused = res.find((x) => x.error === 'forbidden' || x.error === 'unauthorized');
    if (refused) throw Object.assign(new Error(`${this.server} refused to publish the case list (${refused.error}): ${refused.reason ?? 'only a coordinator login writes to the study database.'}`), { code: 'FORBIDDEN' });
    const failed = res.filter((x) => x.error);
    if (failed.length) throw Object.assign(new Error(`${failed.length} document(s) of the case list were not written (${failed[0].id}: ${failed[0].error}${failed[0].reason ? `, ${failed[0].reason}` : ''}); another coordinator may have published meanwhile. Publish again.`), { code: 'SYNC_FAILED' });
    return { published: cases.length, written: docs.length - 1 - removed, removed, publishedAt };
  }

  private async index(local: PouchLike) {
    const all = await local.allDocs({ include_docs: true, conflicts: true });
    const reads: ReplicatedRead[] = [];
    const seen = new Set<string>();
    for (const row of all.rows) {
      if (!row.doc || row.id.startsWith('_design/')) continue;
      this.docs.set(row.id, row.doc);
      this.noteConflict(row.doc);
      const d = row.doc;
      if ((d.type === 'box' || d.type === 'read') && !seen.has(readKey(d.readerId as string, d.imageHash as string))) seen.add(readKey(d.readerId as string, d.imageHash as string));
    }
    for (const k of seen) { const [r, h] = k.split('\u001f'); reads.push(this.readOf(r, h)); }
    if (reads.length) this.o.onReads(reads);
    this.emitConflicts();
    const feed = local.changes({ since: 'now', live: true, include_docs: true, conflicts: true });
    feed.on('change', (ch: { id: string; deleted?: boolean; doc?: PouchDoc; changes: Array<{ rev: string }> }) => this.onChange(ch));
    this.emitters.push(feed);
  }

  private onChange(ch: { id: string; deleted?: boolean; doc?: PouchDoc }) {
    if (ch.id.startsWith('_design/') || ch.id.startsWith('_local/') || !ch.doc) return;
    const before = this.docs.get(ch.id);
    const doc: PouchDoc = ch.deleted && before ? { ...before, _id: ch.id, _rev: ch.doc._rev, _deleted: true } : ch.doc;
    this.docs.set(ch.id, doc);
    const readerId = (doc.readerId ?? before?.readerId) as string | undefined;
    const imageHash = (doc.imageHash ?? before?.imageHash) as string | undefined;
    this.noteConflict(doc);
    this.emitConflicts();
    if (!readerId || !imageHash) return;
    if (doc._rev && this.ownRevs.has(doc._rev)) return; // our own write
    if (!doc._deleted && this.ownDeleted.has(ch.id) && doc.type === 'box') {
      this.ownDeleted.delete(ch.id);
      this.o.onRestored?.({ boxId: ch.id, readerId, caseId: doc.caseId as string, imageHash });
    }
    this.o.onReads([this.readOf(readerId, imageHash)]);
  }

  private noteConflict(doc: PouchDoc) {
    if (doc.type !== 'box' && !(doc._deleted && this.conflicts.has(doc._id))) return;
    if (!doc._conflicts?.length) { this.conflicts.delete(doc._id); return; }
    const c: BoxConflict = {
      boxId: doc._id, readerId: doc.readerId as string, caseId: doc.caseId as string, imageHash: doc.imageHash as string,
      shown: { rev: doc._rev!, box: boxOf(doc) }, others: doc._conflicts.map((rev) => ({ rev, box: null })),
    };
    this.conflicts.set(doc._id, c);
    // the losing revisions' bodies, for the notice (kept on the server and here until resolved)
    const local = this.locals.find(Boolean);
    void Promise.all(c.others.map(async (o) => {
      for (const db of this.locals) {
        try { o.box = boxOf(await db.get(doc._id, { rev: o.rev })); return; } catch { /* not in this database */ }
      }
      void local;
    })).then(() => { if (this.conflicts.get(doc._id) === c) this.emitConflicts(); });
  }
  private emitConflicts() { this.o.onConflicts([...this.conflicts.values()].map((c) => ({ ...c, others: c.others.map((o) => ({ ...o })) }))); }

  /** A reader's boxes and answer on one image, from the winning revisions here. */
  readOf(readerId: string, imageHash: string): ReplicatedRead {
    const boxes: Box[] = [];
    let status: ReadStatus = 'unread';
    let caseId = '';
    let caseName: string | undefined;
    for (const d of this.docs.values()) {
      if (d.readerId !== readerId || d.imageHash !== imageHash) continue;
      if (!d._deleted && typeof d.caseName === 'string') caseName = d.caseName;
      if (d.type === 'box' && !d._deleted) { boxes.push(boxOf(d)!); caseId = d.caseId as string; }
      if (d.type === 'read' && !d._deleted) { status = d.status as ReadStatus; caseId ||= d.caseId as string; }
      if (!caseId && d.caseId) caseId = d.caseId as string;
    }
    boxes.sort((a, b) => a.id.localeCompare(b.id));
    return { readerId, caseId, ...(caseName !== undefined ? { caseName } : {}), imageHash, boxes, status };
  }

  /**
   * The reader's saved record for one case, written as documents (only what changed). Writes are
   * queued one after another; a document changed meanwhile by replication is re-read and retried.
   */
  push(read: ReplicatedRead): Promise<void> {
    const run = async () => {
      if (this.role !== 'reader' || !this.mine || read.readerId !== this.o.user || this.stopped) return;
      for (let attempt = 0; attempt < 5; attempt++) {
        const now = Date.now();
        const docs: PouchDoc[] = [];
        const want = new Map(read.boxes.map((b) => [b.id, b]));
        for (const d of this.docs.values()) {
          if (d.type !== 'box' || d.readerId !== read.readerId || d.imageHash !== read.imageHash || d._deleted) continue;
          if (!want.has(d._id)) { docs.push({ ...d, _deleted: true, updatedAt: now }); this.ownDeleted.add(d._id); }
        }
        for (const b of read.boxes) {
          const d = this.docs.get(b.id);
          if (d && !d._deleted && d.x0 === b.x0 && d.y0 === b.y0 && d.x1 === b.x1 && d.y1 === b.y1) continue;
          const doc: BoxDoc = { _id: b.id, type: 'box', readerId: read.readerId, caseId: read.caseId, ...(read.caseName !== undefined ? { caseName: read.caseName } : {}), imageHash: read.imageHash, x0: b.x0, y0: b.y0, x1: b.x1, y1: b.y1, updatedAt: now };
          if (d?._rev) doc._rev = d._rev;
          docs.push(doc);
        }
        const rid = `read:${read.imageHash}`;
        const r = this.docs.get(rid);
        if (!r || r._deleted || r.status !== read.status) {
          const doc: ReadDoc = { _id: rid, type: 'read', readerId: read.readerId, caseId: read.caseId, ...(read.caseName !== undefined ? { caseName: read.caseName } : {}), imageHash: read.imageHash, status: read.status, updatedAt: now };
          if (r?._rev) doc._rev = r._rev;
          docs.push(doc);
        }
        if (!docs.length) return;
        let res;
        try { res = await this.mine.bulkDocs(docs); } catch (e) {
          const name = (e as { name?: string }).name ?? '';
          if (/quota/i.test(name) || /quota/i.test(String((e as Error).message))) this.fail('QUOTA', `The browser storage is full: boxes cannot be queued for ${this.server}. They are still saved in this browser; free space and they will be sent.`);
          else this.fail('SYNC_FAILED', `Could not queue boxes for ${this.server}: ${(e as Error).message}`);
          return;
        }
        let retry = false;
        res.forEach((x, i) => {
          if (x.ok && x.rev) { this.ownRevs.add(x.rev); this.docs.set(x.id, { ...docs[i], _rev: x.rev }); this.status.pending++; }
          else if (x.status === 409 || x.error === 'conflict') retry = true;
        });
        if (this.status.state === 'offline') this.setStatus({ state: 'offline', message: `Cannot reach ${this.server}; ${this.status.pending} document(s) wait here and will be sent when it is back.` });
        else if (this.status.state !== 'error') this.setStatus({ state: 'syncing' });
        if (!retry) return;
        // a document changed under us (replication or another tab): take the stored winners and go again
        for (const x of res) if (!x.ok) { try { this.docs.set(x.id, await this.mine.get(x.id, { conflicts: true })); } catch { this.docs.delete(x.id); } }
      }
    };
    this.writing = this.writing.then(run, run);
    return this.writing;
  }

  /** Keeps `keepRev` of a box (shown or one of the others) and deletes the other revisions. */
  async resolveConflict(boxId: string, keepRev: string): Promise<void> {
    const c = this.conflicts.get(boxId);
    if (!c || !this.mine) return;
    const kept = [c.shown, ...c.others].find((v) => v.rev === keepRev);
    if (!kept) return;
    const docs: PouchDoc[] = [];
    if (keepRev !== c.shown.rev) {
      // the kept version's body becomes the newest revision of the winning branch
      const base = this.docs.get(boxId)!;
      docs.push(kept.box ? { ...base, x0: kept.box.x0, y0: kept.box.y0, x1: kept.box.x1, y1: kept.box.y1, _id: boxId, _rev: c.shown.rev, updatedAt: Date.now() } : { ...base, _id: boxId, _rev: c.shown.rev, _deleted: true });
    }
    // every other branch ends (its content is either kept above or given up by the user)
    for (const o of c.others) docs.push({ _id: boxId, _rev: o.rev, _deleted: true });
    for (const d of docs) {
      delete d._conflicts;
      // one write per revision: a batch holding one id twice would drop the second
      const [x] = await this.mine.bulkDocs([d]);
      if (x.error) throw Object.assign(new Error(`Could not resolve the conflict of box ${boxId}: ${x.message ?? x.error}`), { code: 'SYNC_FAILED' });
    }
  }

  /**
   * Runs one live replication. PouchDB retries network failures itself; a refusal (401, after a
   * server restart that lost its users, or a changed password) ends its replication, so it is
   * started again every few seconds while the error is shown.
   */
  private watch(start: () => PouchEmitter, what: 'boxes' | 'study' = 'boxes') {
    if (this.stopped) return;
    const rep = start();
    this.emitters.push(rep);
    const again = () => { if (!this.stopped) setTimeout(() => { this.emitters = this.emitters.filter((e) => e !== rep); this.watch(start, what); }, 3000); };
    // the study database's pull leaves the boxes' status (pending, connected) to the boxes' replications; its errors are shown alike
    const boxes = what === 'boxes';
    rep.on('change', (info: { direction?: string; change?: { docs_written?: number; pending?: number }; docs_written?: number; pending?: number }) => {
      if (!boxes) return;
      const ch = info.change ?? info;
      if (info.direction === 'push') this.status.pending = Math.max(0, this.status.pending - (ch.docs_written ?? 0));
      const pending = info.direction === 'push' || this.role === 'reader' ? this.status.pending : ch.pending ?? 0;
      this.setStatus({ state: pending > 0 ? 'syncing' : 'connected', pending, lastSyncedAt: Date.now() });
    });
    rep.on('active', () => { if (boxes) this.setStatus({ state: 'syncing' }); });
    rep.on('paused', (err?: { status?: number; message?: string; name?: string }) => {
      if (this.stopped) return;
      if (!boxes && !err) {
        if (!this.unreachable && !this.studyCaughtUp) { this.studyCaughtUp = true; this.emitCaseList(); }
        return;
      }
      if (!err && this.unreachable) { this.setStatus({ state: 'offline', message: `Cannot reach ${this.server}; ${this.status.pending} document(s) wait here and will be sent when it is back.` }); return; }
      if (!err) { if (this.role === 'reader') this.status.pending = 0; this.setStatus({ state: 'connected', pending: this.role === 'reader' ? 0 : this.status.pending, lastSyncedAt: Date.now() }); return; }
      if (err.status === 401) this.fail('BAD_LOGIN', `${this.server} no longer accepts the login "${this.o.user}" (401): sign in again. Your edits are kept here.`);
      else if (err.status === 403) this.fail('FORBIDDEN', `${this.server} refused access (403): ${err.message ?? 'forbidden'}.`);
      else this.setStatus({ state: 'offline', message: `Cannot reach ${this.server}; ${this.status.pending} document(s) wait here and will be sent when it is back.` });
    });
    rep.on('denied', (err?: { message?: string }) => this.fail('FORBIDDEN', `${this.server} refused a document: ${err?.message ?? 'forbidden'}.`));
    rep.on('error', (err?: { status?: number; message?: string }) => {
      if (this.stopped) return;
      if (err?.status === 401) this.fail('BAD_LOGIN', `${this.server} refused the login "${this.o.user}": wrong user name or password. Trying again; sign in again if the password changed. Your edits are kept here.`);
      else if (err?.status === 403) this.fail('FORBIDDEN', `${this.server} refused access (403): ${err.message ?? 'forbidden'}. Trying again.`);
      else this.fail('SYNC_FAILED', `Replication with ${this.server} stopped: ${err?.message ?? 'unknown error'}. Trying again; your edits are kept here.`);
      again();
    });
  }

  get currentStatus(): SyncStatus { return { ...this.status }; }
  get currentRole() { return this.role; }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.caseListTimer) { clearTimeout(this.caseListTimer); this.caseListTimer = null; }
    for (const e of this.emitters) { try { e.cancel(); } catch { /* already stopped */ } }
    await this.writing.catch(() => {});
    await Promise.all([...this.locals, ...(this.study ? [this.study] : [])].map((l) => l.close().catch(() => {})));
  }
}
