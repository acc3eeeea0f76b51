import { readModelFolder, type ModelFolder } from '../../core/model/modelFolder';

/** One file the user chose: its name (with the folder path when a folder was chosen) and bytes. */
export interface ImportFile { name: string; bytes: ArrayBuffer }

/**
 * The browser's entry to the model-folder reader: the chosen files, whatever their names (a whole
 * folder, or model.json and shards picked one by one), handed to readModelFolder exactly as the
 * CLI hands a folder read from disk. No TF.js, no storage: the import form calls it (through the
 * worker) as soon as files are chosen, to fill in the input size and the Grad-CAM candidates.
 */
export function readChosenFiles(files: ImportFile[], opts: { classIndex?: number } = {}): ModelFolder {
  const top = files.map((f) => f.name.split('/')).filter((p) => p.length > 1).map((p) => p[0]);
  const folder = top.length === files.length && new Set(top).size === 1 ? top[0] : null;
  const entries = new Map<string, Uint8Array>();
  for (const f of files) entries.set(folder ? f.name.slice(folder.length + 1) : f.name, new Uint8Array(f.bytes));
  return readModelFolder(entries, { source: folder ?? 'chosen files', classIndex: opts.classIndex });
}
