import { parseCsv } from './csv';
import type { StudyCaseInfo } from './types';

export class StudyError extends Error {
  constructor(public readonly code: string, message: string) {
    super(message);
    this.name = 'StudyError';
  }
}

/** Parses a study folder's cases.csv (`id,image,label,body_part,abnormality`). */
export function parseCasesCsv(text: string, file = 'cases.csv'): StudyCaseInfo[] {
  const rows = parseCsv(text);
  if (!rows.length) throw new StudyError('BAD_INPUT_CSV', `${file} is empty; expected the header id,image,label,body_part,abnormality`);
  const header = rows[0].map((h) => h.trim().toLowerCase());
  const col = (n: string) => header.indexOf(n);
  if (col('id') < 0 || col('image') < 0) throw new StudyError('BAD_INPUT_CSV', `${file}: the header must name at least "id" and "image" (found: ${header.join(', ')})`);
  const out: StudyCaseInfo[] = [];
  const seen = new Set<string>();
  rows.slice(1).forEach((r, i) => {
    const id = r[col('id')]?.trim();
    const image = r[col('image')]?.trim();
    if (!id || !image) throw new StudyError('BAD_INPUT_CSV', `${file}, line ${i + 2}: "id" and "image" must not be empty`);
    if (seen.has(id)) throw new StudyError('BAD_INPUT_CSV', `${file}, line ${i + 2}: case id "${id}" appears twice`);
    seen.add(id);
    const lab = col('label') >= 0 ? r[col('label')]?.trim() : '';
    let label: 0 | 1 | null = null;
    if (lab === '1' || lab?.toLowerCase() === 'abnormal' || lab?.toLowerCase() === 'positive') label = 1;
    else if (lab === '0' || lab?.toLowerCase() === 'normal' || lab?.toLowerCase() === 'negative') label = 0;
    else if (lab) throw new StudyError('BAD_INPUT_CSV', `${file}, line ${i + 2}: label "${lab}" is not 0 or 1`);
    const bodyPart = col('body_part') >= 0 ? r[col('body_part')]?.trim() || undefined : undefined;
    const abnormality = col('abnormality') >= 0 ? r[col('abnormality')]?.trim() || undefined : undefined;
    out.push({ id, image, label, bodyPart, abnormality });
  });
  return out;
}
