import { createStore, useStore } from 'zustand';
import type { IDBPDatabase } from 'idb';
import { openDatabase, onDatabaseBlocked, toStorageError, type AnnotationRecord, type Box, type HeatcheckDB, type ReadStatus } from './db';

/**
 * Readers' boxes, per (reader, case), with nothing lost:
 * - an edit changes memory at once (the UI draws it) and is queued for IndexedDB; the save state
 *   says `saving` until the write has committed, `saved` after, `unsaved` while it fails;
 * - a failed write (storage full, blocked database) keeps the edit in memory and retries with
 *   backoff until it is written;
 * - every write is one read-modify-write transaction: when the stored rev is not the one the edit
 *   was based on (another tab wrote meanwhile), the two versions are merged by box id and the
 *   user is told; no box is dropped silently;
 * - a BroadcastChannel tells the other tabs to re-read after each write;
 * - undo and redo per (reader, case);
 * - every edit is also written, synchronously, to a journal (localStorage in the browser) before
 *   the call returns, and removed once IndexedDB has it: a page that unloads in the same turn as
 *   the edit (IndexedDB writes are asynchronous and die with the page) finds it in the journal
 *   on the next start and writes it then;
 * - a box drawn on a case answered "No abnormality found" withdraws that answer (the two exclude
 *   each other) and says so in `notice`: a status never changes without the reader seeing it.
 */

export type SaveState = 'saved' | 'saving' | 'unsaved';
export interface Snapshot { boxes: Box[]; status: ReadStatus }
export interface Entry {
  record: AnnotationRecord;
  /** Stored version the in-memory edits are based on (for the 3-way merge). */
  base: Snapshot;
  baseRev: number;
  /** Edit generation in memory and the generation last written. */
  gen: number;
  savedGen: number;
  undo: Snapshot[];
  redo: Snapshot[];
}
export interface StoreProblem { code: string; message: string }

export interface AnnotationsState {
  entries: Record<string, Entry>;
  saveState: SaveState;
  error: StoreProblem | null;
  /** Something the user should know (a merge with another tab's edit). */
  notice: string | null;
  load(readerId: string, caseId: string): Promise<AnnotationRecord>;
  loadReader(readerId: string): Promise<AnnotationRecord[]>;
  loadCase(caseId: string): Promise<AnnotationRecord[]>;
  get(readerId: string, caseId: string): AnnotationRecord;
  setBoxes(readerId: string, caseId: string, boxes: Box[]): void;
  setStatus(readerId: string, caseId: string, status: ReadStatus): void;
  undo(readerId: string, caseId: string): boolean;
  redo(readerId: string, caseId: string): boolean;
  canUndo(readerId: string, caseId: string): boolean;
  canRedo(readerId: string, caseId: string): boolean;
  /** Resolves when every edit so far is in IndexedDB (keeps waiting through retries). */
  flush(): Promise<void>;
  /** True when every edit not yet in IndexedDB is at least in the journal (an unload loses nothing). */
  safeToUnload(): boolean;
  dismissNotice(): void;
  /** Called with every record once it is in IndexedDB (replication sends it on). */
  onCommit(fn: (rec: AnnotationRecord) => void): () => void;
  /**
   * Re-reads one record that something else wrote to IndexedDB (replication from a sync server)
   * and shows it, with `notice` when given; pending edits here are merged on their next write.
   */
  adoptStored(readerId: string, caseId: string, notice?: string): Promise<void>;
  dispose(): void;
}

/** Storage access: one atomic read-modify-write per commit. Replaceable in tests. */
export interface AnnotationIO {
  get(readerId: string, caseId: string): Promise<AnnotationRecord | undefined>;
  byReader(readerId: string): Promise<AnnotationRecord[]>;
  byCase(caseId: string): Promise<AnnotationRecord[]>;
  commit(ours: Snapshot & { readerId: string; caseId: string }, base: Snapshot, baseRev: number): Promise<CommitResult>;
}
export interface CommitResult { record: AnnotationRecord; merged: boolean; kept: string[] }

export const keyOf = (readerId: string, caseId: string) => `${readerId}\u001f${caseId}`;
export const emptyRecord = (readerId: string, caseId: string): AnnotationRecord => ({ readerId, caseId, boxes: [], status: 'unread', updatedAt: 0, rev: 0 });

const sameBox = (a: Box, b: Box) => a.x0 === b.x0 && a.y0 === b.y0 && a.x1 === b.x1 && a.y1 === b.y1;

/**
 * Three-way merge by box id. A box changed on one side takes that side's version (ours when both
 * changed); a box deleted on one side but changed on the other is kept (listed in `kept`); boxes
 * new on either side are all kept.
 */
export function mergeBoxes(base: Box[], ours: Box[], theirs: Box[]): { boxes: Box[]; kept: string[] } {
  const B = new Map(base.map((b) => [b.id, b]));
  const O = new Map(ours.map((b) => [b.id, b]));
  const T = new Map(theirs.map((b) => [b.id, b]));
  const out: Box[] = [];
  const kept: string[] = [];
  const ids = [...new Set([...ours.map((b) => b.id), ...theirs.map((b) => b.id), ...base.map((b) => b.id)])];
  for (const id of ids) {
    const b = B.get(id), o = O.get(id), t = T.get(id);
    if (o && t) out.push(b && sameBox(o, b) ? t : o);
    else if (o && !t) {
      if (!b) out.push(o); // new here
      else if (!sameBox(o, b)) { out.push(o); kept.push(id); } // they deleted, we changed: keep
    } else if (t && !o) {
      if (!b) out.push(t); // new there
      else if (!sameBox(t, b)) { out.push(t); kept.push(id); } // we deleted, they changed: keep
    }
  }
  return { boxes: out, kept };
}

export function mergeSnapshots(base: Snapshot, ours: Snapshot, theirs: Snapshot): Snapshot & { kept: string[] } {
  const { boxes, kept } = mergeBoxes(base.boxes, ours.boxes, theirs.boxes);
  let status = ours.status !== base.status ? ours.status : theirs.status;
  status = fixStatus(status, boxes);
  return { boxes, status, kept };
}

/** Boxes and "no abnormality found" exclude each other; boxes make an unread case in progress. */
function fixStatus(status: ReadStatus, boxes: Box[]): ReadStatus {
  if (boxes.length > 0 && (status === 'no-finding' || status === 'unread')) return 'in-progress';
  return status;
}

export function idbAnnotationIO(open: () => Promise<IDBPDatabase<HeatcheckDB>> = () => openDatabase()): AnnotationIO {
  return {
    async get(readerId, caseId) {
      return (await open()).get('annotations', [readerId, caseId]);
    },
    async byReader(readerId) {
      return (await open()).getAllFromIndex('annotations', 'byReader', readerId);
    },
    async byCase(caseId) {
      return (await open()).getAllFromIndex('annotations', 'byCase', caseId);
    },
    async commit(ours, base, baseRev) {
      const db = await open();
      const tx = db.transaction('annotations', 'readwrite');
      const stored = await tx.store.get([ours.readerId, ours.caseId]);
      const storedRev = stored?.rev ?? 0;
      let snap: Snapshot = { boxes: ours.boxes, status: ours.status };
      let merged = false;
      let kept: string[] = [];
      if (stored && storedRev !== baseRev) {
        const m = mergeSnapshots(base, snap, { boxes: stored.boxes, status: stored.status });
        snap = { boxes: m.boxes, status: m.status };
        kept = m.kept;
        merged = true;
      }
      const record: AnnotationRecord = { readerId: ours.readerId, caseId: ours.caseId, boxes: snap.boxes, status: snap.status, updatedAt: Date.now(), rev: storedRev + 1 };
      // polygons come from imports and are not edited here: an edit of the boxes keeps them
      if (stored?.polygons?.length) record.polygons = stored.polygons;
      await tx.store.put(record);
      await tx.done;
      return { record, merged, kept };
    },
  };
}

interface ChannelLike {
  postMessage(m: unknown): void;
  addEventListener(type: 'message', fn: (e: MessageEvent) => void): void;
  close(): void;
}
interface SyncMessage { type: 'saved'; readerId: string; caseId: string; rev: number; from: string }

/** A synchronous store of edits not yet in IndexedDB (localStorage in the app). */
export interface EditJournal {
  put(key: string, value: string): void;
  remove(key: string): void;
  entries(): Array<[string, string]>;
}
export const JOURNAL_PREFIX = 'heatcheck.unsaved.';

/** The browser's journal: localStorage keys `heatcheck.unsaved.<reader>\u001f<case>`. Null where localStorage is missing. */
export function localStorageJournal(): EditJournal | null {
  let ls: Storage;
  try { ls = globalThis.localStorage; if (!ls) return null; } catch { return null; }
  return {
    put: (key, value) => ls.setItem(JOURNAL_PREFIX + key, value),
    remove: (key) => ls.removeItem(JOURNAL_PREFIX + key),
    entries: () => {
      const out: Array<[string, string]> = [];
      for (let i = 0; i < ls.length; i++) {
        const k = ls.key(i);
        if (k?.startsWith(JOURNAL_PREFIX)) out.push([k.slice(JOURNAL_PREFIX.length), ls.getItem(k) ?? '']);
      }
      return out;
    },
  };
}
interface JournalEntry { readerId: string; caseId: string; boxes: Box[]; status: ReadStatus; base: Snapshot; baseRev: number }

export interface AnnotationsOptions {
  io?: AnnotationIO;
  /** Synchronous journal of unsaved edits; default: localStorage where available; null: none. */
  journal?: EditJournal | null;
  /** null: no cross-tab sync. Default: BroadcastChannel('heatcheck-annotations') where available. */
  channel?: ChannelLike | null;
  channelName?: string;
  /** Retry delays in ms (the last one repeats). */
  retryDelays?: number[];
  historyLimit?: number;
}

const cloneBoxes = (boxes: Box[]) => boxes.map((b) => ({ ...b }));

export function createAnnotationsStore(opts: AnnotationsOptions = {}) {
  const io = opts.io ?? idbAnnotationIO();
  const delays = opts.retryDelays ?? [250, 500, 1000, 2000, 4000];
  const historyLimit = opts.historyLimit ?? 200;
  const tabId = Math.random().toString(36).slice(2);
  const channel: ChannelLike | null = opts.channel !== undefined
    ? opts.channel
    : typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel(opts.channelName ?? 'heatcheck-annotations') : null;
  const journal: EditJournal | null = opts.journal !== undefined ? opts.journal : localStorageJournal();
  /** Keys whose latest edit could not be journaled (storage full): only these are lost on unload. */
  const unjournaled = new Set<string>();
  const writing = new Set<string>();
  const failing = new Map<string, number>(); // key -> attempts
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const waiters: Array<() => void> = [];
  const commitListeners = new Set<(rec: AnnotationRecord) => void>();
  let disposed = false;
  let adoptRef: (rec: AnnotationRecord, fromOtherTab: boolean, notice?: string) => void = () => {};
  let replayRef: (key: string) => Promise<void> = async () => {};

  const store = createStore<AnnotationsState>()((set, get) => {
    const entryOf = (readerId: string, caseId: string): Entry => {
      const e = get().entries[keyOf(readerId, caseId)];
      if (e) return e;
      const record = emptyRecord(readerId, caseId);
      return { record, base: { boxes: [], status: 'unread' }, baseRev: 0, gen: 0, savedGen: 0, undo: [], redo: [] };
    };
    const putEntry = (e: Entry) => set((s) => ({ entries: { ...s.entries, [keyOf(e.record.readerId, e.record.caseId)]: e } }));

    const pending = () => Object.values(get().entries).some((e) => e.gen > e.savedGen);
    const refreshSaveState = () => {
      const dirty = pending();
      const state: SaveState = failing.size > 0 ? 'unsaved' : dirty || writing.size > 0 ? 'saving' : 'saved';
      const patch: Partial<AnnotationsState> = { saveState: state };
      if (failing.size === 0 && get().error?.code !== 'STORAGE_BLOCKED') patch.error = null;
      if (state === 'saved') patch.error = null;
      set(patch);
      if (state === 'saved') while (waiters.length) waiters.shift()!();
    };

    /** A stored record arrived (load or another tab): adopt it unless local edits are pending. */
    const adopt = (rec: AnnotationRecord, fromOtherTab: boolean, noticeOverride?: string) => {
      const key = keyOf(rec.readerId, rec.caseId);
      const cur = get().entries[key];
      if (cur && (cur.gen > cur.savedGen || writing.has(key))) return; // the next commit merges
      if (cur && cur.baseRev >= rec.rev) return;
      const snap = { boxes: rec.boxes, status: rec.status };
      const changed = cur && cur.record.rev > 0;
      putEntry({ record: rec, base: snap, baseRev: rec.rev, gen: cur?.gen ?? 0, savedGen: cur?.gen ?? 0, undo: fromOtherTab ? [] : cur?.undo ?? [], redo: fromOtherTab ? [] : cur?.redo ?? [] });
      if (fromOtherTab && changed) {
        // boxes this view had deleted (they are in its undo history) that came back: say which and why
        const here = new Set(cur.record.boxes.map((b) => b.id));
        const hadHere = new Set(cur.undo.flatMap((u) => u.boxes.map((b) => b.id)));
        const back = rec.boxes.filter((b) => !here.has(b.id) && hadHere.has(b.id)).map((b) => b.id);
        const why = back.length ? ` Box ${back.join(', ')} that you deleted is back: it was changed elsewhere at the same time, and a change wins over a delete. Delete it again if it should go.` : '';
        set({ notice: (noticeOverride ?? `Reader ${rec.readerId}'s boxes on case ${rec.caseId} were updated in another tab; this view now shows them.`) + why });
      }
    };

    adoptRef = adopt;

    const persist = async (key: string): Promise<void> => {
      if (writing.has(key) || disposed) return;
      writing.add(key);
      refreshSaveState();
      try {
        for (;;) {
          const e = get().entries[key];
          if (!e || e.gen <= e.savedGen) break;
          const gen = e.gen;
          const ours = { readerId: e.record.readerId, caseId: e.record.caseId, boxes: e.record.boxes, status: e.record.status };
          const res = await io.commit(ours, e.base, e.baseRev);
          failing.delete(key);
          const now = get().entries[key]!;
          const written: Snapshot = { boxes: res.record.boxes, status: res.record.status };
          let record: AnnotationRecord;
          if (now.gen === gen) record = res.record;
          else {
            // edits made while the write was in flight stay on top of what was written
            const m = mergeSnapshots({ boxes: ours.boxes, status: ours.status }, { boxes: now.record.boxes, status: now.record.status }, written);
            record = { ...now.record, boxes: m.boxes, status: m.status, rev: res.record.rev };
          }
          putEntry({ ...now, record, base: written, baseRev: res.record.rev, savedGen: gen });
          if (now.gen === gen) { try { journal?.remove(key); } catch { /* the next start rewrites it once more: harmless */ } unjournaled.delete(key); }
          if (res.merged) {
            const extra = res.kept.length ? ` ${res.kept.length} box(es) deleted on one side but changed on the other were kept; delete them again if they should go.` : '';
            set({ notice: `Reader ${ours.readerId}, case ${ours.caseId}: another tab saved changes at the same time; both edits were merged by box id.${extra}` });
          }
          channel?.postMessage({ type: 'saved', readerId: ours.readerId, caseId: ours.caseId, rev: res.record.rev, from: tabId } satisfies SyncMessage);
          for (const f of commitListeners) { try { f(res.record); } catch { /* a listener's failure is its own */ } }
        }
      } catch (err) {
        const se = toStorageError(err);
        const attempts = (failing.get(key) ?? 0) + 1;
        failing.set(key, attempts);
        set({ error: { code: se.code, message: se.message } });
        const delay = delays[Math.min(attempts - 1, delays.length - 1)];
        if (!disposed) {
          clearTimeout(timers.get(key));
          timers.set(key, setTimeout(() => { timers.delete(key); void persist(key); }, delay));
        }
      } finally {
        writing.delete(key);
        refreshSaveState();
      }
    };

    replayRef = persist;

    const edit = (readerId: string, caseId: string, next: Snapshot, history: 'push' | 'undo' | 'redo') => {
      const e = entryOf(readerId, caseId);
      const prev: Snapshot = { boxes: e.record.boxes, status: e.record.status };
      let undo = e.undo, redo = e.redo;
      if (history === 'push') { undo = [...undo, prev].slice(-historyLimit); redo = []; }
      else if (history === 'undo') { undo = undo.slice(0, -1); redo = [...redo, prev]; }
      else { redo = redo.slice(0, -1); undo = [...undo, prev]; }
      const record = { ...e.record, boxes: next.boxes, status: fixStatus(next.status, next.boxes), updatedAt: Date.now() };
      putEntry({ ...e, record, gen: e.gen + 1, undo, redo });
      const key = keyOf(readerId, caseId);
      // synchronously, before this call returns: an unload right after the edit loses nothing
      if (journal) {
        try {
          journal.put(key, JSON.stringify({ readerId, caseId, boxes: record.boxes, status: record.status, base: e.base, baseRev: e.baseRev } satisfies JournalEntry));
          unjournaled.delete(key);
        } catch { unjournaled.add(key); }
      } else unjournaled.add(key);
      if (e.record.status === 'no-finding' && record.status !== 'no-finding' && history === 'push') {
        set({ notice: `Case ${caseId}: your answer "No abnormality found" was withdrawn because you drew a box; the case is now in progress. Press D when done, or undo (Ctrl+Z) to keep the answer.` });
      }
      refreshSaveState();
      void persist(key);
    };

    return {
      entries: {},
      saveState: 'saved',
      error: null,
      notice: null,
      async load(readerId, caseId) {
        const rec = await io.get(readerId, caseId);
        if (rec) adopt(rec, false);
        return get().get(readerId, caseId);
      },
      async loadReader(readerId) {
        const recs = await io.byReader(readerId);
        for (const r of recs) adopt(r, false);
        return recs.map((r) => get().get(r.readerId, r.caseId));
      },
      async loadCase(caseId) {
        const recs = await io.byCase(caseId);
        for (const r of recs) adopt(r, false);
        return recs.map((r) => get().get(r.readerId, r.caseId));
      },
      get(readerId, caseId) {
        return get().entries[keyOf(readerId, caseId)]?.record ?? emptyRecord(readerId, caseId);
      },
      setBoxes(readerId, caseId, boxes) {
        const e = entryOf(readerId, caseId);
        edit(readerId, caseId, { boxes: cloneBoxes(boxes), status: e.record.status }, 'push');
      },
      setStatus(readerId, caseId, status) {
        const e = entryOf(readerId, caseId);
        const regions = e.record.boxes.length + (e.record.polygons?.length ?? 0);
        if (status === 'no-finding' && regions > 0) {
          const err = new Error(`Case ${caseId} has ${e.record.boxes.length} box(es)${e.record.polygons?.length ? ` and ${e.record.polygons.length} imported polygon(s)` : ''}; "No abnormality found" needs none. Delete the boxes first.`);
          (err as Error & { code: string }).code = 'BOXES_PRESENT';
          throw err;
        }
        if (e.record.status === status) return;
        edit(readerId, caseId, { boxes: e.record.boxes, status }, 'push');
      },
      undo(readerId, caseId) {
        const e = entryOf(readerId, caseId);
        const snap = e.undo[e.undo.length - 1];
        if (!snap) return false;
        edit(readerId, caseId, snap, 'undo');
        return true;
      },
      redo(readerId, caseId) {
        const e = entryOf(readerId, caseId);
        const snap = e.redo[e.redo.length - 1];
        if (!snap) return false;
        edit(readerId, caseId, snap, 'redo');
        return true;
      },
      canUndo: (readerId, caseId) => entryOf(readerId, caseId).undo.length > 0,
      canRedo: (readerId, caseId) => entryOf(readerId, caseId).redo.length > 0,
      safeToUnload: () => unjournaled.size === 0,
      flush() {
        if (!pending() && writing.size === 0) return Promise.resolve();
        return new Promise<void>((resolve) => waiters.push(resolve));
      },
      dismissNotice: () => set({ notice: null }),
      onCommit(fn) { commitListeners.add(fn); return () => { commitListeners.delete(fn); }; },
      async adoptStored(readerId, caseId, notice) {
        const rec = await io.get(readerId, caseId);
        if (rec) adoptRef(rec, true, notice);
      },
      dispose() {
        disposed = true;
        for (const t of timers.values()) clearTimeout(t);
        timers.clear();
        channel?.close();
        unblock();
      },
    };
  });

  const onMessage = async (ev: MessageEvent) => {
    const m = ev.data as SyncMessage;
    if (!m || m.type !== 'saved' || m.from === tabId || disposed) return;
    const cur = store.getState().entries[keyOf(m.readerId, m.caseId)];
    if (cur && cur.baseRev >= m.rev) return;
    try {
      const rec = await io.get(m.readerId, m.caseId);
      if (rec) adoptRef(rec, true);
    } catch {
      /* a later message or load will catch up */
    }
  };
  channel?.addEventListener('message', (ev) => void onMessage(ev));
  // edits a previous page journaled but did not get into IndexedDB: write them now
  if (journal) {
    let found: Array<[string, string]> = [];
    try { found = journal.entries(); } catch { found = []; }
    for (const [key, text] of found) {
      let j: JournalEntry;
      try { j = JSON.parse(text) as JournalEntry; } catch { try { journal.remove(key); } catch { /* ignore */ } continue; }
      if (!j || typeof j.readerId !== 'string' || typeof j.caseId !== 'string' || !Array.isArray(j.boxes)) { try { journal.remove(key); } catch { /* ignore */ } continue; }
      const record: AnnotationRecord = { readerId: j.readerId, caseId: j.caseId, boxes: j.boxes, status: j.status, updatedAt: Date.now(), rev: j.baseRev };
      store.setState((st) => ({ entries: { ...st.entries, [keyOf(j.readerId, j.caseId)]: { record, base: j.base, baseRev: j.baseRev, gen: 1, savedGen: 0, undo: [], redo: [] } } }));
      void replayRef(keyOf(j.readerId, j.caseId));
    }
  }
  const unblock = onDatabaseBlocked(() => {
    store.setState({ error: { code: 'STORAGE_BLOCKED', message: 'The database is blocked by another Heatcheck tab that uses an older version. Close the other Heatcheck tabs; your edits are kept in memory and will be written then.' }, saveState: 'unsaved' });
  });
  return store;
}

export type AnnotationsStore = ReturnType<typeof createAnnotationsStore>;

let singleton: AnnotationsStore | null = null;
/** The app's store (created on first use, so tests that never call it open no channel). */
export function annotationsStore(): AnnotationsStore {
  if (!singleton) singleton = createAnnotationsStore();
  return singleton;
}
export function useAnnotations<T>(selector: (s: AnnotationsState) => T): T {
  return useStore(annotationsStore(), selector);
}

/** A new box id (unique across tabs and readers). */
export function newBoxId(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID();
  return `b${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}
