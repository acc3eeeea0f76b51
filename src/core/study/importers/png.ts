import { decode as decodePng, hasPngSignature } from 'fast-png';
import { ImportError, checkSize, errorText, internalError, isProgramError } from './errors';
import type { DecodedImage } from './types';

export const isPng = (b: Uint8Array) => b.length >= 8 && hasPngSignature(b);

/**
 * Decodes a PNG to grayscale at full resolution: 8- or 16-bit grey kept as is; RGB(A) becomes the
 * rounded mean of R, G and B (alpha ignored); palettes are looked up; 1/2/4-bit grey is scaled to 8-bit.
 */
export function decodePngImage(bytes: Uint8Array, file: string): DecodedImage {
  if (!isPng(bytes)) throw new ImportError('IMPORT_UNREADABLE', file, 'is not a PNG (no PNG signature).', 'Choose a PNG, JPEG or DICOM file.');
  let png;
  try {
    png = decodePng(bytes);
  } catch (e) {
    if (isProgramError(e)) throw internalError(file, 'PNG decoder' , e);
    const msg = errorText(e);
    const truncated = /end of|out of bounds|offset|unexpected end|incomplete|IEND/i.test(msg);
    throw new ImportError(truncated ? 'IMPORT_TRUNCATED' : 'IMPORT_CORRUPT', file, `could not be decoded as PNG (${msg}).`, 'The file is damaged or incomplete; copy or export it again.');
  }
  const { width, height, depth } = png;
  checkSize(file, width, height);
  const n = width * height;
  const channels = png.channels;
  const src = png.data as Uint8Array | Uint16Array;
  if (src.length < Math.ceil((n * channels * depth) / 8) / (depth === 16 ? 2 : 1)) {
    throw new ImportError('IMPORT_TRUNCATED', file, `holds fewer pixels than its ${width}x${height} header says.`, 'The file is incomplete; copy or export it again.');
  }
  const info = { bitDepth: depth, channels };
  if (png.palette) {
    const pal = png.palette;
    const out = new Uint8Array(n);
    const rowBits = width * depth;
    const rowBytes = Math.ceil(rowBits / 8);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const idx = depth === 8 ? src[y * width + x] : unpack(src as Uint8Array, y * rowBytes, x, depth);
        const c = pal[idx];
        if (!c) throw new ImportError('IMPORT_CORRUPT', file, `uses palette entry ${idx}, beyond its ${pal.length} entries.`, 'The file is damaged; export it again.');
        out[y * width + x] = Math.round((c[0] + c[1] + c[2]) / 3);
      }
    }
    return { width, height, pixels: out, format: 'png', info };
  }
  if (depth < 8) {
    const out = new Uint8Array(n);
    const rowBytes = Math.ceil((width * depth) / 8);
    const scale = 255 / ((1 << depth) - 1);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[y * width + x] = Math.round(unpack(src as Uint8Array, y * rowBytes, x, depth) * scale);
    return { width, height, pixels: out, format: 'png', info };
  }
  const colour = channels >= 3 ? 3 : 1;
  const out = depth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  if (colour === 1 && channels === 1) out.set(src.subarray(0, n));
  else {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < colour; c++) s += src[i * channels + c];
      out[i] = Math.round(s / colour);
    }
  }
  return { width, height, pixels: out, format: 'png', info };
}

function unpack(src: Uint8Array, rowStart: number, x: number, depth: number): number {
  const bit = x * depth;
  const byte = src[rowStart + (bit >> 3)];
  const shift = 8 - depth - (bit & 7);
  return (byte >> shift) & ((1 << depth) - 1);
}
