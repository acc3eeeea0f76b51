import * as Comlink from 'comlink';
import openjpegWasm from '@cornerstonejs/codec-openjpeg/decodewasm?url';
import libjpegWasm from '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm?url';
import charlsWasm from '@cornerstonejs/codec-charls/decodewasm?url';
import { setWasmLocator } from '../../core/study/importers/codecs';
import { decodeFiles, type DecodeBatchResult, type ImportInputFile } from '../../core/study/importers/batch';
import type { Progress } from '../jobs';

// The codecs' .wasm files are served by the app (Vite copies them as assets): never a CDN.
const WASM = { openjpeg: openjpegWasm, libjpeg: libjpegWasm, charls: charlsWasm } as const;
setWasmLocator((name) => new URL(WASM[name], self.location.href).href);

/**
 * Decodes a batch of image files in the worker (the page never freezes on a 4096x4096 DICOM):
 * content hash, full-resolution pixels, window, invert, identifiers. Files that fail are listed in
 * `problems`; the rest go on. Pixel buffers are transferred back, not copied.
 */
export async function decodeImportBatch(files: ImportInputFile[], onProgress?: (p: Progress) => void): Promise<DecodeBatchResult> {
  const out = await decodeFiles(files, (done, total, file) => onProgress?.({ done, total, message: file }));
  return Comlink.transfer(out, out.decoded.map((d) => d.pixels.buffer as ArrayBuffer));
}
