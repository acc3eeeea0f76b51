import { toProblem, type ImportProblem } from './errors';
import { lookupStudyLabel, parseLabeledStudiesCsv, parseMuraPath } from './mura';
import { parseLabelsCsv, type LabelRow } from './labelsCsv';
import type { Label } from '../types';

/** What the folder layout and the CSVs say about one image of an import. */
export interface PlannedImage {
  path: string;
  label: Label | null;
  bodyPart?: string;
  patient?: string;
  study?: string;
  labelSource: 'mura-path' | 'mura-csv' | 'labels-csv' | 'none';
}

export const isCsvName = (p: string) => /\.csv$/i.test(p);
const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/') + 1) : '');
const baseOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/**
 * Assigns labels and body parts to image paths (forward slashes, relative to what the user picked):
 * 1. MURA's layout `.../XR_<PART>/patient<N>/study<K>_<positive|negative>/image<M>.png`;
 * 2. `*_labeled_studies.csv` (study path -> label) overrides the folder name's label when present;
 * 3. a labels CSV (`image,label[,body_part]`; image relative to the CSV's folder, or a unique file name)
 *    overrides both for the images it lists.
 * MURA's `*_image_paths.csv` is a plain list and is ignored. A CSV that cannot be used is listed as a problem.
 */
export function planLabels(imagePaths: string[], csvs: Array<{ path: string; text: string }>): { images: PlannedImage[]; problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const studyLabels = new Map<string, Label>();
  const labelRows: Array<{ dir: string; row: LabelRow }> = [];
  for (const c of csvs) {
    const name = baseOf(c.path).toLowerCase();
    if (name.endsWith('_image_paths.csv')) continue;
    try {
      if (name.endsWith('_labeled_studies.csv')) for (const [k, v] of parseLabeledStudiesCsv(c.text, c.path)) studyLabels.set(k, v);
      else for (const row of parseLabelsCsv(c.text, c.path)) labelRows.push({ dir: dirOf(c.path), row });
    } catch (e) {
      problems.push(toProblem(c.path, e));
    }
  }
  const byPath = new Map<string, LabelRow>();
  const byBase = new Map<string, LabelRow[]>();
  for (const { dir, row } of labelRows) {
    byPath.set(dir + row.image, row);
    const b = baseOf(row.image);
    byBase.set(b, [...(byBase.get(b) ?? []), row]);
  }
  const images = imagePaths.map((path): PlannedImage => {
    const out: PlannedImage = { path, label: null, labelSource: 'none' };
    const mura = parseMuraPath(path);
    if (mura) {
      Object.assign(out, { bodyPart: mura.bodyPart, patient: mura.patient, study: mura.study, label: mura.label, labelSource: 'mura-path' });
      const l = studyLabels.size ? lookupStudyLabel(studyLabels, mura) : undefined;
      if (l !== undefined) { out.label = l; out.labelSource = 'mura-csv'; }
    }
    let row = byPath.get(path);
    if (!row) {
      for (const [k, r] of byPath) if (path.endsWith(`/${k}`) || k.endsWith(`/${path}`)) { row = r; break; }
    }
    if (!row) {
      const same = byBase.get(baseOf(path));
      if (same?.length === 1 && !same[0].image.includes('/')) row = same[0];
    }
    if (row) {
      out.label = row.label;
      out.labelSource = 'labels-csv';
      if (row.bodyPart) out.bodyPart = row.bodyPart;
    }
    return out;
  });
  return { images, problems };
}
