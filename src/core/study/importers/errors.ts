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

export function toProblem(file: string, e: unknown): ImportProblem {
  if (e instanceof ImportError) return { file: e.file, code: e.code, problem: e.problem, todo: e.todo };
  const msg = e instanceof Error ? e.message : String(e);
  return {
    file,
    code: 'IMPORT_CORRUPT',
    problem: `could not be decoded (${msg}).`,
    todo: 'Check that the file is complete and opens in another viewer; export it again as PNG or uncompressed DICOM.',
  };
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
