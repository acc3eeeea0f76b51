import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { decode as decodePng } from 'fast-png';
import { HeatcheckError } from './errors';
import { parseCasesCsv } from '../core/study/casesCsv';
import type { GrayImage, ReaderBoxes, StudyCaseInfo } from '../core/study/types';

/** A study folder on disk, as the CLI commands (predict, maps, evaluate) read it. */
export interface StudyFolder {
  dir: string;
  cases: StudyCaseInfo[];
  loadImage(c: StudyCaseInfo): GrayImage;
  /** readers/<R>.json, when present. */
  readers: Record<string, ReaderBoxes>;
  /** truth/<id>.png (phantom studies), when present. */
  loadTruth(c: StudyCaseInfo): GrayImage | null;
}

/** Decodes a PNG into a single-channel image (RGB(A) averaged; 16-bit kept). */
export function decodePngGray(bytes: Uint8Array, file: string): GrayImage {
  let png;
  try {
    png = decodePng(bytes);
  } catch (e) {
    throw new HeatcheckError('BAD_INPUT_IMAGE', `${file} could not be decoded as PNG (${(e as Error).message})`);
  }
  const { width, height, channels } = png;
  const src = png.data as Uint8Array | Uint16Array;
  const colour = channels >= 3 ? 3 : 1;
  const out = src instanceof Uint16Array ? new Uint16Array(width * height) : new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    let s = 0;
    for (let c = 0; c < colour; c++) s += src[i * channels + c];
    out[i] = Math.round(s / colour);
  }
  return { width, height, data: out };
}

/** Reads a phantom-layout study folder (cases.csv, images/, truth/, readers/). */
export function readStudyFolder(dir: string): StudyFolder {
  if (!existsSync(dir)) throw new HeatcheckError('NOT_FOUND_STUDY', `${dir} does not exist; --study takes a study folder`);
  const csv = path.join(dir, 'cases.csv');
  if (!existsSync(csv)) {
    throw new HeatcheckError('BAD_INPUT_STUDY', `${dir} has no cases.csv; a study folder holds cases.csv (id,image,label,body_part,abnormality) and images/ — make one with \`npx heatcheck phantom --out DIR\``);
  }
  let cases: StudyCaseInfo[];
  try {
    cases = parseCasesCsv(readFileSync(csv, 'utf8'), csv);
  } catch (e) {
    throw new HeatcheckError((e as { code?: string }).code ?? 'BAD_INPUT_CSV', (e as Error).message);
  }
  const readers: Record<string, ReaderBoxes> = {};
  const rdir = path.join(dir, 'readers');
  if (existsSync(rdir)) {
    for (const f of readdirSync(rdir).filter((f) => f.endsWith('.json')).sort()) {
      try {
        readers[f.replace(/\.json$/, '')] = JSON.parse(readFileSync(path.join(rdir, f), 'utf8')) as ReaderBoxes;
      } catch (e) {
        throw new HeatcheckError('BAD_INPUT_READERS', `${path.join(rdir, f)} is not valid JSON (${(e as Error).message})`);
      }
    }
  }
  const load = (rel: string): GrayImage => {
    const file = path.join(dir, rel);
    if (!existsSync(file)) throw new HeatcheckError('NOT_FOUND_IMAGE', `${file} (named in cases.csv) does not exist`);
    return decodePngGray(new Uint8Array(readFileSync(file)), file);
  };
  return {
    dir,
    cases,
    readers,
    loadImage: (c) => load(c.image),
    loadTruth: (c) => {
      const f = path.join('truth', `${c.id}.png`);
      return existsSync(path.join(dir, f)) ? load(f) : null;
    },
  };
}
