import { toViaCsv } from '../annotation/formats/via';
import { annotationRegions } from './masks';
import { makeRedactor } from './privacy';
import type { ProjectSnapshot } from './types';

/**
 * VIA 2.x CSV (VGG Image Annotator's own export layout), one row per region: boxes as rect,
 * polygons as polygon, the reader in region_attributes ({"reader": id}). VIA holds one annotator's
 * work per file, so pass `readerId` for a file VIA can open as one reader's; without it every
 * reader's regions are listed, each row naming its reader. Cases every chosen reader left unread
 * are left out; a case read with nothing found is one row with region_count 0, as VIA writes it.
 * filename is the case name's base name (VIA matches images by name).
 */
export function toViaCsvExport(snap: ProjectSnapshot, opts: { readerId?: string; includeIdentifiers?: boolean } = {}): string {
  const cases = [...snap.cases].sort((a, b) => a.studyId.localeCompare(b.studyId) || a.order - b.order || a.id.localeCompare(b.id));
  const red = makeRedactor(snap, Boolean(opts.includeIdentifiers));
  const rows: Parameters<typeof toViaCsv>[0] = [];
  for (const c of cases) {
    const anns = snap.annotations
      .filter((a) => a.caseId === c.id && (!opts.readerId || a.readerId === opts.readerId) && (a.status !== 'unread' || a.boxes.length || a.polygons?.length))
      .sort((a, b) => a.readerId.localeCompare(b.readerId));
    if (!anns.length) continue;
    const name = red.caseName(c);
    const file = name.replace(/\\/g, '/').split('/').pop() || name;
    const regions = anns.flatMap((a) => annotationRegions(a).map((r) => ({ r, reader: a.readerId })));
    if (!regions.length) {
      rows.push({ file, regions: [] });
      continue;
    }
    rows.push({ file, regions: regions.map((x) => x.r), regionAttributes: regions.map((x) => ({ reader: red.deep(x.reader) })) });
  }
  return toViaCsv(rows);
}
