import { createStore, useStore } from 'zustand';
import type { IDBPDatabase } from 'idb';
import { openDatabase, toStorageError, type HeatcheckDB, type ReaderRecord } from './db';
import { appStore } from './appStore';

/**
 * Readers (who reads), the blinding setting and each reader's worklist preferences, persisted in
 * IndexedDB (`readers` store; settings `annotate.blinded`, `annotate.currentReader`,
 * `worklist.<readerId>`). Blinded mode is on by default: a reader sees only their own boxes; the
 * coordinator view (blinded off) shows everyone's.
 */
export interface WorklistPrefs { shuffle: boolean; seed: number }
export interface ReadersState {
  readers: ReaderRecord[];
  blinded: boolean;
  quorum: number;
  prefs: Record<string, WorklistPrefs>;
  loaded: boolean;
  error: string | null;
  load(): Promise<void>;
  create(name?: string): Promise<ReaderRecord>;
  rename(id: string, name: string): Promise<void>;
  setBlinded(blinded: boolean): Promise<void>;
  setQuorum(q: number): Promise<void>;
  setPrefs(readerId: string, prefs: WorklistPrefs): Promise<void>;
  prefsOf(readerId: string): WorklistPrefs;
}

export const DEFAULT_READERS = ['R1', 'R2', 'R3'];

export function createReadersStore(open: () => Promise<IDBPDatabase<HeatcheckDB>> = () => openDatabase()) {
  const setting = async (key: string, value: unknown) => {
    const db = await open();
    await db.put('settings', { key, value });
  };
  return createStore<ReadersState>()((set, get) => ({
    readers: [],
    blinded: true,
    quorum: 2,
    prefs: {},
    loaded: false,
    error: null,
    async load() {
      try {
        const db = await open();
        let readers = await db.getAll('readers');
        if (readers.length === 0) {
          const tx = db.transaction('readers', 'readwrite');
          // another tab may have created them meanwhile: only add what is missing
          for (const [i, id] of DEFAULT_READERS.entries()) if (!(await tx.store.get(id))) await tx.store.put({ id, name: id, order: i });
          await tx.done;
          readers = await db.getAll('readers');
        }
        readers.sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
        const settings = await db.getAll('settings');
        const val = (k: string) => settings.find((s) => s.key === k)?.value;
        const prefs: Record<string, WorklistPrefs> = {};
        for (const s of settings) if (s.key.startsWith('worklist.')) prefs[s.key.slice(9)] = s.value as WorklistPrefs;
        const blinded = val('annotate.blinded');
        const quorum = val('annotate.quorum');
        set({ readers, prefs, blinded: blinded === undefined ? true : Boolean(blinded), quorum: typeof quorum === 'number' ? quorum : 2, loaded: true, error: null });
        const current = val('annotate.currentReader');
        const app = appStore.getState();
        if (typeof current === 'string' && readers.some((r) => r.id === current)) app.setCurrentReader(current);
        else if (!readers.some((r) => r.id === app.currentReader) && readers[0]) app.setCurrentReader(readers[0].id);
      } catch (e) {
        set({ error: toStorageError(e).message, loaded: true });
      }
    },
    async create(name) {
      const db = await open();
      const existing = await db.getAll('readers');
      let i = existing.length + 1;
      while (existing.some((r) => r.id === `R${i}`)) i++;
      const rec: ReaderRecord = { id: `R${i}`, name: name?.trim() || `R${i}`, order: Math.max(-1, ...existing.map((r) => r.order)) + 1 };
      await db.put('readers', rec);
      set({ readers: [...get().readers, rec] });
      return rec;
    },
    async rename(id, name) {
      const trimmed = name.trim();
      if (!trimmed) throw Object.assign(new Error('A reader needs a name; type one and press Enter.'), { code: 'READER_NAME_EMPTY' });
      const db = await open();
      const rec = await db.get('readers', id);
      if (!rec) throw Object.assign(new Error(`No reader with id ${id}.`), { code: 'READER_NOT_FOUND' });
      const next = { ...rec, name: trimmed };
      await db.put('readers', next);
      set({ readers: get().readers.map((r) => (r.id === id ? next : r)) });
    },
    async setBlinded(blinded) {
      set({ blinded });
      await setting('annotate.blinded', blinded);
    },
    async setQuorum(q) {
      const quorum = Math.max(1, Math.round(q));
      set({ quorum });
      await setting('annotate.quorum', quorum);
    },
    async setPrefs(readerId, prefs) {
      set({ prefs: { ...get().prefs, [readerId]: prefs } });
      await setting(`worklist.${readerId}`, prefs);
    },
    prefsOf: (readerId) => get().prefs[readerId] ?? { shuffle: false, seed: 1 },
  }));
}

export const readersStore = createReadersStore();
export function useReaders<T>(selector: (s: ReadersState) => T): T {
  return useStore(readersStore, selector);
}

/** Remember the current reader across reloads. */
export function persistCurrentReader(id: string): void {
  void openDatabase().then((db) => db.put('settings', { key: 'annotate.currentReader', value: id })).catch(() => {});
}

/** Display name of a reader id. */
export function readerName(readers: ReaderRecord[], id: string): string {
  return readers.find((r) => r.id === id)?.name ?? id;
}
