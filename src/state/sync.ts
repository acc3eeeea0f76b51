import { createStore, useStore } from 'zustand';
import type { IDBPDatabase } from 'idb';
import { openDatabase, type AnnotationRecord, type Box, type HeatcheckDB } from './db';
import { Replica, type BoxConflict, type PouchCtor, type PulledCaseList, type ReplicatedRead, type SyncStatus } from '../storage/replica';
import { checkUserName } from '../core/sync/couchLayout';
import { caseListMessages, caseListSummary, checkCaseList, publishedCase, type CaseListCheck } from '../core/sync/caseList';
import type { PublishedReportSummary } from '../core/sync/modelResults';
import type { TrustReport } from '../core/trust/report';
import { CURRENT_STUDY_KEY } from './study';
import { annotationsStore } from './annotations';
import { readersStore, persistCurrentReader } from './readers';
import { appStore } from './appStore';

/**
 * Sync with a CouchDB server, when one is configured (Data page). Without one nothing here runs.
 * - reader login: this workstation's reader is the login; every saved record of that reader goes
 *   to the server (src/storage/replica.ts) and what the server has for them comes back into
 *   IndexedDB (another workstation or browser of the same reader). Blinded, always: the server
 *   gives a reader nothing of other readers.
 * - coordinator login: every reader's database comes in (read only); the coordinator view,
 *   consensus and agreement work on it as on merged files.
 * - no server: the coordinator view is behind an explicit local switch ("I am the coordinator"),
 *   recorded in the settings with its time and shown beside the view.
 * - the study database's case list (every login pulls it): this workstation's cases of the current
 *   study are checked against it by name and image hash, and the result is shown on the Data page;
 *   a coordinator publishes it from the current study (on request: after importing or removing
 *   cases, publish again).
 * - model results: a coordinator publishes the dashboard's trust report to the study database
 *   (`publishReport`; a reader's login is refused by the server and the message says so) and sees
 *   the published ones (`reports`); one opens read only (`opened`), beside the local results,
 *   which it never replaces. Readers' workstations do not receive them (blinding).
 * Settings: `sync.server`, `sync.user` (the password is never stored), `coordinator.localSwitch`.
 */
export interface CaseListState {
  check: CaseListCheck;
  /** The study database has been pulled up to date at least once (before that the check is provisional). */
  caughtUp: boolean;
  /** One line (matches / differs, with counts). */
  summary: string;
  /** One line per problem, naming the file (and both hashes where they differ). */
  messages: string[];
  /** The study on this workstation it was checked against. */
  study: string | null;
  /** Who published the list, from which study, when (null: nothing published yet, or the manifest has not arrived). */
  publishedBy: string | null;
  publishedFrom: string | null;
  publishedAt: number | null;
}
export interface PublishState { busy: boolean; message: string | null; error: string | null }
/** A published report opened on the dashboard (read only; the local results stay as they are). */
export type OpenedReport = PublishedReportSummary & { report: TrustReport };
export interface LocalCoordinatorSwitch { on: boolean; since: number }
export interface SyncState {
  server: string | null;
  user: string | null;
  status: SyncStatus | null;
  conflicts: BoxConflict[];
  /** Things the user must know (images that do not match, boxes restored by a conflict). */
  problems: string[];
  localCoordinator: LocalCoordinatorSwitch | null;
  /** The study database's case list checked against this workstation's images (null: not signed in). */
  caseList: CaseListState | null;
  publish: PublishState;
  /** Coordinator: the trust reports published in the study database, newest first (null: not a coordinator login, or not pulled yet). */
  reports: PublishedReportSummary[] | null;
  reportPublish: PublishState;
  opened: OpenedReport | null;
  /** Publishes a trust report (the dashboard's) to the study database; the server refuses a reader's login. */
  publishReport(report: TrustReport): Promise<void>;
  /** A published report as pulled here (null: not here), without opening it. */
  reportOf(docId: string): OpenedReport | null;
  /** Opens a published report (read only) / closes it. */
  openReport(docId: string): void;
  closeReport(): void;
  /** Coordinator: publishes the current study's case list to the study database. */
  publishCaseList(): Promise<void>;
  /** Checks this workstation's cases against the pulled case list again (after an import). */
  recheckCaseList(): Promise<void>;
  load(): Promise<void>;
  connect(server: string, user: string, password: string): Promise<void>;
  disconnect(): Promise<void>;
  resolve(boxId: string, keepRev: string): Promise<void>;
  dismissProblem(i: number): void;
  setLocalCoordinator(on: boolean): Promise<void>;
  /** May the coordinator view open here? (a coordinator login, or no server and the local switch) */
  coordinatorAllowed(): { ok: boolean; why: string };
}

const sameBoxes = (a: Box[], b: Box[]) => {
  if (a.length !== b.length) return false;
  const m = new Map(a.map((x) => [x.id, x]));
  return b.every((y) => { const x = m.get(y.id); return x && x.x0 === y.x0 && x.y0 === y.y0 && x.x1 === y.x1 && x.y1 === y.y1; });
};

export function createSyncStore(opts: { Pouch: () => Promise<PouchCtor>; open?: () => Promise<IDBPDatabase<HeatcheckDB>> }) {
  const open = opts.open ?? (() => openDatabase());
  let replica: Replica | null = null;
  let unsubscribe: (() => void) | null = null;
  let pulled: PulledCaseList | null = null;
  const currentStudy = async (db: IDBPDatabase<HeatcheckDB>) => {
    const id = ((await db.get('settings', CURRENT_STUDY_KEY))?.value as string | undefined) ?? readersStore.getState().studyId ?? null;
    return id ? (await db.get('studies', id)) ?? null : null;
  };

  const store = createStore<SyncState>()((set, get) => {
    const problem = (p: string) => { if (!get().problems.includes(p)) set({ problems: [...get().problems, p] }); };

    /** A reader's record for one image, from the server, into IndexedDB (matched by content hash). */
    const apply = async (r: ReplicatedRead, role: 'reader' | 'coordinator', server: string) => {
      const db = await open();
      const studyId = readersStore.getState().studyId;
      const byHash = (await db.getAllFromIndex('cases', 'byHash', r.imageHash)).filter((c) => !studyId || c.studyId === studyId);
      const target = byHash[0];
      if (!target) {
        // the same case here, by its name in the study (the same on every workstation) or its record id
        const here = r.caseName ? await currentStudy(db) : null;
        const byName = here ? (await db.getAllFromIndex('cases', 'byStudy', here.id)).find((c) => c.name === r.caseName) : undefined;
        const sameId = byName ?? (r.caseId ? await db.get('cases', r.caseId) : undefined);
        problem(sameId
          ? `${server}: reader ${r.readerId}'s boxes for case ${sameId.name} were drawn on a different image (content hash ${r.imageHash.slice(0, 12)}…; here ${sameId.imageHash.slice(0, 12)}…). Import the same study folder on every workstation; these boxes are not shown.`
          : `${server}: reader ${r.readerId} has boxes on an image (content hash ${r.imageHash.slice(0, 12)}…) that is not in this study. Import the same study folder on every workstation; these boxes are not shown.`);
        return;
      }
      if (role === 'coordinator' && !(await db.get('readers', r.readerId))) {
        const all = await db.getAll('readers');
        await db.put('readers', { id: r.readerId, name: r.readerId, order: all.length, ...(studyId ? { studyId } : {}) });
        void readersStore.getState().load();
      }
      const tx = db.transaction('annotations', 'readwrite');
      const stored = await tx.store.get([r.readerId, target.id]);
      if (stored && sameBoxes(stored.boxes, r.boxes) && stored.status === r.status) { await tx.done; return; }
      if (!stored && !r.boxes.length && r.status === 'unread') { await tx.done; return; }
      const rec: AnnotationRecord = { readerId: r.readerId, caseId: target.id, boxes: r.boxes, status: r.status, updatedAt: Date.now(), rev: (stored?.rev ?? 0) + 1 };
      if (stored?.polygons?.length) rec.polygons = stored.polygons;
      await tx.store.put(rec);
      await tx.done;
      const notice = role === 'reader' && stored ? `Your boxes on case ${target.name} changed on another workstation or browser of yours (${server}); this view now shows them.` : undefined;
      await annotationsStore().getState().adoptStored(r.readerId, target.id, notice);
    };

    const pushRecord = async (rec: AnnotationRecord) => {
      if (!replica || replica.currentRole !== 'reader' || rec.readerId !== get().user) return;
      const c = await (await open()).get('cases', rec.caseId);
      if (!c) return;
      await replica.push({ readerId: rec.readerId, caseId: rec.caseId, caseName: c.name, imageHash: c.imageHash, boxes: rec.boxes, status: rec.status });
    };

    /** The pulled case list against this workstation's cases of the current study. */
    const runCheck = async () => {
      if (!pulled) { set({ caseList: null }); return; }
      const list = pulled;
      const db = await open();
      const study = await currentStudy(db);
      const local = study ? await db.getAllFromIndex('cases', 'byStudy', study.id) : [];
      const check = checkCaseList(list.cases, local.map((c) => ({ name: c.name, imageHash: c.imageHash })), list.manifest);
      if (pulled !== list) return; // a newer list arrived meanwhile; its own check follows
      const m = list.manifest;
      const summary = !list.caughtUp && check.published === 0 ? 'Pulling the case list from the study database…' : caseListSummary(check);
      set({ caseList: { check, caughtUp: list.caughtUp, summary, messages: caseListMessages(check, m), study: study?.name ?? null, publishedBy: m?.publishedBy ?? null, publishedFrom: m?.study ?? null, publishedAt: m?.publishedAt ?? null } });
    };

    return {
      server: null,
      user: null,
      status: null,
      conflicts: [],
      problems: [],
      localCoordinator: null,
      caseList: null,
      publish: { busy: false, message: null, error: null },
      reports: null,
      reportPublish: { busy: false, message: null, error: null },
      opened: null,
      async publishReport(report) {
        const r = replica;
        if (!r || !get().status?.role) { set({ reportPublish: { busy: false, message: null, error: 'Sign in to a sync server (Data page) with a coordinator login first.' } }); return; }
        if (!report.complete) { set({ reportPublish: { busy: false, message: null, error: 'The evaluation is still running; publish the report when it is done.' } }); return; }
        set({ reportPublish: { busy: true, message: null, error: null } });
        try {
          const res = await r.publishReport(report);
          if (replica !== r) return;
          const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
          const what = `the trust report (${count(report.models.length, 'model')}, ${count(report.methods.length, 'method')}, ${count(report.cases.length, 'case')})`;
          const message = res.already
            ? `${what[0].toUpperCase()}${what.slice(1)} is already in the study database on ${get().server}: published by ${res.already.publishedBy} at ${new Date(res.already.publishedAt).toLocaleString()}; nothing was written.`
            : `Published ${what} to the study database on ${get().server} at ${new Date(res.publishedAt).toLocaleTimeString()} (${res.written} document${res.written === 1 ? '' : 's'} written, ${res.modelsWritten} of them models).`;
          set({ reportPublish: { busy: false, error: null, message } });
        } catch (e) {
          if (replica === r) set({ reportPublish: { busy: false, message: null, error: (e as Error).message } });
        }
      },
      reportOf(docId) { return replica?.publishedReport(docId) ?? null; },
      openReport(docId) {
        const found = get().reportOf(docId);
        if (!found) { set({ reportPublish: { ...get().reportPublish, error: `The published report ${docId} is not on this workstation (yet); wait for the study database to replicate.` } }); return; }
        set({ opened: found });
      },
      closeReport() { set({ opened: null }); },
      async publishCaseList() {
        const r = replica;
        if (!r) { set({ publish: { busy: false, message: null, error: 'Sign in to a sync server with a coordinator login first.' } }); return; }
        set({ publish: { busy: true, message: null, error: null } });
        try {
          const db = await open();
          const study = await currentStudy(db);
          if (!study) throw new Error('There is no study on this workstation to publish; import the study folder first.');
          const cases = (await db.getAllFromIndex('cases', 'byStudy', study.id)).sort((a, b) => a.order - b.order);
          if (!cases.length) throw new Error(`Study "${study.name}" has no cases to publish.`);
          const res = await r.publishCaseList(cases.map(publishedCase), study.name);
          if (replica !== r) return;
          set({ publish: { busy: false, error: null, message: `Published ${res.published} cases of "${study.name}" to ${get().server} (${res.written} written, ${res.removed} removed, ${res.published - res.written} unchanged) at ${new Date(res.publishedAt).toLocaleTimeString()}. Publish again after importing or removing cases.` } });
        } catch (e) {
          if (replica === r) set({ publish: { busy: false, message: null, error: (e as Error).message } });
        }
      },
      async recheckCaseList() { await runCheck(); },
      async load() {
        const db = await open();
        const val = async (k: string) => (await db.get('settings', k))?.value;
        const sw = (await val('coordinator.localSwitch')) as LocalCoordinatorSwitch | undefined;
        set({ server: ((await val('sync.server')) as string | undefined) ?? null, user: ((await val('sync.user')) as string | undefined) ?? null, localCoordinator: sw ?? null });
      },
      async connect(server, user, password) {
        await get().disconnect();
        const url = server.trim().replace(/\/+$/, '');
        if (!/^https?:\/\/[^/]+/.test(url)) { set({ status: { state: 'error', server: url, role: null, pending: 0, lastSyncedAt: null, code: 'SERVER_UNREACHABLE', message: `"${server}" is not a server address; write it as https://couch.example.org:6984.` } }); return; }
        const bad = checkUserName(user);
        if (bad) { set({ status: { state: 'error', server: url, role: null, pending: 0, lastSyncedAt: null, code: 'BAD_LOGIN', message: bad } }); return; }
        const db = await open();
        await db.put('settings', { key: 'sync.server', value: url });
        await db.put('settings', { key: 'sync.user', value: user });
        set({ server: url, user, conflicts: [], problems: [], caseList: null, publish: { busy: false, message: null, error: null }, reports: null, reportPublish: { busy: false, message: null, error: null }, opened: null });
        let Pouch: PouchCtor;
        try { Pouch = await opts.Pouch(); } catch (e) {
          set({ status: { state: 'error', server: url, role: null, pending: 0, lastSyncedAt: null, code: 'SYNC_FAILED', message: `Sync with ${url} could not start: ${(e as Error).message}` } });
          return;
        }
        const r = new Replica({
          Pouch, server: url, user, password,
          onStatus: (status) => { if (replica === r) set({ status }); },
          onConflicts: (conflicts) => { if (replica === r) set({ conflicts }); },
          onReads: (reads) => { for (const x of reads) void apply(x, r.currentRole ?? 'reader', url).catch((e) => problem(`Could not store boxes from ${url}: ${(e as Error).message}`)); },
          onCaseList: (list) => { if (replica !== r) return; pulled = list; void runCheck().catch((e) => problem(`Could not check the case list: ${(e as Error).message}`)); },
          onReports: (reports) => { if (replica === r) set({ reports }); },
          onRestored: (x) => problem(`Box ${x.boxId} (case ${x.caseId}) that you deleted is back: it was changed on another workstation at the same time, and a change wins over a delete. Delete it again if it should go.`),
        });
        replica = r;
        const role = await r.start();
        if (replica !== r || !role) return;
        if (role === 'reader') {
          // this workstation reads as the login, blinded
          const studyId = readersStore.getState().studyId;
          if (!(await db.get('readers', user))) {
            const all = await db.getAll('readers');
            await db.put('readers', { id: user, name: user, order: all.length, ...(studyId ? { studyId } : {}) });
          }
          await readersStore.getState().load();
          appStore.getState().setCurrentReader(user);
          persistCurrentReader(user);
          await readersStore.getState().setBlinded(true);
          unsubscribe = annotationsStore().getState().onCommit((rec) => { void pushRecord(rec); });
          // what this reader saved before connecting (or offline) goes too
          for (const rec of await db.getAllFromIndex('annotations', 'byReader', user)) await pushRecord(rec);
        }
      },
      async disconnect() {
        unsubscribe?.(); unsubscribe = null;
        const r = replica; replica = null;
        pulled = null;
        await r?.stop();
        set({ status: null, conflicts: [], caseList: null, publish: { busy: false, message: null, error: null }, reports: null, reportPublish: { busy: false, message: null, error: null }, opened: null });
      },
      async resolve(boxId, keepRev) {
        try { await replica?.resolveConflict(boxId, keepRev); } catch (e) { problem((e as Error).message); }
      },
      dismissProblem(i) { set({ problems: get().problems.filter((_, j) => j !== i) }); },
      async setLocalCoordinator(on) {
        const value: LocalCoordinatorSwitch = { on, since: Date.now() };
        set({ localCoordinator: value });
        await (await open()).put('settings', { key: 'coordinator.localSwitch', value });
      },
      coordinatorAllowed() {
        const s = get();
        if (s.status && s.status.role === 'coordinator') return { ok: true, why: `coordinator login on ${s.status.server}` };
        if (s.status && s.status.role === 'reader') return { ok: false, why: `The coordinator view needs a coordinator login: this workstation reads as ${s.user} on ${s.status.server}, and the server gives readers only their own boxes.` };
        return { ok: true, why: 'local switch "I am the coordinator"' };
      },
    };
  });
  // another study made current here: check it against the case list
  readersStore.subscribe((s, prev) => { if (s.studyId !== prev.studyId && store.getState().caseList) void store.getState().recheckCaseList(); });
  return store;
}

export type SyncStore = ReturnType<typeof createSyncStore>;
let singleton: SyncStore | null = null;
/** The app's sync store; PouchDB is loaded only when a server is configured. */
export function syncStore(): SyncStore {
  if (!singleton) singleton = createSyncStore({ Pouch: async () => (await import('pouchdb-browser')).default as unknown as PouchCtor });
  return singleton;
}
export function useSync<T>(selector: (s: SyncState) => T): T {
  return useStore(syncStore(), selector);
}

/**
 * Opens or closes the coordinator view (blinding off / on). Refused for a reader login; without a
 * server, opening it is the explicit local switch "I am the coordinator", recorded with its time.
 */
export async function setCoordinatorView(on: boolean): Promise<{ ok: boolean; why: string }> {
  const s = syncStore().getState();
  if (!on) {
    if (s.localCoordinator?.on && !s.status) await s.setLocalCoordinator(false);
    await readersStore.getState().setBlinded(true);
    return { ok: true, why: '' };
  }
  const allowed = s.coordinatorAllowed();
  if (!allowed.ok) return allowed;
  if (!s.status && !s.localCoordinator?.on) await s.setLocalCoordinator(true);
  await readersStore.getState().setBlinded(false);
  return allowed;
}
