import type { IDBPDatabase } from 'idb';
import { openDatabase, toStorageError, type HeatcheckDB, type ResultRecord } from './db';
import { canonicalJson } from '../core/canonicalJson';

/** Canonical JSON (keys sorted): equal parameters give equal keys. */
export { canonicalJson };

/**
 * The result cache over the `results` store (DESIGN: a result is a record keyed by everything that
 * made it; same key, same result, computed once). Works in the worker and on the main thread.
 */
export interface SaliencyKeyParts {
  imageHash: string;
  /** sha256 of the model's weights. */
  modelHash: string;
  method: string;
  params: Record<string, unknown>;
  /** null for methods that draw nothing from the seed (and no randomization). */
  seed: number | null;
  backend: string;
  /** Cascading randomization step (SPEC 5.2); null for the trained model. */
  randomizationStep: number | null;
}

/**
 * Version of the pixel pipeline (file values -> model input, src/core/study/intensity.ts). Part of
 * every saliency key, so that maps computed from differently prepared inputs are never reused.
 */
export const PIXEL_PIPELINE = 'voi-c11-1';

/** The cache key of a saliency map. */
export function resultKey(parts: SaliencyKeyParts): string {
  const { imageHash, modelHash, method, params, seed, backend, randomizationStep } = parts;
  return `saliency:${canonicalJson({ imageHash, modelHash, method, params, seed, backend, randomizationStep, pixels: PIXEL_PIPELINE })}`;
}

type Db = IDBPDatabase<HeatcheckDB>;
const dbOf = (db?: Db | Promise<Db>) => Promise.resolve(db ?? openDatabase());

export async function getResult<T = unknown>(key: string, db?: Db | Promise<Db>): Promise<T | undefined> {
  try {
    const rec = await (await dbOf(db)).get('results', key);
    return rec?.value as T | undefined;
  } catch (e) {
    throw toStorageError(e);
  }
}

export async function putResult(key: string, kind: string, value: unknown, db?: Db | Promise<Db>): Promise<void> {
  const rec: ResultRecord = { key, kind, createdAt: Date.now(), value };
  try {
    await (await dbOf(db)).put('results', rec);
  } catch (e) {
    throw toStorageError(e);
  }
}

/** Every key of one kind (for example 'saliency'). */
export async function resultKeysOfKind(kind: string, db?: Db | Promise<Db>): Promise<string[]> {
  try {
    return (await (await dbOf(db)).getAllKeysFromIndex('results', 'byKind', kind)) as string[];
  } catch (e) {
    throw toStorageError(e);
  }
}
