import type { VoiWindow } from '../study/intensity';
import { decode as decodePng, encode as encodePng } from 'fast-png';
import { fromBase64, toBase64 } from './base64';
import { decodeValue, encodeValue } from './jsonValue';
import { identifiersOf, makeRedactor, redactName, stripIdentifiers } from './privacy';
import { ExportError, type AnnotationRec, type CaseRec, type ImageRec, type ProjectSnapshot, type ReaderRec, type StudyRec } from './types';

/**
 * The project file, schema `heatcheck.project` version 1 (JSON):
 * {
 *   schema: 'heatcheck.project', version: 1, kind: 'project' | 'reader',
 *   exportedAt: ISO time, app: {name, version}, identifiersIncluded: boolean,
 *   studies: [{id, name, source, createdAt, meta?}],
 *   cases: [{hash, id, study, name, label, bodyPart?, abnormality?, width, height, order, meta?,
 *            image?: {encoding: 'png' | 'f32', data: base64, window?, invert?, source?}}],
 *   readers: [{id, name, order, simulated?}],
 *   annotations: [{reader, case: <content hash>, status, updatedAt, rev, boxes: [{id, x0, y0, x1, y1}],
 *                  polygons?: [{id, points: [[x, y], ...]}]}],      (polygons only where there are some)
 *   settings: {key: value},
 *   results: [{key, kind, createdAt, value}]    (typed arrays as {$typed, base64})
 * }
 * Cases are identified by the content hash of their decoded pixels; annotations name the case by it.
 * Arrays are sorted (cases by study and order, annotations by reader and case order, readers by
 * order, settings and results by key) so one project always writes the same file.
 * A reader's export (kind 'reader') holds that reader and their annotations only, no settings or
 * results, and no images unless asked for.
 */
export const PROJECT_SCHEMA = 'heatcheck.project';
export const PROJECT_VERSION = 1;

export interface ProjectImage { encoding: 'png' | 'f32'; data: string; window?: VoiWindow; voiLut?: { firstMapped: number; bits: number; data: number[] }; invert?: boolean; source?: string }
export interface ProjectCase {
  hash: string; id: string; study: string; name: string; label: 0 | 1 | null;
  bodyPart?: string; abnormality?: string; width: number; height: number; order: number;
  meta?: Record<string, unknown>; image?: ProjectImage;
}
export interface ProjectAnnotation { reader: string; case: string; status: AnnotationRec['status']; updatedAt: number; rev: number; boxes: AnnotationRec['boxes']; polygons?: AnnotationRec['polygons'] }
export interface ProjectFile {
  schema: typeof PROJECT_SCHEMA;
  version: typeof PROJECT_VERSION;
  kind: 'project' | 'reader';
  exportedAt: string;
  app: { name: string; version: string };
  identifiersIncluded: boolean;
  studies: StudyRec[];
  cases: ProjectCase[];
  readers: ReaderRec[];
  annotations: ProjectAnnotation[];
  settings: Record<string, unknown>;
  results: Array<{ key: string; kind: string; createdAt: number; value: unknown }>;
}

export interface ProjectExportOptions {
  /** Only this reader's work (a reader's export). */
  readerId?: string;
  /** Embed the decoded images (default: true for a project, false for a reader's export). */
  includeImages?: boolean;
  /** Put DICOM patient identifiers in the file (default false: never unless asked). */
  includeIdentifiers?: boolean;
  appVersion?: string;
  now?: Date;
}

export function encodeImage(img: ImageRec): ProjectImage {
  const { pixels, width, height } = img;
  let out: ProjectImage;
  if (pixels instanceof Float32Array) {
    out = { encoding: 'f32', data: toBase64(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength)) };
  } else {
    const depth = pixels instanceof Uint16Array ? 16 : 8;
    out = { encoding: 'png', data: toBase64(encodePng({ width, height, data: pixels, channels: 1, depth })) };
  }
  if (img.window) out.window = { ...img.window };
  if (img.voiLut) out.voiLut = { firstMapped: img.voiLut.firstMapped, bits: img.voiLut.bits, data: Array.from(img.voiLut.data) };
  if (img.invert) out.invert = true;
  if (img.source) out.source = img.source;
  return out;
}

export function decodeImage(c: Pick<ProjectCase, 'hash' | 'width' | 'height' | 'name'>, img: ProjectImage): ImageRec {
  let pixels: Uint8Array | Uint16Array | Float32Array;
  const n = c.width * c.height;
  if (img.encoding === 'f32') {
    const b = fromBase64(img.data).slice();
    pixels = new Float32Array(b.buffer, 0, b.byteLength / 4);
  } else if (img.encoding === 'png') {
    const png = decodePng(fromBase64(img.data));
    if (png.channels !== 1) throw new ExportError('BAD_INPUT_PROJECT', `case ${c.name}: the embedded image has ${png.channels} channels, expected 1`);
    pixels = png.data instanceof Uint16Array ? png.data : new Uint8Array(png.data);
  } else throw new ExportError('BAD_INPUT_PROJECT', `case ${c.name}: unknown image encoding "${(img as { encoding?: unknown }).encoding}"`);
  if (pixels.length !== n) throw new ExportError('BAD_INPUT_PROJECT', `case ${c.name}: the embedded image has ${pixels.length} pixels, its size ${c.width}x${c.height} needs ${n}`);
  const rec: ImageRec = { hash: c.hash, width: c.width, height: c.height, pixels };
  if (img.window) rec.window = img.window;
  if (img.voiLut) rec.voiLut = { firstMapped: img.voiLut.firstMapped, bits: img.voiLut.bits, data: Uint16Array.from(img.voiLut.data) };
  if (img.invert) rec.invert = true;
  if (img.source) rec.source = img.source;
  return rec;
}

const caseOrder = (a: CaseRec, b: CaseRec) => a.studyId.localeCompare(b.studyId) || a.order - b.order || a.id.localeCompare(b.id);

export function buildProject(snap: ProjectSnapshot, opts: ProjectExportOptions = {}): ProjectFile {
  const kind = opts.readerId ? 'reader' : 'project';
  const includeImages = opts.includeImages ?? kind === 'project';
  const ids = !!opts.includeIdentifiers;
  const cases = [...snap.cases].sort(caseOrder);
  const caseById = new Map(cases.map((c) => [c.id, c]));
  const orderOf = new Map(cases.map((c, i) => [c.id, i]));
  // one redaction for every exported name: case names and ids, image sources, study names, and
  // whatever settings, results or box ids repeat them (identity when identifiers are included)
  const red = makeRedactor({ cases, studies: snap.studies }, ids);
  const annotations = snap.annotations
    .filter((a) => caseById.has(a.caseId) && (!opts.readerId || a.readerId === opts.readerId))
    .sort((a, b) => a.readerId.localeCompare(b.readerId) || orderOf.get(a.caseId)! - orderOf.get(b.caseId)!)
    .map((a): ProjectAnnotation => ({
      reader: a.readerId, case: caseById.get(a.caseId)!.imageHash, status: a.status, updatedAt: a.updatedAt, rev: a.rev,
      boxes: a.boxes.map((b) => ({ id: red.deep(b.id), x0: b.x0, y0: b.y0, x1: b.x1, y1: b.y1 })),
      ...(a.polygons?.length ? { polygons: a.polygons.map((q) => ({ id: red.deep(q.id), points: q.points.map(([x, y]) => [x, y] as [number, number]) })) } : {}),
    }));
  const readers = [...snap.readers]
    .filter((r) => !opts.readerId || r.id === opts.readerId)
    .sort((a, b) => a.order - b.order || a.id.localeCompare(b.id))
    .map((r) => ({ id: r.id, name: r.name, order: r.order, ...(r.simulated ? { simulated: true } : {}) }));
  if (opts.readerId && !readers.length) throw new ExportError('NOT_FOUND_READER', `Reader "${opts.readerId}" does not exist; choose one of ${snap.readers.map((r) => r.id).join(', ')}`);
  const outCases = cases.map((c): ProjectCase => {
    const identifiers = identifiersOf(c.meta);
    const scrub = (s: string) => (ids ? s : red.text(redactName(s, identifiers, c.imageHash.slice(0, 8))));
    const meta = ids ? c.meta : red.deep(stripIdentifiers(c.meta));
    const pc: ProjectCase = { hash: c.imageHash, id: red.caseId(c), study: c.studyId, name: red.caseName(c), label: c.label, width: c.width, height: c.height, order: c.order };
    if (c.bodyPart) pc.bodyPart = c.bodyPart;
    if (c.abnormality) pc.abnormality = c.abnormality;
    if (meta && Object.keys(meta).length) pc.meta = encodeValue(meta) as Record<string, unknown>;
    if (includeImages) {
      const img = snap.images?.get(c.imageHash);
      if (!img) throw new ExportError('NOT_FOUND_IMAGE', `The image of case ${pc.name} (${c.imageHash.slice(0, 12)}) is missing from storage; import the study again`);
      pc.image = encodeImage(img);
      if (pc.image.source) pc.image.source = scrub(pc.image.source);
    }
    return pc;
  });
  const studyIds = new Set(cases.map((c) => c.studyId));
  const settings: Record<string, unknown> = {};
  const results: ProjectFile['results'] = [];
  if (kind === 'project') {
    for (const s of [...snap.settings].sort((a, b) => a.key.localeCompare(b.key))) settings[red.deep(s.key)] = encodeValue(red.deep(s.value));
    for (const r of [...snap.results].sort((a, b) => a.key.localeCompare(b.key))) results.push({ key: red.deep(r.key), kind: r.kind, createdAt: r.createdAt, value: encodeValue(red.deep(r.value)) });
  }
  return {
    schema: PROJECT_SCHEMA,
    version: PROJECT_VERSION,
    kind,
    exportedAt: (opts.now ?? new Date()).toISOString(),
    app: { name: 'heatcheck', version: opts.appVersion ?? '0' },
    identifiersIncluded: ids,
    studies: snap.studies.filter((s) => studyIds.has(s.id)).sort((a, b) => a.id.localeCompare(b.id)).map((s) => ({ ...s, name: red.studyName(s), ...(s.meta ? { meta: encodeValue(red.deep(s.meta)) as Record<string, unknown> } : {}) })),
    cases: outCases,
    readers,
    annotations,
    settings,
    results,
  };
}

const fail = (file: string, what: string): never => {
  throw new ExportError('BAD_INPUT_PROJECT', `${file}: ${what}. Choose a file exported by Heatcheck (Project file or Reader's work).`);
};

/** Parses and checks a project file (either kind). Throws ExportError naming the file and the problem. */
export function parseProject(text: string, file = 'project.json'): ProjectFile {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    return fail(file, `is not JSON (${(e as Error).message})`);
  }
  const p = j as Partial<ProjectFile>;
  if (!p || typeof p !== 'object') return fail(file, 'is not a JSON object');
  if (p.schema !== PROJECT_SCHEMA) return fail(file, `has schema "${String(p.schema)}", expected "${PROJECT_SCHEMA}"`);
  if (p.version !== PROJECT_VERSION) {
    throw new ExportError('BAD_INPUT_PROJECT_VERSION', `${file} is version ${String(p.version)} of the project schema; this Heatcheck reads version ${PROJECT_VERSION}. Update Heatcheck, or export again from the same version.`);
  }
  for (const k of ['studies', 'cases', 'readers', 'annotations', 'results'] as const) if (!Array.isArray(p[k])) fail(file, `has no "${k}" list`);
  const hashes = new Set<string>();
  p.cases!.forEach((c, i) => {
    if (typeof c?.hash !== 'string' || !/^[0-9a-f]{64}$/.test(c.hash)) fail(file, `case ${i + 1} has no valid content hash`);
    if (!(c.width > 0 && c.height > 0)) fail(file, `case ${c.name ?? i + 1} has no valid size`);
    hashes.add(c.hash);
  });
  p.annotations!.forEach((a, i) => {
    if (typeof a?.reader !== 'string' || typeof a.case !== 'string' || !Array.isArray(a.boxes)) fail(file, `annotation ${i + 1} lacks reader, case or boxes`);
    if (!hashes.has(a.case)) fail(file, `annotation ${i + 1} names case ${a.case.slice(0, 12)}, which the file does not list`);
    for (const b of a.boxes) if (![b.x0, b.y0, b.x1, b.y1].every(Number.isFinite)) fail(file, `annotation ${i + 1} has a box with non-numeric coordinates`);
    if (a.polygons !== undefined) {
      if (!Array.isArray(a.polygons)) fail(file, `annotation ${i + 1} has "polygons" that is not a list`);
      for (const q of a.polygons!) {
        if (!q || !Array.isArray(q.points) || q.points.length < 3 || !q.points.every((pt) => Array.isArray(pt) && pt.length === 2 && pt.every(Number.isFinite))) fail(file, `annotation ${i + 1} has a polygon that is not a list of 3 or more [x, y] points`);
      }
    }
  });
  return { ...(p as ProjectFile), settings: p.settings && typeof p.settings === 'object' ? p.settings : {} };
}

/** Settings and results values back from their JSON form. */
export function decodeStoredValue(v: unknown): unknown {
  return decodeValue(v);
}

export function serializeProject(p: ProjectFile): string {
  return JSON.stringify(p);
}
