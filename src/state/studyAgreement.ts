import { openDatabase } from './db';
import { loadSnapshot, type Open } from './importExport';
import { annotationRegions } from '../core/export/masks';
import { regionBounds, studyReaderAgreement } from '../core/annotation';
import type { AgreementCaseInput, StudyAgreement } from '../core/annotation';
import type { RegionCoords } from '../core/study/types';

/**
 * Reader agreement over the current study, as `heatcheck agreement` computes it: every case with
 * at least one finished reader ('done' or 'no-finding'), their boxes and polygons. The IoU figures
 * do not depend on the canvas, so each case is measured on the pixel region that holds its regions
 * (cheap on large images); pixel-level Fleiss' kappa is left to the per-case panel and the dashboard.
 */
export async function currentStudyAgreement(quorum: number, open: Open = () => openDatabase()): Promise<StudyAgreement['pooled'] & { readers: number }> {
  const snap = await loadSnapshot(open, undefined, false);
  const byCase = new Map<string, Record<string, RegionCoords[]>>();
  const readers = new Set<string>();
  for (const a of snap.annotations) {
    if (a.status !== 'done' && a.status !== 'no-finding') continue;
    const m = byCase.get(a.caseId) ?? {};
    m[a.readerId] = annotationRegions(a);
    readers.add(a.readerId);
    byCase.set(a.caseId, m);
  }
  const inputs: AgreementCaseInput[] = [];
  for (const c of snap.cases) {
    const rs = byCase.get(c.id);
    if (!rs) continue;
    let x0 = c.width, y0 = c.height, x1 = 0, y1 = 0;
    for (const r of Object.values(rs).flat()) {
      const [a, b, cc, d] = regionBounds(r);
      x0 = Math.min(x0, a); y0 = Math.min(y0, b); x1 = Math.max(x1, cc); y1 = Math.max(y1, d);
    }
    // the pixel region holding every region, clipped to the image (outside it every mask is empty)
    const c0 = Math.max(0, Math.floor(x0)), r0 = Math.max(0, Math.floor(y0));
    const c1 = Math.min(c.width, Math.ceil(x1)), r1 = Math.min(c.height, Math.ceil(y1));
    const [dx, dy, w, h] = c1 > c0 && r1 > r0 ? [c0, r0, c1 - c0, r1 - r0] : [0, 0, 1, 1];
    const shifted = Object.fromEntries(Object.entries(rs).map(([r, list]) => [r, list.map((g): RegionCoords => (Array.isArray(g) ? [g[0] - dx, g[1] - dy, g[2] - dx, g[3] - dy] : { polygon: g.polygon.map(([x, y]) => [x - dx, y - dy] as [number, number]) }))]));
    inputs.push({ id: c.id, width: w, height: h, readers: shifted });
  }
  return { ...studyReaderAgreement(inputs, quorum).pooled, readers: readers.size };
}
