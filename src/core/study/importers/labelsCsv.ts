import { parseCsv } from '../csv';
import { ImportError } from './errors';
import type { Label } from '../types';

export interface LabelRow { image: string; label: Label | null; bodyPart?: string }

export function parseLabelValue(v: string | undefined): Label | null | 'bad' {
  const s = (v ?? '').trim().toLowerCase();
  if (s === '') return null;
  if (s === '1' || s === 'abnormal' || s === 'positive') return 1;
  if (s === '0' || s === 'normal' || s === 'negative') return 0;
  return 'bad';
}

/**
 * A labels CSV for layouts other than MURA: header `image,label[,body_part]` (a phantom study's
 * cases.csv, with its extra id/abnormality columns, reads the same). `image` is a path relative to
 * the CSV's folder, or a bare file name.
 */
export function parseLabelsCsv(text: string, file: string): LabelRow[] {
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  if (!rows.length) throw new ImportError('IMPORT_LABELS', file, 'is empty.', 'A labels CSV starts with the header `image,label[,body_part]`.');
  const header = rows[0].map((h) => h.trim().toLowerCase());
  const ci = header.indexOf('image');
  const cl = header.indexOf('label');
  const cb = header.indexOf('body_part');
  if (ci < 0 || cl < 0) throw new ImportError('IMPORT_LABELS', file, `has the header "${rows[0].join(',')}"; it needs the columns image and label.`, 'Make the first line `image,label` or `image,label,body_part`.');
  const out: LabelRow[] = [];
  rows.slice(1).forEach((r, i) => {
    const image = r[ci]?.trim();
    if (!image) return;
    const label = parseLabelValue(r[cl]);
    if (label === 'bad') throw new ImportError('IMPORT_LABELS', file, `line ${i + 2}: label "${r[cl]}" is not 0/1 (or normal/abnormal).`, 'Fix the label, or leave it empty for an unlabelled image.');
    const bodyPart = cb >= 0 ? r[cb]?.trim() || undefined : undefined;
    out.push({ image: image.replace(/\\/g, '/').replace(/^\.\//, ''), label, bodyPart });
  });
  return out;
}
