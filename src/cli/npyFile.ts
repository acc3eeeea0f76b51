import { existsSync, readFileSync } from 'node:fs';
import { HeatcheckError } from './errors';
import { readNpy, NpyError, type NpyArray } from '../core/io/npy';

/** Reads an .npy file given on the command line; a missing or malformed file becomes a HeatcheckError naming it. */
export function readNpyFile(file: string): NpyArray {
  if (!existsSync(file)) throw new HeatcheckError('NOT_FOUND_FILE', `${file} does not exist`, { file });
  try {
    return readNpy(new Uint8Array(readFileSync(file)), file);
  } catch (e) {
    if (e instanceof NpyError) throw new HeatcheckError(e.code, e.message, { file });
    throw e;
  }
}
