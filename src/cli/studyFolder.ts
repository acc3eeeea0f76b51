import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { HeatcheckError } from './errors';
import { parseCasesCsv } from '../core/study/casesCsv';
import { decodePngImage } from '../core/study/importers/png';
import { decodeImageFile, looksLikeImageName } from '../core/study/importers/decode';
import { ImportError, errorText } from '../core/study/importers/errors';
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
  /** Decodes a case's image (every supported format, DICOM through the wasm codecs too). Throws HeatcheckError naming the file. */
  loadImage(c: StudyCaseInfo): Promise<GrayImage>;
  /** The image file of a case (for messages and errors.csv). */
  fileOf(c: StudyCaseInfo): string;
  /** readers/<R>.json, when present. */
  readers: Record<string, ReaderBoxes>;
  /** truth/<id>.png (phantom studies), when present. */
  loadTruth(c: StudyCaseInfo): GrayImage | null;
}

/** A decoded image as the CLI passes it on: pixels plus what the intensity pipeline needs (window, VOI LUT, MONOCHROME1). */
export function toGray(d: DecodedImage): GrayImage {
  const g: GrayImage = { width: d.width, height: d.height, data: d.pixels };
  if (d.window) g.window = d.window;
  if (d.voiLut) g.voiLut = d.voiLut;
  if (d.invert) g.invert = true;
  return g;
}

/** CLI error code for an import error: our own faults are INTERNAL (exit 1), the rest BAD_INPUT (exit 4). */
export function cliCodeOf(importCode: string): string {
  if (importCode === 'IMPORT_INTERNAL') return 'INTERNAL_IMPORT';
  if (importCode === 'IMPORT_UNSUPPORTED') return 'BAD_INPUT_UNSUPPORTED';
  if (importCode === 'IMPORT_DECODER') return 'BAD_INPUT_DECODER';
  return 'BAD_INPUT_IMAGE';
}

/**
 * Decodes one image file through the app's one decoding path (src/core/study/importers: PNG, JPEG,
 * DICOM of every supported transfer syntax, wasm codecs included). Throws HeatcheckError naming the file.
 */
export async function decodeImagePath(file: string): Promise<GrayImage> {
  if (!existsSync(file)) throw new HeatcheckError('NOT_FOUND_IMAGE', `${file} does not exist`, { file });
  const bytes = new Uint8Array(readFileSync(file));
  try {
    return toGray(await decodeImageFile(file, bytes));
  } catch (e) {
    const ie = e instanceof ImportError ? e : new ImportError('IMPORT_INTERNAL', file, `could not be read because of an error in Heatcheck (${errorText(e)}); the file itself may be fine.`, 'Report this with the file\'s format.');
    throw new HeatcheckError(cliCodeOf(ie.code), ie.message, { file, importCode: ie.code });
  }
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
  const file = (rel: string) => path.join(dir, rel);
  return {
    dir,
    layout: 'phantom',
    cases,
    readers,
    fileOf: (c) => file(c.image),
    loadImage: (c) => decodeImagePath(file(c.image)),
    loadTruth: (c) => {
      const f = file(path.join('truth', `${c.id}.png`));
      if (!existsSync(f)) return null;
      try {
        return toGray(decodePngImage(new Uint8Array(readFileSync(f)), f));
      } catch (e) {
        if (e instanceof ImportError) throw new HeatcheckError(cliCodeOf(e.code), e.message, { file: f });
        throw e;
      }
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
  const file = (c: StudyCaseInfo) => path.join(dir, c.image);
  return {
    dir,
    layout: mura ? 'mura' : csvs.length ? 'labels' : 'images',
    cases,
    readers: {},
    fileOf: file,
    loadImage: (c) => decodeImagePath(file(c)),
    loadTruth: () => null,
  };
}
