import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { HeatcheckError } from './errors';
import { describeModelFiles, loadModelFromFiles, type LoadedModel } from '../core/model/load';
import type { ModelManifest } from '../core/model/manifest';
import { readModelFolder, type FolderEntry, type ModelFolder } from '../core/model/modelFolder';

export interface ModelDirOptions {
  /** The class to explain (softmax or multi-unit outputs); default: the manifest's, else the predicted class. */
  classIndex?: number;
}

/**
 * The files of a model folder, by path relative to it: every regular file in the folder and one
 * level of sub-folders (weightsManifest paths may name one), hidden files left out. Reading only:
 * what they mean is readModelFolder's business (the same reader the browser import uses).
 */
function readFolderFiles(dir: string): Map<string, FolderEntry> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new HeatcheckError('NOT_FOUND_MODEL', `${dir}: no such folder; --model takes a folder with model.json and its weight shards (manifest.json optional)`);
  }
  const files = new Map<string, FolderEntry>();
  const walk = (rel: string, depth: number) => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory() && depth < 1) walk(r, depth + 1);
      else if (e.isFile()) files.set(r, new Uint8Array(readFileSync(path.join(dir, r))));
    }
  };
  walk('', 0);
  return files;
}

function asHeatcheckError(e: unknown): unknown {
  const code = (e as { code?: string }).code;
  return code && !(e instanceof HeatcheckError) && typeof code === 'string' && /^[A-Z_]+$/.test(code) ? new HeatcheckError(code, (e as Error).message) : e;
}

/**
 * A model folder's files as bytes (by path relative to it) and its manifest id, checked by the
 * same reader as readModelDir: what a browser page needs to build the model itself.
 */
export function readModelDirFiles(dir: string, opts: ModelDirOptions = {}): { files: Map<string, Uint8Array>; id: string } {
  const folder = readModelDir(dir, opts);
  return { files: readFolderFiles(dir) as Map<string, Uint8Array>, id: idOf(dir, folder) };
}

/** Reads a model folder from disk and describes it (input, output, Grad-CAM layer and candidates...), without building the model. */
export function readModelDir(dir: string, opts: ModelDirOptions = {}): ModelFolder {
  const files = readFolderFiles(dir);
  try {
    return readModelFolder(files, { source: dir, classIndex: opts.classIndex });
  } catch (e) {
    throw asHeatcheckError(e);
  }
}

/** The manifest id of a model folder: manifest.json's, else the folder's name. */
const idOf = (dir: string, folder: ModelFolder) => (folder.files.manifest ? (folder.manifest.id ?? path.basename(path.resolve(dir))) : path.basename(path.resolve(dir)));

/** Reads a model folder (model.json + shards, manifest.json optional) from disk and builds it. */
export async function loadModelDir(dir: string, opts: ModelDirOptions = {}): Promise<LoadedModel> {
  const folder = readModelDir(dir, opts);
  try {
    return await loadModelFromFiles(folder.files, { ...folder.manifest, id: idOf(dir, folder) });
  } catch (e) {
    throw asHeatcheckError(e);
  }
}

/**
 * The manifest and weights hash loadModelDir would give, read from the files without building the
 * model (no TF.js backend, no graph): enough to key and score stored maps.
 */
export async function describeModelDir(dir: string, opts: ModelDirOptions = {}): Promise<{ manifest: ModelManifest; weightsHash: string }> {
  const folder = readModelDir(dir, opts);
  try {
    return await describeModelFiles(folder.files, { ...folder.manifest, id: idOf(dir, folder) } as Partial<ModelManifest> & Pick<ModelManifest, 'id' | 'input' | 'output'>);
  } catch (e) {
    throw asHeatcheckError(e);
  }
}
