import { parseCsv } from '../csv';
import { ImportError } from './errors';
import type { Label } from '../types';

/** What MURA's folder layout says about one image. */
export interface MuraInfo {
  /** Body part without the XR_ prefix, upper case as in MURA (WRIST, ELBOW, ...). */
  bodyPart: string;
  patient: string;
  study: string;
  label: Label;
  /** The study folder's path up to and including `study<K>_<label>` (with a trailing slash). */
  studyPath: string;
}

const MURA_RE = /(?:^|\/)XR_([A-Za-z]+)\/patient(\d+)\/study(\d+)_(positive|negative)\/[^/]+$/;

/** `.../XR_<BODYPART>/patient<N>/study<K>_<positive|negative>/image<M>.png`; null when the path is not MURA-shaped. */
export function parseMuraPath(path: string): MuraInfo | null {
  const p = path.replace(/\\/g, '/');
  const m = MURA_RE.exec(p);
  if (!m) return null;
  const end = p.lastIndexOf('/') + 1;
  return {
    bodyPart: m[1].toUpperCase(),
    patient: `patient${m[2]}`,
    study: `study${m[3]}`,
    label: m[4] === 'positive' ? 1 : 0,
    studyPath: p.slice(0, end),
  };
}

/**
 * MURA's `*_labeled_studies.csv` (no header): `MURA-v1.1/valid/XR_WRIST/patient11185/study1_positive/,1`.
 * Returns a map from the study path (normalised: forward slashes, trailing slash) to the label.
 */
export function parseLabeledStudiesCsv(text: string, file: string): Map<string, Label> {
  const out = new Map<string, Label>();
  parseCsv(text).forEach((row, i) => {
    const [path, lab] = row.map((s) => s.trim());
    if (!path) return;
    if (lab !== '0' && lab !== '1') {
      if (i === 0 && !/^[01]$/.test(lab ?? '')) return; // tolerate a header line
      throw new ImportError('IMPORT_LABELS', file, `line ${i + 1}: label "${lab ?? ''}" is not 0 or 1.`, 'Each line must be `<study path>,<0 or 1>` as in MURA\'s *_labeled_studies.csv.');
    }
    out.set(normaliseStudyPath(path), lab === '1' ? 1 : 0);
  });
  return out;
}

export function normaliseStudyPath(p: string): string {
  const s = p.replace(/\\/g, '/').replace(/^\.\//, '');
  return s.endsWith('/') ? s : `${s}/`;
}

/**
 * Looks up an image's study in a labeled_studies map. The CSV's paths start at MURA's root
 * (MURA-v1.1/valid/...) while the imported folder may start lower or higher, so the entry sharing
 * the longest tail with the image's study path wins, and it must share at least
 * `XR_<part>/patient<N>/study<K>_<label>/`.
 */
export function lookupStudyLabel(labels: Map<string, Label>, info: MuraInfo): Label | undefined {
  const tail = /XR_[^/]+\/patient\d+\/study\d+_(?:positive|negative)\/$/.exec(info.studyPath)?.[0];
  if (!tail) return undefined;
  let best: Label | undefined;
  let bestLen = tail.length - 1;
  for (const [k, v] of labels) {
    let n = 0;
    while (n < k.length && n < info.studyPath.length && k[k.length - 1 - n] === info.studyPath[info.studyPath.length - 1 - n]) n++;
    if (n > bestLen) { bestLen = n; best = v; }
  }
  return best;
}
