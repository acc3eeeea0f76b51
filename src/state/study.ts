import { createStore, useStore } from 'zustand';
import type { IDBPDatabase } from 'idb';
import {
  openDatabase, toStorageError,
  type AnnotationRecord, type CaseRecord, type HeatcheckDB, type ImageRecord, type StudyRecord,
} from './db';
import { appStore } from './appStore';
import type { DemoCase } from '../worker/api/phantom';
import { maskToRuns } from '../core/phantom/readers';
import { DEMO_NEW_READER, DEMO_SIMULATED_READERS } from './readers';

/**
 * The study being worked on: its record, its cases (ordered), and image lookup by content hash.
 * On first run (no study in the database) the built-in demo is generated in the compute worker from
 * the phantom generator (seeded, nothing committed) and written with its simulated readers R1-R3.
 *
 * Case record ids are `<studyId>:<case name>` (for example `demo:case-0001`); annotations key on them.
 * Demo cases keep their exact truth mask in meta.truthRuns (run lengths, zeros first; runsToMask decodes).
 */
export const DEMO_STUDY = {
  id: 'demo',
  name: 'Demo study (synthetic phantoms)',
  seed: 2022,
  count: 40,
  size: 512,
} as const;
/** Settings key of the current study's id (shared with the annotate page's seeding). */
export const CURRENT_STUDY_KEY = 'currentStudy';

export type MakeDemoCase = (seed: number, index: number, size: number) => Promise<DemoCase>;

export interface StudyState {
  currentStudy: StudyRecord | null;
  cases: CaseRecord[];
  /** Demo generation progress; null when idle. */
  progress: { done: number; total: number; message: string } | null;
  ready: boolean;
  error: { code: string; message: string } | null;
  ensureDemoStudy(): Promise<void>;
  listCases(studyId?: string): Promise<CaseRecord[]>;
  getImage(hash: string): Promise<ImageRecord | undefined>;
  /** Makes another stored study current. */
  selectStudy(id: string): Promise<void>;
}

export interface StudyStoreOptions {
  open?: () => Promise<IDBPDatabase<HeatcheckDB>>;
  /** Where demo cases are made: the compute worker in the app, the generator in-process in tests. */
  makeCase: MakeDemoCase;
  demo?: { id: string; name: string; seed: number; count: number; size: number };
  /** Called with the study name when it changes (the app sets the header). */
  onStudyName?: (name: string) => void;
  /** Called after each demo case is written. */
  onProgress?: (done: number, total: number) => void;
}

export const caseRecordId = (studyId: string, name: string) => `${studyId}:${name}`;

export function createStudyStore(opts: StudyStoreOptions) {
  const open = opts.open ?? (() => openDatabase());
  const demo = opts.demo ?? DEMO_STUDY;
  let inFlight: Promise<void> | null = null;

  const store = createStore<StudyState>()((set, get) => ({
    currentStudy: null,
    cases: [],
    progress: null,
    ready: false,
    error: null,

    ensureDemoStudy() {
      if (!inFlight) {
        inFlight = run().finally(() => { inFlight = null; });
      }
      return inFlight;
    },

    async listCases(studyId?: string) {
      const id = studyId ?? get().currentStudy?.id;
      if (!id) return [];
      const db = await open();
      const cases = await db.getAllFromIndex('cases', 'byStudy', id);
      return cases.sort((a, b) => a.order - b.order);
    },

    async getImage(hash: string) {
      const db = await open();
      return db.get('images', hash);
    },

    async selectStudy(id: string) {
      const db = await open();
      const study = await db.get('studies', id);
      if (!study) {
        set({ error: { code: 'STUDY_NOT_FOUND', message: `Study "${id}" is not in this browser's storage; import it on the Data page.` } });
        return;
      }
      await db.put('settings', { key: CURRENT_STUDY_KEY, value: id });
      const cases = await get().listCases(id);
      set({ currentStudy: study, cases, ready: true, error: null });
      opts.onStudyName?.(study.name);
    },
  }));

  async function writeDemo(db: IDBPDatabase<HeatcheckDB>): Promise<void> {
    const total = demo.count;
    const now = Date.now();
    // The person trying the demo reads as a new, empty reader; the simulated readers R1-R3 are
    // marked as such wherever they are shown and belong to the demo study only.
    const rtx = db.transaction('readers', 'readwrite');
    if (!(await rtx.store.get(DEMO_NEW_READER.id))) await rtx.store.put({ id: DEMO_NEW_READER.id, name: DEMO_NEW_READER.name, order: 0, studyId: demo.id });
    for (const [i, id] of DEMO_SIMULATED_READERS.entries()) {
      await rtx.store.put({ id, name: id, simulated: true, order: i + 1, studyId: demo.id });
    }
    await rtx.done;
    store.setState({ progress: { done: 0, total, message: 'Generating the demo study' } });
    for (let i = 0; i < total; i++) {
      const c = await opts.makeCase(demo.seed, i, demo.size);
      const caseId = caseRecordId(demo.id, c.id);
      const record: CaseRecord = {
        id: caseId,
        studyId: demo.id,
        imageHash: c.hash,
        name: c.id,
        label: c.label,
        bodyPart: c.bodyPart,
        abnormality: c.abnormality,
        width: c.width,
        height: c.height,
        order: i,
        meta: { phantom: { seed: demo.seed, index: i }, simulatedReaders: true, ...(c.truth ? { truthRuns: maskToRuns(c.truth) } : {}) },
      };
      const image: ImageRecord = { hash: c.hash, width: c.width, height: c.height, pixels: c.image, source: `phantom seed ${demo.seed} #${i}` };
      const tx = db.transaction(['cases', 'images', 'annotations'], 'readwrite');
      await tx.objectStore('images').put(image);
      await tx.objectStore('cases').put(record);
      for (const rid of DEMO_SIMULATED_READERS) {
        const boxes = c.readers[rid];
        const ann: AnnotationRecord = {
          readerId: rid,
          caseId,
          boxes: boxes.map(([x0, y0, x1, y1], k) => ({ id: `${rid}-${c.id}-${k}`, x0, y0, x1, y1 })),
          status: boxes.length ? 'done' : 'no-finding',
          updatedAt: now,
          rev: 1,
        };
        await tx.objectStore('annotations').put(ann);
      }
      await tx.done;
      store.setState({ progress: { done: i + 1, total, message: 'Generating the demo study' } });
      opts.onProgress?.(i + 1, total);
    }
    // The study record last: a study half-written (tab closed) is regenerated on the next start.
    const study: StudyRecord = {
      id: demo.id, name: demo.name, source: 'demo', createdAt: now,
      meta: { generator: 'phantom', seed: demo.seed, count: demo.count, size: demo.size, readers: 'simulated' },
    };
    await db.put('studies', study);
    if (!(await db.get('settings', CURRENT_STUDY_KEY))) await db.put('settings', { key: CURRENT_STUDY_KEY, value: demo.id });
  }

  async function run(): Promise<void> {
    try {
      const db = await open();
      const studies = await db.getAll('studies');
      if (studies.length === 0) await writeDemo(db);
      const all = studies.length === 0 ? await db.getAll('studies') : studies;
      const saved = (await db.get('settings', CURRENT_STUDY_KEY))?.value as string | undefined;
      const study = all.find((s) => s.id === saved) ?? all.find((s) => s.id === demo.id) ?? all[0] ?? null;
      const cases = study ? await store.getState().listCases(study.id) : [];
      store.setState({ currentStudy: study, cases, ready: true, progress: null, error: null });
      if (study) opts.onStudyName?.(study.name);
    } catch (e) {
      const code = (e as { code?: unknown })?.code;
      const err = typeof code === 'string' && code.startsWith('STORAGE') ? toStorageError(e) : null;
      store.setState({
        progress: null,
        error: {
          code: err?.code ?? (typeof code === 'string' ? code : 'STUDY_LOAD_FAILED'),
          message: err?.message ?? `Could not prepare the demo study: ${e instanceof Error ? e.message : String(e)}`,
        },
      });
    }
  }

  return store;
}

export type StudyStore = ReturnType<typeof createStudyStore>;

let singleton: StudyStore | null = null;

/** The app's study store: demo cases are made in the compute worker. */
export function studyStore(): StudyStore {
  if (!singleton) {
    singleton = createStudyStore({
      makeCase: async (seed, index, size) => {
        const { compute } = await import('../worker/client');
        return compute().generateDemoCase(seed, index, size);
      },
      onStudyName: (name) => appStore.getState().setStudyName(name),
      // Progress shows in the header's study name until the study is ready.
      onProgress: (done, total) => appStore.getState().setStudyName(`${DEMO_STUDY.name}: generating ${done}/${total}`),
    });
  }
  return singleton;
}

export function useStudy<T>(selector: (s: StudyState) => T): T {
  return useStore(studyStore(), selector);
}
