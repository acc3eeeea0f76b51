import type { CaseRecord, ReadStatus } from '../../state/db';
import { fnv1a, mulberry32 } from '../../core/rng';

export interface WorklistFilter { label: 'all' | 'abnormal' | 'normal' | 'unlabelled'; bodyPart: string }
export const ALL_CASES: WorklistFilter = { label: 'all', bodyPart: 'all' };

const hashString = (s: string): number => fnv1a(s);

/** A reader's own order: the study order, or a shuffle seeded by (seed, reader id) so each reader gets a different, repeatable one. */
export function readerOrder<T extends Pick<CaseRecord, 'id' | 'order'>>(cases: T[], readerId: string, prefs: { shuffle: boolean; seed: number }): T[] {
  const sorted = [...cases].sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
  if (!prefs.shuffle) return sorted;
  const rnd = mulberry32(hashString(`${prefs.seed}:${readerId}`));
  for (let i = sorted.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [sorted[i], sorted[j]] = [sorted[j], sorted[i]];
  }
  return sorted;
}

export function filterCases<T extends Pick<CaseRecord, 'label' | 'bodyPart'>>(cases: T[], f: WorklistFilter): T[] {
  return cases.filter((c) =>
    (f.label === 'all' || (f.label === 'abnormal' ? c.label === 1 : f.label === 'normal' ? c.label === 0 : c.label === null)) &&
    (f.bodyPart === 'all' || (c.bodyPart ?? '') === f.bodyPart));
}

export const isFinished = (s: ReadStatus | undefined) => s === 'done' || s === 'no-finding';

/** The first unfinished case after `currentId` (wrapping round), or null when all are finished. */
export function nextUnfinished(ids: string[], status: (id: string) => ReadStatus | undefined, currentId: string | null): string | null {
  const start = currentId ? ids.indexOf(currentId) : -1;
  for (let k = 1; k <= ids.length; k++) {
    const id = ids[(start + k + ids.length) % ids.length];
    if (!isFinished(status(id))) return id;
  }
  return null;
}
