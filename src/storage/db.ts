import type { VoiLut, VoiWindow } from '../core/study/intensity';
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';

/**
 * The one IndexedDB module every store uses. The schema is versioned; migrations are append-only:
 * to change the schema, add an entry to MIGRATIONS (its index + 1 is the new version) and never edit
 * an old one. Records are plain structured-clone data.
 */
export const DB_NAME = 'heatcheck';

export interface StudyRecord { id: string; name: string; source: 'demo' | 'import'; createdAt: number; meta?: Record<string, unknown> }
export interface CaseRecord {
  id: string;
  studyId: string;
  /** sha256 of the decoded pixels (content hash); cases match across exports by it. */
  imageHash: string;
  name: string;
  label: 0 | 1 | null;
  bodyPart?: string;
  abnormality?: string;
  width: number;
  height: number;
  order: number;
  meta?: Record<string, unknown>;
}
export interface ImageRecord {
  hash: string;
  width: number;
  height: number;
  /** Grayscale pixels, row-major. 8-bit or 16-bit (DICOM). */
  pixels: Uint8Array | Uint16Array | Float32Array;
  /** Default window (DICOM window centre/width, VOI LUT Function, or the min-max of the values) in pixel units. */
  window?: VoiWindow;
  /** DICOM VOI LUT Sequence (first item); when present it is the default VOI. */
  voiLut?: VoiLut;
  /** MONOCHROME1: invert for bone-white display. */
  invert?: boolean;
  source?: string;
}
/**
 * A reader. `studyId`: the study the reader belongs to (the demo's simulated R1-R3 and its new
 * reader belong to the demo; an imported study's readers to it). Readers without one (older
 * databases, merged files) are offered in every study.
 */
export interface ReaderRecord { id: string; name: string; simulated?: boolean; order: number; studyId?: string }
export type Box = { id: string; x0: number; y0: number; x1: number; y1: number };
/** A polygon region (imported from VIA or COCO): vertices [x, y] in original-image pixel edges. */
export type Polygon = { id: string; points: Array<[number, number]> };
export type ReadStatus = 'unread' | 'in-progress' | 'done' | 'no-finding';
export interface AnnotationRecord {
  readerId: string;
  caseId: string;
  boxes: Box[];
  /** Polygon regions, shown and counted like boxes; absent when there are none. */
  polygons?: Polygon[];
  status: ReadStatus;
  updatedAt: number;
  /** Monotonic revision; a write with an older rev than stored is a conflict. */
  rev: number;
}
export interface ModelRecord {
  id: string;
  manifest: Record<string, unknown>;
  /** A TF.js model's model.json (its weightsManifest lists the one shard `weights.bin`); null for an ONNX model. */
  modelJson: unknown;
  /** TF.js: the weight shards concatenated in model.json's order. ONNX: the .onnx file's bytes. */
  weights: ArrayBuffer;
  /** An imported ONNX model: the .onnx file's name and its external-data files by the location the graph names. */
  onnx?: { file: string; external: Array<{ location: string; bytes: ArrayBuffer }> };
  createdAt: number;
}
export interface ResultRecord { key: string; kind: string; createdAt: number; value: unknown }
export interface SettingRecord { key: string; value: unknown }

export interface HeatcheckDB extends DBSchema {
  studies: { key: string; value: StudyRecord };
  cases: { key: string; value: CaseRecord; indexes: { byStudy: string; byHash: string } };
  images: { key: string; value: ImageRecord };
  readers: { key: string; value: ReaderRecord };
  annotations: { key: [string, string]; value: AnnotationRecord; indexes: { byCase: string; byReader: string } };
  models: { key: string; value: ModelRecord };
  results: { key: string; value: ResultRecord; indexes: { byKind: string } };
  settings: { key: string; value: SettingRecord };
}

type Tx = IDBPTransaction<HeatcheckDB, StoreNames<HeatcheckDB>[], 'versionchange'>;
type Migration = (db: IDBPDatabase<HeatcheckDB>, tx: Tx) => void;

export const MIGRATIONS: Migration[] = [
  // v1: initial schema
  (db) => {
    db.createObjectStore('studies', { keyPath: 'id' });
    const cases = db.createObjectStore('cases', { keyPath: 'id' });
    cases.createIndex('byStudy', 'studyId');
    cases.createIndex('byHash', 'imageHash');
    db.createObjectStore('images', { keyPath: 'hash' });
    db.createObjectStore('readers', { keyPath: 'id' });
    const ann = db.createObjectStore('annotations', { keyPath: ['readerId', 'caseId'] });
    ann.createIndex('byCase', 'caseId');
    ann.createIndex('byReader', 'readerId');
    db.createObjectStore('models', { keyPath: 'id' });
    const results = db.createObjectStore('results', { keyPath: 'key' });
    results.createIndex('byKind', 'kind');
    db.createObjectStore('settings', { keyPath: 'key' });
  },
];

export const DB_VERSION = MIGRATIONS.length;

export class StorageError extends Error {
  constructor(public readonly code: 'STORAGE_BLOCKED' | 'STORAGE_FULL' | 'STORAGE_UNAVAILABLE' | 'STORAGE_FAILED', message: string) {
    super(message);
    this.name = 'StorageError';
  }
}

/** Maps IndexedDB failures to messages a person can act on. */
export function toStorageError(e: unknown): StorageError {
  if (e instanceof StorageError) return e;
  const name = (e as { name?: string })?.name ?? '';
  const msg = e instanceof Error ? e.message : String(e);
  if (name === 'QuotaExceededError') {
    return new StorageError('STORAGE_FULL', 'The browser storage for this site is full. Your last edit is kept in memory; free space (export and delete old studies or results) and it will be written.');
  }
  if (name === 'InvalidStateError' || name === 'UnknownError') {
    return new StorageError('STORAGE_UNAVAILABLE', `The browser storage is not available (${msg}). Private windows may block it. Your edits are kept in memory until it works.`);
  }
  return new StorageError('STORAGE_FAILED', `Writing to the browser storage failed: ${msg}`);
}

let dbPromise: Promise<IDBPDatabase<HeatcheckDB>> | null = null;
let onBlockedListeners: Array<() => void> = [];

export function onDatabaseBlocked(fn: () => void): () => void {
  onBlockedListeners.push(fn);
  return () => { onBlockedListeners = onBlockedListeners.filter((f) => f !== fn); };
}

export function openDatabase(name = DB_NAME): Promise<IDBPDatabase<HeatcheckDB>> {
  if (name === DB_NAME && dbPromise) return dbPromise;
  const p = openDB<HeatcheckDB>(name, DB_VERSION, {
    upgrade(db, oldVersion, _newVersion, tx) {
      for (let v = oldVersion; v < MIGRATIONS.length; v++) MIGRATIONS[v](db, tx as unknown as Tx);
    },
    blocked() {
      for (const f of onBlockedListeners) f();
    },
    blocking() {
      // Another tab needs a newer schema: let it upgrade, and reopen on next use.
      void p.then((db) => db.close());
      if (name === DB_NAME) dbPromise = null;
    },
  }).catch((e) => {
    if (name === DB_NAME) dbPromise = null;
    throw toStorageError(e);
  });
  if (name === DB_NAME) dbPromise = p;
  return p;
}

/** For tests: forget the cached connection. */
export function resetDatabaseConnection(): void {
  dbPromise = null;
}
