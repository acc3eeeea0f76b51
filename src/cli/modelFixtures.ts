import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildKerasInceptionV3 } from '../core/model/architectures/kerasInceptionV3';
import { modelFolderFiles } from '../core/model/architectures/kerasExport';

/** Writes a model folder's files (name -> bytes) into `dir`, creating it. */
export function writeModelFolder(dir: string, files: Map<string, Uint8Array>): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, bytes] of files) {
    const f = path.join(dir, name);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, bytes);
    written.push(f);
  }
  return written;
}

/**
 * A full-size InceptionV3 (299x299x3, Keras layer names, one sigmoid unit, seeded untrained weights)
 * as the Keras 2 converter writes it: model.json with modelTopology.model_config, extensionless
 * shards group1-shard1ofN (about 87 MB in all), no manifest.json. For tests and benches of the
 * real-model path; generated on demand, never committed. Returns the written file paths.
 */
export async function writeKerasInceptionV3Folder(dir: string, opts: { seed?: number; shards?: number } = {}): Promise<string[]> {
  const model = buildKerasInceptionV3({ seed: opts.seed ?? 0 });
  try {
    return writeModelFolder(dir, await modelFolderFiles(model, { layout: 'keras2', shards: opts.shards ?? 4 }));
  } finally {
    model.dispose();
  }
}
