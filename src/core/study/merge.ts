import { decodeImage, decodeStoredValue, type ProjectFile } from '../export/project';
import type { AnnotationRec, CaseRec, ImageRec, ReaderRec, ResultRec, SettingRec, StudyRec } from '../export/types';

/**
 * Merging a project file or a reader's export into what this browser holds. Cases match by content
 * hash. For each (reader, case) the incoming boxes are:
 * - added when nothing is stored here, or only an untouched record (unread, no boxes);
 * - skipped when the stored boxes are the same rectangles (box ids and order aside);
 * - a conflict otherwise: listed with both versions, and only written once the user chose (never
 *   overwritten silently).
 * New cases come with their images when the file embeds them; annotations of cases that are neither
 * here nor embedded are listed as missing. A project file also brings its settings and reader list
 * (a reader's export only adds missing readers); results are only added where absent (same key, same result).
 */
export interface LocalProject {
  studies: StudyRec[];
  cases: CaseRec[];
  readers: ReaderRec[];
  annotations: AnnotationRec[];
  settingKeys: Set<string>;
  resultKeys: Set<string>;
}

export interface MergeConflict {
  key: string;
  readerId: string;
  caseId: string;
  caseName: string;
  hash: string;
  mine: AnnotationRec;
  theirs: AnnotationRec;
}

export interface MergePlan {
  source: string;
  kind: ProjectFile['kind'];
  studies: StudyRec[];
  cases: CaseRec[];
  images: ImageRec[];
  readers: ReaderRec[];
  /** Writes that need no decision. */
  annotations: AnnotationRec[];
  conflicts: MergeConflict[];
  unchanged: number;
  missingCases: Array<{ hash: string; name: string }>;
  duplicateCases: number;
  settings: SettingRec[];
  results: ResultRec[];
}

export type Choice = 'mine' | 'theirs';

const norm = (boxes: AnnotationRec['boxes']) => boxes.map((b) => [Math.min(b.x0, b.x1), Math.min(b.y0, b.y1), Math.max(b.x0, b.x1), Math.max(b.y0, b.y1)].join(',')).sort();
export function sameBoxes(a: AnnotationRec['boxes'], b: AnnotationRec['boxes']): boolean {
  const x = norm(a), y = norm(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
const normPolygons = (p: AnnotationRec['polygons']) => (p ?? []).map((q) => q.points.map((v) => v.join(' ')).join(',')).sort();
/** Same polygons (ids and order aside). */
export function samePolygons(a: AnnotationRec['polygons'], b: AnnotationRec['polygons']): boolean {
  const x = normPolygons(a), y = normPolygons(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
const untouched = (a: AnnotationRec) => a.boxes.length === 0 && !a.polygons?.length && a.status === 'unread';
export const conflictKey = (readerId: string, caseId: string) => `${readerId}\u001f${caseId}`;

export function planMerge(local: LocalProject, incoming: ProjectFile, source = 'file'): MergePlan {
  const byHash = new Map(local.cases.map((c) => [c.imageHash, c]));
  const usedIds = new Set(local.cases.map((c) => c.id));
  const plan: MergePlan = {
    source, kind: incoming.kind, studies: [], cases: [], images: [], readers: [], annotations: [], conflicts: [], unchanged: 0,
    missingCases: [], duplicateCases: 0, settings: [], results: [],
  };
  const caseIdOfHash = new Map<string, string>();
  const caseNameOfHash = new Map<string, string>();
  const localStudies = new Set(local.studies.map((s) => s.id));
  const neededStudies = new Set<string>();
  for (const pc of incoming.cases) {
    caseNameOfHash.set(pc.hash, pc.name);
    const here = byHash.get(pc.hash);
    if (here) {
      caseIdOfHash.set(pc.hash, here.id);
      plan.duplicateCases++;
      continue;
    }
    if (!pc.image) continue; // annotations on it are reported as missing below
    let id = pc.id;
    if (usedIds.has(id)) id = `${pc.study}:${pc.name}#${pc.hash.slice(0, 8)}`;
    usedIds.add(id);
    caseIdOfHash.set(pc.hash, id);
    const rec: CaseRec = { id, studyId: pc.study, imageHash: pc.hash, name: pc.name, label: pc.label, width: pc.width, height: pc.height, order: pc.order };
    if (pc.bodyPart) rec.bodyPart = pc.bodyPart;
    if (pc.abnormality) rec.abnormality = pc.abnormality;
    if (pc.meta) rec.meta = decodeStoredValue(pc.meta) as Record<string, unknown>;
    plan.cases.push(rec);
    plan.images.push(decodeImage(pc, pc.image));
    if (!localStudies.has(pc.study)) neededStudies.add(pc.study);
  }
  for (const s of incoming.studies) {
    if (neededStudies.has(s.id)) plan.studies.push({ ...s, ...(s.meta ? { meta: decodeStoredValue(s.meta) as Record<string, unknown> } : {}) });
  }
  for (const id of neededStudies) {
    if (!plan.studies.some((s) => s.id === id)) plan.studies.push({ id, name: id, source: 'import', createdAt: Date.parse(incoming.exportedAt) || 0 });
  }
  const localReaders = new Set(local.readers.map((r) => r.id));
  // A project file brings its reader list (names, order); a reader's export only adds who is missing.
  for (const r of incoming.readers) if (incoming.kind === 'project' || !localReaders.has(r.id)) plan.readers.push({ ...r });
  const localAnn = new Map(local.annotations.map((a) => [conflictKey(a.readerId, a.caseId), a]));
  const missing = new Set<string>();
  for (const pa of incoming.annotations) {
    const caseId = caseIdOfHash.get(pa.case);
    if (!caseId) {
      if (pa.boxes.length || pa.polygons?.length || pa.status !== 'unread') missing.add(pa.case);
      continue;
    }
    const theirs: AnnotationRec = { readerId: pa.reader, caseId, boxes: pa.boxes.map((b) => ({ ...b })), status: pa.status, updatedAt: pa.updatedAt, rev: pa.rev };
    if (pa.polygons?.length) theirs.polygons = pa.polygons.map((q) => ({ id: q.id, points: q.points.map(([x, y]) => [x, y] as [number, number]) }));
    const mine = localAnn.get(conflictKey(pa.reader, caseId));
    if (!mine) plan.annotations.push(theirs);
    else if (untouched(mine)) {
      if (!untouched(theirs)) plan.annotations.push({ ...theirs, rev: Math.max(theirs.rev, mine.rev + 1) });
      else plan.unchanged++;
    } else if (sameBoxes(mine.boxes, theirs.boxes) && samePolygons(mine.polygons, theirs.polygons)) {
      plan.unchanged++;
    } else {
      plan.conflicts.push({ key: conflictKey(pa.reader, caseId), readerId: pa.reader, caseId, caseName: caseNameOfHash.get(pa.case) ?? caseId, hash: pa.case, mine, theirs });
    }
    if (pa.reader && !localReaders.has(pa.reader) && !plan.readers.some((r) => r.id === pa.reader)) {
      plan.readers.push({ id: pa.reader, name: pa.reader, order: local.readers.length + plan.readers.length });
    }
  }
  plan.missingCases = [...missing].map((hash) => ({ hash, name: caseNameOfHash.get(hash) ?? hash.slice(0, 12) }));
  // A project file brings its settings; otherwise only missing keys are added.
  for (const [key, value] of Object.entries(incoming.settings ?? {})) if (incoming.kind === 'project' || !local.settingKeys.has(key)) plan.settings.push({ key, value: decodeStoredValue(value) });
  for (const r of incoming.results) if (!local.resultKeys.has(r.key)) plan.results.push({ key: r.key, kind: r.kind, createdAt: r.createdAt, value: decodeStoredValue(r.value) });
  return plan;
}

/**
 * The annotation writes once the user has chosen for every conflict. A conflict without a choice
 * throws: nothing is written until each one is decided. Taking theirs bumps the revision past mine,
 * so open tabs adopt it.
 */
export function resolveAnnotations(plan: MergePlan, choices: Record<string, Choice>): AnnotationRec[] {
  const undecided = plan.conflicts.filter((c) => choices[c.key] !== 'mine' && choices[c.key] !== 'theirs');
  if (undecided.length) {
    throw Object.assign(new Error(`${undecided.length} conflict(s) still need a decision (keep mine or take theirs), for example reader ${undecided[0].readerId} on ${undecided[0].caseName}`), { code: 'MERGE_UNDECIDED' });
  }
  const out = [...plan.annotations];
  for (const c of plan.conflicts) {
    if (choices[c.key] === 'theirs') out.push({ ...c.theirs, rev: Math.max(c.theirs.rev, c.mine.rev) + 1, updatedAt: Math.max(c.theirs.updatedAt, c.mine.updatedAt) });
  }
  return out;
}
