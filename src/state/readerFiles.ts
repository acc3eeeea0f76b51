import { openDatabase, toStorageError, type AnnotationRecord, type Box, type Polygon, type ReaderRecord } from './db';
import { loadSnapshot, type Open } from './importExport';
import { parseRegionFile, matchImagesToCases, type MatchResult, type RegionFile } from '../core/annotation/formats';
import { isPolygon } from '../core/study/types';

/**
 * Import of one reader's regions from a file of another tool (VIA CSV or JSON, COCO instances) or
 * the app's own reader export, into the current study as a NEW reader: image names are matched to
 * the study's cases by file name (core/annotation/formats/match.ts), unmatched names are listed,
 * and the reader's records are written in one transaction (a failure writes nothing).
 * Each listed image becomes a finished read: "done" with its regions, or "no finding" without.
 */
const defaultOpen: Open = () => openDatabase();

export interface ReaderFilePlan {
  file: RegionFile;
  /** The study the regions go on (the new reader belongs to it). */
  studyId?: string;
  studyName: string;
  match: MatchResult;
  /** A reader name to suggest: the one the file gives, else the file name without extension. */
  suggestedName: string;
  counts: { images: number; matched: number; boxes: number; polygons: number };
}

export class ReaderImportError extends Error {
  constructor(public readonly code: string, message: string) {
    super(message);
    this.name = 'ReaderImportError';
  }
}

/** Parses and matches a reader file against the current study; nothing is written. */
export async function planReaderFile(text: string, fileName: string, open: Open = defaultOpen): Promise<ReaderFilePlan> {
  const file = parseRegionFile(text, fileName);
  const snap = await loadSnapshot(open, undefined, false);
  if (!snap.cases.length) throw new ReaderImportError('NO_STUDY', `${fileName}: there is no study to put this reader's regions on; import the study's images first`);
  const match = matchImagesToCases(file.images, snap.cases.map((c) => ({ id: c.id, name: c.name })));
  const regions = match.matched.flatMap((m) => m.image.regions);
  const polygons = regions.filter(isPolygon).length;
  return {
    file,
    studyId: snap.studies[0]?.id,
    studyName: snap.studies[0]?.name ?? 'the current study',
    match,
    suggestedName: file.readerName ?? fileName.replace(/^.*[\\/]/, '').replace(/\.[^.]+$/, ''),
    counts: { images: file.images.length, matched: match.matched.length, boxes: regions.length - polygons, polygons },
  };
}

const slug = (s: string) => s.normalize('NFKD').replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32) || 'reader';

export interface ReaderFileResult { reader: ReaderRecord; cases: number; regions: number }

/** Writes a planned reader file as a new reader named `name` (one transaction). */
export async function applyReaderFile(plan: ReaderFilePlan, name: string, open: Open = defaultOpen, now = Date.now()): Promise<ReaderFileResult> {
  const readerName = name.trim();
  if (!readerName) throw new ReaderImportError('USAGE_READER_NAME', 'Give the reader a name.');
  if (!plan.match.matched.length) throw new ReaderImportError('NOTHING_MATCHED', `${plan.file.source}: none of its ${plan.counts.images} image name(s) matches a case of ${plan.studyName}; nothing was imported`);
  const db = await open();
  const tx = db.transaction(['readers', 'annotations'], 'readwrite');
  try {
    const existing = await tx.objectStore('readers').getAll();
    if (existing.some((r) => r.name === readerName)) throw new ReaderImportError('READER_EXISTS', `A reader named "${readerName}" already exists; choose another name (an import always makes a new reader, so nobody's work is overwritten)`);
    const ids = new Set(existing.map((r) => r.id));
    let id = slug(readerName);
    for (let k = 2; ids.has(id); k++) id = `${slug(readerName)}-${k}`;
    const reader: ReaderRecord = { id, name: readerName, order: existing.reduce((m, r) => Math.max(m, r.order + 1), 0), ...(plan.studyId ? { studyId: plan.studyId } : {}) };
    const records: AnnotationRecord[] = plan.match.matched.map(({ caseId, image }) => {
      const boxes: Box[] = [];
      const polygons: Polygon[] = [];
      for (const r of image.regions) {
        if (isPolygon(r)) polygons.push({ id: `p${polygons.length + 1}`, points: r.polygon.map(([x, y]) => [x, y] as [number, number]) });
        else boxes.push({ id: `b${boxes.length + 1}`, x0: Math.min(r[0], r[2]), y0: Math.min(r[1], r[3]), x1: Math.max(r[0], r[2]), y1: Math.max(r[1], r[3]) });
      }
      const rec: AnnotationRecord = { readerId: id, caseId, boxes, status: image.regions.length ? 'done' : 'no-finding', updatedAt: now, rev: 1 };
      if (polygons.length) rec.polygons = polygons;
      return rec;
    });
    const puts: Promise<unknown>[] = [tx.objectStore('readers').put(reader)];
    for (const r of records) puts.push(tx.objectStore('annotations').put(r));
    await Promise.all([...puts, tx.done]);
    if (typeof BroadcastChannel !== 'undefined') {
      const ch = new BroadcastChannel('heatcheck-annotations');
      for (const r of records) ch.postMessage({ type: 'saved', readerId: r.readerId, caseId: r.caseId, rev: r.rev, from: 'import' });
      ch.close();
    }
    return { reader, cases: records.length, regions: records.reduce((s, r) => s + r.boxes.length + (r.polygons?.length ?? 0), 0) };
  } catch (e) {
    try { tx.abort(); } catch { /* already finished */ }
    await tx.done.catch(() => {});
    if (e instanceof ReaderImportError) throw e;
    throw toStorageError(e);
  }
}
