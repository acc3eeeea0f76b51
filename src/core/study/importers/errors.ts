/**
 * Import errors for people: a stable code, the file, what was expected versus found, and what to
 * do. The importers throw ImportError; the import pipeline lists them and goes on with the rest.
 */
export type ImportErrorCode =
  | 'IMPORT_UNREADABLE' // not an image we know (no PNG/JPEG/DICOM signature)
  | 'IMPORT_TRUNCATED' // the file ends before its data does
  | 'IMPORT_CORRUPT' // the structure is there but the content is inconsistent
  | 'IMPORT_UNSUPPORTED' // a valid file in a form we do not decode (transfer syntax, bit depth)
  | 'IMPORT_TOO_LARGE' // more pixels than we accept
  | 'IMPORT_DECODER' // a codec failed on the data: the file may be damaged or use a variant the codec rejects
  | 'IMPORT_INTERNAL' // an error in Heatcheck's own reading code: the file may be fine
  | 'IMPORT_LABELS'; // a labels CSV we cannot use

export class ImportError extends Error {
  constructor(
    public readonly code: ImportErrorCode,
    public readonly file: string,
    public readonly problem: string,
    public readonly todo: string,
  ) {
    super(`${file}: ${problem} ${todo}`);
    this.name = 'ImportError';
  }
}

/** One file that could not be imported, as the UI lists it. */
export interface ImportProblem {
  file: string;
  code: string;
  problem: string;
  todo: string;
}

/**
 * A thrown value as a short clause for a message: Error messages, decoder strings, Emscripten
 * numbers; whitespace collapsed, no library prefix ("dicomParser.readTag: "), no trailing colon.
 */
export function errorText(e: unknown): string {
  let msg: string;
  if (typeof e === 'string') msg = e;
  else if (typeof e === 'number') msg = `error code ${e}`;
  else if (e instanceof Error) msg = e.message;
  else if (e && typeof (e as { exception?: unknown }).exception === 'string') msg = (e as { exception: string }).exception;
  else msg = String(e);
  msg = msg.replace(/\s+/g, ' ').trim().replace(/^(?:[A-Za-z]\w*[.:])+\w+: /, '').replace(/[\s:;,.]+$/, '');
  return msg || 'no message';
}

/** A JavaScript error of the kind our own code makes (not a statement about the file's bytes). */
export function isProgramError(e: unknown): boolean {
  return e instanceof TypeError || e instanceof ReferenceError || e instanceof SyntaxError;
}

/** An unexpected throw while reading `file`: an error of ours, never blamed on the file. */
export function internalError(file: string, what: string, e: unknown): ImportError {
  return new ImportError('IMPORT_INTERNAL', file, `could not be read because of an error in Heatcheck's ${what} (${errorText(e)}); the file itself may be fine.`, 'Report this with the file\'s format (transfer syntax, bit depth); meanwhile convert the file to PNG or uncompressed DICOM.');
}

export function toProblem(file: string, e: unknown): ImportProblem {
  const err = e instanceof ImportError ? e : internalError(file, 'image reader', e);
  return { file: err.file, code: err.code, problem: err.problem, todo: err.todo };
}

/** The largest image accepted (pixels); 4096x4096 and well beyond fit. */
export const MAX_PIXELS = 8192 * 8192;

export function checkSize(file: string, width: number, height: number): void {
  if (!(width > 0 && height > 0) || !Number.isInteger(width) || !Number.isInteger(height)) {
    throw new ImportError('IMPORT_CORRUPT', file, `has an invalid image size ${width}x${height}.`, 'The file is damaged; export it again.');
  }
  if (width * height > MAX_PIXELS) {
    throw new ImportError('IMPORT_TOO_LARGE', file, `is ${width}x${height} pixels; at most ${MAX_PIXELS} pixels (8192x8192) are accepted.`, 'Downscale the image before importing it.');
  }
}
