import { ImportError } from './errors';
import { decodePngImage, isPng } from './png';
import { decodeJpegImage, isJpeg } from './jpeg';
import { decodeDicomImage, isDicom } from './dicom';
import type { DecodedImage } from './types';

/** File names the import looks at as images (by extension; the content decides the format). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.dcm', '.dicom', '.dic'];

export function looksLikeImageName(name: string): boolean {
  const lower = name.toLowerCase();
  const base = lower.split('/').pop() ?? lower;
  if (base.startsWith('.')) return false; // ._image1.png (macOS resource forks), .DS_Store
  return IMAGE_EXTENSIONS.some((e) => lower.endsWith(e)) || !base.includes('.'); // DICOM files often have no extension
}

/** Decodes one image file, choosing the importer by its signature (not its name). Throws ImportError. */
export async function decodeImageFile(file: string, bytes: Uint8Array): Promise<DecodedImage> {
  if (bytes.length === 0) throw new ImportError('IMPORT_UNREADABLE', file, 'is empty (0 bytes).', 'Copy the file again; the copy may have failed.');
  if (isPng(bytes)) return decodePngImage(bytes, file);
  if (isJpeg(bytes)) return decodeJpegImage(bytes, file);
  if (isDicom(bytes)) return decodeDicomImage(bytes, file);
  if (bytes.length < 132 && /\.(dcm|dicom|dic)$/i.test(file)) {
    throw new ImportError('IMPORT_TRUNCATED', file, `is only ${bytes.length} bytes, shorter than a DICOM header.`, 'The file is incomplete; copy or export it again.');
  }
  throw new ImportError('IMPORT_UNREADABLE', file, 'is not a PNG, JPEG or DICOM Part 10 file (its first bytes match none of them).', 'Import PNG, JPEG or DICOM images; convert other formats (TIFF, BMP, NIfTI) to PNG first.');
}
