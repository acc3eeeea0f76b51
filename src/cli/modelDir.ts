import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { HeatcheckError } from './errors';
import { loadModelFromFiles, shardPaths, type LoadedModel } from '../core/model/load';

/** Reads a model folder (model.json + shards + manifest.json) from disk and builds it. */
export async function loadModelDir(dir: string): Promise<LoadedModel> {
  const mjPath = path.join(dir, 'model.json');
  if (!existsSync(mjPath)) throw new HeatcheckError('NOT_FOUND_MODEL', `${dir}: no model.json here; --model takes a folder with model.json, its weight shards and manifest.json`);
  let modelJson: unknown;
  try {
    modelJson = JSON.parse(readFileSync(mjPath, 'utf8'));
  } catch (e) {
    throw new HeatcheckError('BAD_INPUT_MODEL_JSON', `${mjPath} is not valid JSON (${(e as Error).message})`);
  }
  const shards = new Map<string, Uint8Array>();
  for (const p of shardPaths(modelJson, mjPath)) {
    const f = path.join(dir, p);
    if (existsSync(f)) shards.set(p, new Uint8Array(readFileSync(f)));
  }
  const manPath = path.join(dir, 'manifest.json');
  const manifest = existsSync(manPath) ? JSON.parse(readFileSync(manPath, 'utf8')) : undefined;
  try {
    return await loadModelFromFiles({ source: dir, modelJson, shards, manifest }, manifest ? undefined : { id: path.basename(dir) });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code) throw new HeatcheckError(code, (e as Error).message);
    throw e;
  }
}
