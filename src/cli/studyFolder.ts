import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { decode as decodePng } from 'fast-png';
import { HeatcheckError } from './errors';
import { parseCasesCsv } from '../core/study/casesCsv';
import { decodePngImage, isPng } from '../core/study/importers/png';
import { decodeJpegImage, isJpeg } from '../core/study/importers/jpeg';
import { decodeDicomImage, decodeDicomImageSync, isDicom } from '../core/study/importers/dicom';
import { decodeImageFile, looksLikeImageName } from '../core/study/importers/decode';
import { ImportError } from '../core/study/importers/errors';
import { isCsvName, planLabels } from '../core/study/importers/plan';
import type { DecodedImage } from '../core/study/importers/types';
import type { GrayImage, ReaderBoxes, StudyCaseInfo } from '../core/study/types';

/**
 * A study folder on disk, as the CLI commands (predict, maps, evaluate) read it. Three layouts:
 * - phantom: cases.csv (id,image,label,body_part,abnormality), images/, truth/, readers/;
 * - MURA: `.../XR_<PART>/patient<N>/study<K>_<positive|negative>/image<M>.png` (labels and body
 *   parts from the path; `*_labeled_studies.csv` anywhere in the folder overrides the labels);
 * - any folder of PNG/JPEG/DICOM images, labelled by a labels CSV (`image,label[,body_part]`).
 * Case ids are the image paths relative to the folder, without extension.
 */
export interface StudyFolder {
  dir: string;
  layout: 'phantom' | 'mura' | 'labels' | 'images';
  cases: StudyCaseInfo[];
  /** Decodes synchronously: PNG, JPEG, DICOM uncompressed/RLE/JPEG lossless. Wasm-coded DICOM (JPEG 2000, JPEG-LS, JPEG baseline) needs loadImageAsync. */
  loadImage(c: StudyCaseInfo): GrayImage;
  /** Decodes every supported format (DICOM through the wasm codecs too). */
  loadImageAsync(c: StudyCaseInfo): Promise<GrayImage>;
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

const toGray = (d: DecodedImage): GrayImage => ({ width: d.width, height: d.height, data: d.pixels });
const importToCli = (e: unknown): never => {
  if (e instanceof ImportError) throw new HeatcheckError(e.code === 'IMPORT_UNSUPPORTED' ? 'BAD_INPUT_UNSUPPORTED' : 'BAD_INPUT_IMAGE', e.message, { file: e.file, importCode: e.code });
  throw e;
};

/** Decodes an image file by its content (PNG, JPEG, DICOM without wasm codecs), to grayscale at full resolution. */
export function decodeImageSync(bytes: Uint8Array, file: string): GrayImage {
  try {
    if (isPng(bytes)) return toGray(decodePngImage(bytes, file));
    if (isJpeg(bytes)) return toGray(decodeJpegImage(bytes, file));
    if (isDicom(bytes)) return toGray(decodeDicomImageSync(bytes, file));
  } catch (e) {
    importToCli(e);
  }
  throw new HeatcheckError('BAD_INPUT_IMAGE', `${file} is not a PNG, JPEG or DICOM file`);
}

function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(dir, rel)).sort()) {
    if (name.startsWith('.')) continue;
    const r = rel ? `${rel}/${name}` : name;
    if (statSync(path.join(dir, r)).isDirectory()) out.push(...walk(dir, r));
    else out.push(r);
  }
  return out;
}

/** Reads a study folder: phantom layout (cases.csv), MURA layout, or images with a labels CSV. */
export function readStudyFolder(dir: string): StudyFolder {
  if (!existsSync(dir)) throw new HeatcheckError('NOT_FOUND_STUDY', `${dir} does not exist; --study takes a study folder`);
  const csv = path.join(dir, 'cases.csv');
  if (!existsSync(csv)) return readImageFolder(dir);
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
  const bytesOf = (rel: string): [Uint8Array, string] => {
    const file = path.join(dir, rel);
    if (!existsSync(file)) throw new HeatcheckError('NOT_FOUND_IMAGE', `${file} (named in cases.csv) does not exist`);
    return [new Uint8Array(readFileSync(file)), file];
  };
  const load = (rel: string): GrayImage => {
    const [bytes, file] = bytesOf(rel);
    return isPng(bytes) ? decodePngGray(bytes, file) : decodeImageSync(bytes, file);
  };
  return {
    dir,
    layout: 'phantom',
    cases,
    readers,
    loadImage: (c) => load(c.image),
    loadImageAsync: async (c) => {
      const [bytes, file] = bytesOf(c.image);
      return toGray(await decodeImageFile(file, bytes).catch(importToCli));
    },
    loadTruth: (c) => {
      const f = path.join('truth', `${c.id}.png`);
      return existsSync(path.join(dir, f)) ? load(f) : null;
    },
  };
}

/** A MURA folder or a folder of images with a labels CSV. */
function readImageFolder(dir: string): StudyFolder {
  const files = walk(dir);
  const images = files.filter((f) => !isCsvName(f) && looksLikeImageName(f));
  if (!images.length) {
    throw new HeatcheckError('BAD_INPUT_STUDY', `${dir} holds no cases.csv and no PNG, JPEG or DICOM images; --study takes a phantom study folder (make one with \`npx heatcheck phantom --out DIR\`), a MURA folder, or a folder of images with a labels CSV (image,label[,body_part])`);
  }
  const csvs = files.filter(isCsvName).map((f) => ({ path: f, text: readFileSync(path.join(dir, f), 'utf8') }));
  const { images: planned, problems } = planLabels(images, csvs);
  if (problems.length) {
    const p = problems[0];
    throw new HeatcheckError('BAD_INPUT_CSV', `${path.join(dir, p.file)}: ${p.problem} ${p.todo}`, { problems });
  }
  const cases: StudyCaseInfo[] = planned.map((p) => ({
    id: p.path.replace(/\.[^./]+$/, ''),
    image: p.path,
    label: p.label,
    ...(p.bodyPart ? { bodyPart: p.bodyPart } : {}),
  }));
  const mura = planned.some((p) => p.labelSource === 'mura-path' || p.labelSource === 'mura-csv');
  const bytesOf = (c: StudyCaseInfo): [Uint8Array, string] => {
    const file = path.join(dir, c.image);
    if (!existsSync(file)) throw new HeatcheckError('NOT_FOUND_IMAGE', `${file} does not exist`);
    return [new Uint8Array(readFileSync(file)), file];
  };
  return {
    dir,
    layout: mura ? 'mura' : csvs.length ? 'labels' : 'images',
    cases,
    readers: {},
    loadImage: (c) => {
      const [bytes, file] = bytesOf(c);
      return decodeImageSync(bytes, file);
    },
    loadImageAsync: async (c) => {
      const [bytes, file] = bytesOf(c);
      return toGray(await decodeImageFile(file, bytes).catch(importToCli));
    },
    loadTruth: () => null,
  };
}
