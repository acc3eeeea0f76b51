import { encode as encodePng } from 'fast-png';
import { consensusFromRegions } from '../annotation/regions';
import { toCsv } from '../study/csv';
import { makeRedactor } from './privacy';
import { zipStore } from './zip';
import type { RegionCoords } from '../study/types';
import type { AnnotationRec, ProjectSnapshot } from './types';

/** A record's regions for core: its boxes, then its polygons. */
export function annotationRegions(a: Pick<AnnotationRec, 'boxes' | 'polygons'>): RegionCoords[] {
  return [...a.boxes.map((b): RegionCoords => [b.x0, b.y0, b.x1, b.y1]), ...(a.polygons ?? []).map((q): RegionCoords => ({ polygon: q.points }))];
}

export interface MaskFile { name: string; data: Uint8Array | string }

const safeName = (s: string) => s.replace(/\.[A-Za-z0-9]{2,5}$/, '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 120) || 'case';

/**
 * Consensus masks as PNG, one per case that at least one reader finished (status done or
 * no-finding): 8-bit grey, 255 where at least `quorum` of the finished readers' boxes cover the
 * pixel, 0 elsewhere, at the original image size. Plus masks.csv listing file, image, hash,
 * readers counted and quorum. Names are the case names made file-safe, with a hash prefix when two collide.
 */
export function consensusMaskFiles(snap: ProjectSnapshot, opts: { quorum?: number; includeIdentifiers?: boolean } = {}): MaskFile[] {
  const quorum = opts.quorum ?? 2;
  const byCase = new Map<string, Array<{ readerId: string; boxes: RegionCoords[] }>>();
  for (const a of snap.annotations) {
    if (a.status !== 'done' && a.status !== 'no-finding') continue;
    const list = byCase.get(a.caseId) ?? [];
    list.push({ readerId: a.readerId, boxes: annotationRegions(a) });
    byCase.set(a.caseId, list);
  }
  const files: MaskFile[] = [];
  const rows: unknown[][] = [];
  const used = new Set<string>();
  const cases = [...snap.cases].sort((a, b) => a.studyId.localeCompare(b.studyId) || a.order - b.order);
  const red = makeRedactor(snap, Boolean(opts.includeIdentifiers));
  for (const c of cases) {
    const readers = byCase.get(c.id);
    if (!readers?.length) continue;
    readers.sort((a, b) => a.readerId.localeCompare(b.readerId));
    const mask = consensusFromRegions(readers.map((r) => r.boxes), c.width, c.height, quorum);
    const png = new Uint8Array(mask.length);
    for (let i = 0; i < mask.length; i++) png[i] = mask[i] ? 255 : 0;
    const label = red.caseName(c);
    let name = `${safeName(label)}.png`;
    if (used.has(name)) name = `${safeName(label)}-${c.imageHash.slice(0, 8)}.png`;
    used.add(name);
    files.push({ name, data: encodePng({ width: c.width, height: c.height, data: png, channels: 1, depth: 8 }) });
    rows.push([name, label, c.imageHash, readers.map((r) => r.readerId).join(' '), quorum]);
  }
  files.push({ name: 'masks.csv', data: toCsv(['file', 'image', 'hash', 'readers', 'quorum'], rows) });
  return files;
}

/** The masks as one stored ZIP (see zip.ts for why a simple archive). */
export function consensusMasksZip(snap: ProjectSnapshot, opts: { quorum?: number; includeIdentifiers?: boolean } = {}): Uint8Array {
  return zipStore(consensusMaskFiles(snap, opts).map((f) => ({ name: `consensus-masks/${f.name}`, data: f.data })));
}
