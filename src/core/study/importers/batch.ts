import { pixelHash } from '../hash';
import { decodeImageFile } from './decode';
import { toProblem, type ImportProblem } from './errors';
import type { DecodedImage } from './types';

export interface ImportInputFile { path: string; bytes: ArrayBuffer | Uint8Array }
export interface DecodedFile extends DecodedImage { path: string; hash: string }
export interface DecodeBatchResult { decoded: DecodedFile[]; problems: ImportProblem[] }

/** Decodes files one by one; a file that fails becomes a problem and the batch goes on. */
export async function decodeFiles(files: ImportInputFile[], onProgress?: (done: number, total: number, file: string) => void): Promise<DecodeBatchResult> {
  const decoded: DecodedFile[] = [];
  const problems: ImportProblem[] = [];
  for (const [i, f] of files.entries()) {
    try {
      const bytes = f.bytes instanceof Uint8Array ? f.bytes : new Uint8Array(f.bytes);
      const img = await decodeImageFile(f.path, bytes);
      decoded.push({ ...img, path: f.path, hash: await pixelHash(img.pixels) });
    } catch (e) {
      problems.push(toProblem(f.path, e));
    }
    onProgress?.(i + 1, files.length, f.path);
  }
  return { decoded, problems };
}
