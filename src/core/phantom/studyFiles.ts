/**
 * The files of a phantom study folder, as bytes (pure: the CLI writes them to disk):
 * cases.csv, images/<id>.png, truth/<id>.png (abnormal only, 0/255), readers/R1.json, R2.json, R3.json.
 */
import { encode } from 'fast-png';
import type { PhantomCase } from './generate';
import { READER_IDS, type ReaderBoxesById } from './readers';

export const CASES_CSV_HEADER = 'id,image,label,body_part,abnormality';

export function casesCsv(cases: PhantomCase[]): string {
  const rows = cases.map((c) => `${c.id},images/${c.id}.png,${c.label},${c.bodyPart},${c.abnormality}`);
  return [CASES_CSV_HEADER, ...rows].join('\n') + '\n';
}

export function encodeGray8(width: number, height: number, data: Uint8Array): Uint8Array {
  return encode({ width, height, data, depth: 8, channels: 1 });
}

export function truthPng(c: PhantomCase): Uint8Array | null {
  if (!c.truth) return null;
  const px = new Uint8Array(c.truth.length);
  for (let i = 0; i < px.length; i++) px[i] = c.truth[i] ? 255 : 0;
  return encodeGray8(c.width, c.height, px);
}

/** Per-case files (image and truth PNGs), relative paths. */
export function caseFiles(c: PhantomCase): Array<[string, Uint8Array]> {
  const files: Array<[string, Uint8Array]> = [[`images/${c.id}.png`, encodeGray8(c.width, c.height, c.image)]];
  const t = truthPng(c);
  if (t) files.push([`truth/${c.id}.png`, t]);
  return files;
}

/** Study-level files: cases.csv and the three readers' JSON. */
export function studyLevelFiles(cases: PhantomCase[], readers: ReaderBoxesById): Array<[string, string]> {
  const files: Array<[string, string]> = [['cases.csv', casesCsv(cases)]];
  for (const r of READER_IDS) files.push([`readers/${r}.json`, JSON.stringify(readers[r], null, 0) + '\n']);
  return files;
}

/** Every file of the folder (small studies; the CLI streams case by case instead). */
export function phantomStudyFiles(cases: PhantomCase[], readers: ReaderBoxesById): Array<[string, Uint8Array | string]> {
  return [...studyLevelFiles(cases, readers), ...cases.flatMap(caseFiles)];
}
