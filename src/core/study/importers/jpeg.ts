import { decode as decodeJpegJs } from 'jpeg-js';
import { ImportError, checkSize, errorText, internalError, isProgramError, MAX_PIXELS } from './errors';
import type { DecodedImage } from './types';

export const isJpeg = (b: Uint8Array) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/** Decodes a baseline or progressive 8-bit JPEG (jpeg-js, pure JS: same in Node and the worker) to grayscale. */
export function decodeJpegImage(bytes: Uint8Array, file: string): DecodedImage {
  if (!isJpeg(bytes)) throw new ImportError('IMPORT_UNREADABLE', file, 'is not a JPEG (no JPEG start marker).', 'Choose a PNG, JPEG or DICOM file.');
  let img;
  try {
    img = decodeJpegJs(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
  } catch (e) {
    if (isProgramError(e)) throw internalError(file, 'JPEG decoder' , e);
    const msg = errorText(e);
    if (/lossless|arithmetic|unsupported|SOF/i.test(msg) && !/marker was not found/i.test(msg)) {
      throw new ImportError('IMPORT_UNSUPPORTED', file, `is a JPEG of a kind this importer does not decode (${msg}).`, 'Convert it to PNG, or import it inside a DICOM file.');
    }
    if (/maxResolution|maxMemory/i.test(msg)) throw new ImportError('IMPORT_TOO_LARGE', file, `is too large (${msg}).`, 'Downscale the image before importing it.');
    throw new ImportError(/end|marker|bounds|offset/i.test(msg) ? 'IMPORT_TRUNCATED' : 'IMPORT_CORRUPT', file, `could not be decoded as JPEG (${msg}).`, 'The file is damaged or incomplete; copy or export it again.');
  }
  const { width, height } = img;
  checkSize(file, width, height);
  const rgba = img.data as Uint8Array;
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = Math.round((rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / 3);
  return { width, height, pixels: out, format: 'jpeg', info: { bitDepth: 8 } };
}
