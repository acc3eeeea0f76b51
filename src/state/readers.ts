import { createStore, useStore } from 'zustand';
import type { IDBPDatabase } from 'idb';
import { openDatabase, toStorageError, type HeatcheckDB, type ReaderRecord } from './db';
import { appStore } from './appStore';

/**
 * Readers (who reads), the blinding setting and each reader's worklist preferences, persisted in
 * IndexedDB (`readers` store; settings `annotate.blinded`, `annotate.currentReader.<studyId>`,
 * `worklist.<readerId>`). Blinded mode is on by default: a reader sees only their own boxes; the
 * coordinator view (blinded off) shows everyone's.
 *
 * Readers belong to a study (ReaderRecord.studyId): `readers` lists the current study's (plus any
 * without a study). The reader who reads first is the one saved for the study, else its first
 * person (never a simulated reader when a person exists).
 */
export interface WorklistPrefs { shuffle: boolean; seed: number }
export interface ReadersState {
  readers: ReaderRecord[];
  blinded: boolean;
  quorum: number;
  prefs: Record<string, WorklistPrefs>;
  loaded: boolean;
  error: string | null;
  /** The study `readers` belongs to (the current study when loaded). */
  studyId: string | null;
  load(): Promise<void>;
  create(name?: string): Promise<ReaderRecord>;
  rename(id: string, name: string): Promise<void>;
  setBlinded(blinded: boolean): Promise<void>;
  setQuorum(q: number): Promise<void>;
  setPrefs(readerId: string, prefs: WorklistPrefs): Promise<void>;
  prefsOf(readerId: string): WorklistPrefs;
}

/** The demo's simulated readers (they belong to the demo study only). */
export const DEMO_SIMULATED_READERS = ['R1', 'R2', 'R3'] as const;
/** The demo's own reader: the person trying the app starts as a new, empty reader. */
export const DEMO_NEW_READER = { id: 'you', name: 'You (new reader)' } as const;
export const currentReaderKey = (studyId: string | null) => (studyId ? `annotate.currentReader.${studyId}` : 'annotate.currentReader');

/** Readers offered in a study: its own and those that belong to no study. */
export function readersOfStudy(all: ReaderRecord[], studyId: string | null): ReaderRecord[] {
  return all.filter((r) => !r.studyId || r.studyId === studyId).sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}

/** The lowest free id R<n> (ids are unique across studies). */
export function freeReaderId(all: Array<{ id: string }>): string {
  let i = 1;
  while (all.some((r) => r.id === `R${i}`)) i++;
  return `R${i}`;
}

/** Who reads first: the saved reader when still there, else the first person, else the first reader. */
export function pickCurrentReader(readers: ReaderRecord[], saved: unknown): string | null {
  if (typeof saved === 'string' && readers.some((r) => r.id === saved)) return saved;
  return (readers.find((r) => !r.simulated) ?? readers[0])?.id ?? null;
}

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
    studyId: null,
    async load() {
      try {
        const db = await open();
        const settings = await db.getAll('settings');
        const studyId = (settings.find((s) => s.key === 'currentStudy')?.value as string | undefined) ?? null;
        let readers = readersOfStudy(await db.getAll('readers'), studyId);
        // a stored study with no reader at all (a merged project without readers): one person to read
        if (readers.length === 0 && studyId && (await db.get('studies', studyId))) {
          const tx = db.transaction('readers', 'readwrite');
          const all = await tx.store.getAll();
          if (!readersOfStudy(all, studyId).length) await tx.store.put({ id: freeReaderId(all), name: 'Reader 1', order: 0, studyId });
          await tx.done;
          readers = readersOfStudy(await db.getAll('readers'), studyId);
        }
        const val = (k: string) => settings.find((s) => s.key === k)?.value;
        const prefs: Record<string, WorklistPrefs> = {};
        for (const s of settings) if (s.key.startsWith('worklist.')) prefs[s.key.slice(9)] = s.value as WorklistPrefs;
        const blinded = val('annotate.blinded');
        const quorum = val('annotate.quorum');
        set({ readers, studyId, prefs, blinded: blinded === undefined ? true : Boolean(blinded), quorum: typeof quorum === 'number' ? quorum : 2, loaded: true, error: null });
        const app = appStore.getState();
        const saved = val(currentReaderKey(studyId)) ?? val('annotate.currentReader');
        const pick = pickCurrentReader(readers, typeof saved === 'string' && readers.some((r) => r.id === saved) ? saved : app.currentReader);
        if (pick && pick !== app.currentReader) app.setCurrentReader(pick);
      } catch (e) {
        set({ error: toStorageError(e).message, loaded: true });
      }
    },
    async create(name) {
      const db = await open();
      const existing = await db.getAll('readers');
      const id = freeReaderId(existing);
      const studyId = get().studyId ?? ((await db.get('settings', 'currentStudy'))?.value as string | undefined) ?? null;
      const mine = readersOfStudy(existing, studyId);
      const rec: ReaderRecord = { id, name: name?.trim() || id, order: Math.max(-1, ...mine.map((r) => r.order)) + 1, ...(studyId ? { studyId } : {}) };
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

/** Remember the current reader of the current study across reloads. */
export function persistCurrentReader(id: string): void {
  const studyId = readersStore.getState().studyId;
  void openDatabase().then((db) => db.put('settings', { key: currentReaderKey(studyId), value: id })).catch(() => {});
}

/** Display name of a reader id. */
export function readerName(readers: ReaderRecord[], id: string): string {
  return readers.find((r) => r.id === id)?.name ?? id;
}
