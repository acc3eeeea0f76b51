import { toCsv } from '../study/csv';
import { makeRedactor } from './privacy';
import type { ProjectSnapshot } from './types';

/** Flat CSV, one row per box: `image,reader,x0,y0,x1,y1` (image = the case name; original-image pixels, pixel edges). */
export function toFlatCsv(snap: ProjectSnapshot, opts: { readerId?: string; includeIdentifiers?: boolean } = {}): string {
  const cases = new Map(snap.cases.map((c) => [c.id, c]));
  const red = makeRedactor(snap, Boolean(opts.includeIdentifiers));
  const order = (id: string) => cases.get(id)!.order;
  const rows: unknown[][] = [];
  const anns = snap.annotations
    .filter((a) => cases.has(a.caseId) && (!opts.readerId || a.readerId === opts.readerId))
    .sort((a, b) => cases.get(a.caseId)!.studyId.localeCompare(cases.get(b.caseId)!.studyId) || order(a.caseId) - order(b.caseId) || a.readerId.localeCompare(b.readerId));
  for (const a of anns) {
    const c = cases.get(a.caseId)!;
    const name = red.caseName(c);
    for (const b of a.boxes) rows.push([name, a.readerId, b.x0, b.y0, b.x1, b.y1]);
  }
  return toCsv(['image', 'reader', 'x0', 'y0', 'x1', 'y1'], rows);
}
