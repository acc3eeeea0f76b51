import type { IDBPDatabase } from 'idb';
import { openDatabase, toStorageError, type AnnotationRecord, type CaseRecord, type HeatcheckDB, type ImageRecord, type ReaderRecord, type StudyRecord } from './db';
import { freeReaderId } from './readers';
import { caseRecordId, CURRENT_STUDY_KEY } from './study';
import { isCsvName, planLabels, type PlannedImage } from '../core/study/importers/plan';
import type { ImportProblem } from '../core/study/importers/errors';
import type { DecodeBatchResult, DecodedFile, ImportInputFile } from '../core/study/importers/batch';
import { buildProject, parseProject, serializeProject, type ProjectFile } from '../core/export/project';
import { toCoco } from '../core/export/coco';
import { toFlatCsv } from '../core/export/flatCsv';
import { toViaCsvExport } from '../core/export/viaCsv';
import { consensusMasksZip } from '../core/export/masks';
import { metricsCsv, metricsJson } from '../core/export/metrics';
import { makeRedactor } from '../core/export/privacy';
import { planMerge, resolveAnnotations, type Choice, type MergePlan } from '../core/study/merge';
import type { ProjectSnapshot } from '../core/export/types';

/**
 * Import of users' studies and the evidence bundles out, against IndexedDB.
 * - Import: files are decoded in batches (in the worker in the app); each batch is written in ONE
 *   transaction after all its files are decoded, so a failure leaves nothing half-written; files that
 *   fail to decode are listed with the reason and the rest goes on; an image whose pixels are already
 *   stored (same content hash) is listed as a duplicate and not added twice.
 * - Export: a snapshot of the current study (cases, images, readers, annotations, settings, results)
 *   turned into the files of src/core/export.
 * - Merge: a project file or readers' exports planned against what is stored (src/core/study/merge),
 *   conflicts decided by the user, then written in one transaction that first checks nothing changed meanwhile.
 */
type Db = IDBPDatabase<HeatcheckDB>;
export type Open = () => Promise<Db>;
const defaultOpen: Open = () => openDatabase();

export interface ImportSource { path: string; file: Blob }
export type DecodeBatch = (files: ImportInputFile[]) => Promise<DecodeBatchResult>;
export interface ImportReport {
  /** The study the images went into; null when nothing was added (then nothing changed). */
  studyId: string | null;
  studyName: string;
  /** True when the images went into a study that already existed (the current one). */
  intoExisting: boolean;
  /** Readers created for a new study (none for an import into an existing one). */
  readers: Array<{ id: string; name: string }>;
  added: Array<{ name: string; label: 0 | 1 | null; bodyPart?: string; width: number; height: number }>;
  duplicates: Array<{ file: string; sameAs: string }>;
  problems: ImportProblem[];
  /** Set when storing failed: what was stored before stays, this batch was not written. */
  storageError?: string;
}
export interface ImportOptions {
  decode: DecodeBatch;
  open?: Open;
  studyName?: string;
  now?: number;
  onProgress?: (done: number, total: number, message: string) => void;
  /** Bytes of input per batch (default 96 MB). */
  batchBytes?: number;
  /** Add the images to this existing study instead of making a new one. */
  intoStudyId?: string;
  /**
   * Names of the new study's readers (people; never the demo's simulated ones). Default: one
   * reader, "Reader 1". Ignored for an import into an existing study, which keeps its readers.
   */
  readerNames?: string[];
}

const JUNK = /(^|\/)(\.[^/]*|Thumbs\.db|desktop\.ini)$/i;

/** Strips a folder shared by every path (the folder the user picked) and returns it as a name. */
export function commonRoot(paths: string[]): { root: string; rel: string[] } {
  const first = paths[0]?.split('/') ?? [];
  if (paths.length === 0 || first.length < 2) return { root: '', rel: paths };
  const head = first[0];
  if (!paths.every((p) => p.split('/').length > 1 && p.split('/')[0] === head)) return { root: '', rel: paths };
  return { root: head, rel: paths.map((p) => p.slice(head.length + 1)) };
}

/** Keeps a request's promise for Promise.all, marked handled (an aborted batch rejects them all). */
function track(list: Promise<unknown>[], p: Promise<unknown>): void {
  p.catch(() => {});
  list.push(p);
}

/** Aborts a transaction that may already have finished or failed (then there is nothing to undo). */
function abortQuietly(tx: { abort(): void }): void {
  try { tx.abort(); } catch { /* already finished */ }
}

export async function importStudy(sources: ImportSource[], opts: ImportOptions): Promise<ImportReport> {
  const open = opts.open ?? defaultOpen;
  const now = opts.now ?? Date.now();
  const usable = sources.filter((s) => !JUNK.test(s.path));
  const { root, rel } = commonRoot(usable.map((s) => s.path.replace(/\\/g, '/')));
  const entries = usable.map((s, i) => ({ ...s, rel: rel[i] }));
  const csvEntries = entries.filter((e) => isCsvName(e.rel));
  const imageEntries = entries.filter((e) => !isCsvName(e.rel));
  const csvs = await Promise.all(csvEntries.map(async (e) => ({ path: e.rel, text: await e.file.text() })));
  const plan = planLabels(imageEntries.map((e) => e.rel), csvs);
  const planned = new Map<string, PlannedImage>(plan.images.map((p) => [p.path, p]));
  const db = await open();
  const existing = opts.intoStudyId ? await db.get('studies', opts.intoStudyId) : undefined;
  if (opts.intoStudyId && !existing) throw Object.assign(new Error(`Study "${opts.intoStudyId}" is not in this browser's storage; choose "a new study" instead.`), { code: 'STUDY_NOT_FOUND' });
  const studyName = existing?.name ?? (opts.studyName?.trim() || root || `Imported images ${new Date(now).toISOString().slice(0, 10)}`);
  const studyId = existing?.id ?? `import-${now.toString(36)}`;
  const report: ImportReport = { studyId: null, studyName, intoExisting: Boolean(existing), readers: [], added: [], duplicates: [], problems: [...plan.problems] };
  const seen = new Map<string, string>(); // hash -> name, within this import
  let order = existing ? Math.max(-1, ...(await db.getAllFromIndex('cases', 'byStudy', studyId)).map((c) => c.order)) + 1 : 0;
  // a new study's readers, written with its first batch (so a failed import leaves none behind)
  const names = (opts.readerNames ?? []).map((n) => n.trim()).filter(Boolean);
  let newReaders: ReaderRecord[] = [];
  if (!existing) {
    const taken = await db.getAll('readers');
    for (const [i, name] of (names.length ? names : ['Reader 1']).entries()) {
      const id = freeReaderId([...taken, ...newReaders]);
      newReaders.push({ id, name, order: i, studyId });
    }
  }
  let done = 0;
  const limit = opts.batchBytes ?? 96 * 1024 * 1024;
  for (let i = 0; i < imageEntries.length;) {
    const batch: typeof imageEntries = [];
    let bytes = 0;
    while (i < imageEntries.length && (batch.length === 0 || bytes + imageEntries[i].file.size <= limit)) {
      bytes += imageEntries[i].file.size;
      batch.push(imageEntries[i++]);
    }
    const inputs: ImportInputFile[] = await Promise.all(batch.map(async (e) => ({ path: e.rel, bytes: await e.file.arrayBuffer() })));
    const result = await opts.decode(inputs);
    report.problems.push(...result.problems);
    done += batch.length;
    opts.onProgress?.(done, imageEntries.length, `Decoded ${done} of ${imageEntries.length}`);
    // Duplicates: against storage and within this import.
    const fresh: DecodedFile[] = [];
    for (const d of result.decoded) {
      const earlier = seen.get(d.hash);
      if (earlier) { report.duplicates.push({ file: d.path, sameAs: earlier }); continue; }
      const stored = await db.getAllFromIndex('cases', 'byHash', d.hash);
      const hasImage = stored.length > 0 || (await db.getKey('images', d.hash)) !== undefined;
      if (hasImage) { report.duplicates.push({ file: d.path, sameAs: stored[0] ? `${stored[0].name} (already stored)` : 'an image already stored' }); seen.set(d.hash, d.path); continue; }
      seen.set(d.hash, d.path);
      fresh.push(d);
    }
    if (!fresh.length) continue;
    const cases: CaseRecord[] = [];
    const images: ImageRecord[] = [];
    for (const d of fresh) {
      const p = planned.get(d.path);
      const meta: Record<string, unknown> = { source: { format: d.format, ...d.info }, labelSource: p?.labelSource ?? 'none' };
      if (p?.patient) meta.mura = { patient: p.patient, study: p.study };
      if (d.identifiers) meta.identifiers = d.identifiers;
      const bodyPart = p?.bodyPart ?? (typeof d.info.bodyPart === 'string' ? d.info.bodyPart : undefined);
      const c: CaseRecord = { id: caseRecordId(studyId, d.path), studyId, imageHash: d.hash, name: d.path, label: p?.label ?? null, width: d.width, height: d.height, order: order++, meta };
      if (bodyPart) c.bodyPart = bodyPart;
      cases.push(c);
      const img: ImageRecord = { hash: d.hash, width: d.width, height: d.height, pixels: d.pixels, source: d.path };
      if (d.window) img.window = d.window;
      if (d.voiLut) img.voiLut = d.voiLut;
      if (d.invert) img.invert = true;
      images.push(img);
    }
    const tx = db.transaction(['studies', 'cases', 'images', 'readers'], 'readwrite');
    try {
      const puts: Promise<unknown>[] = [];
      if (!existing) {
        const study: StudyRecord = { id: studyId, name: studyName, source: 'import', createdAt: now, meta: { files: sources.length } };
        track(puts, tx.objectStore('studies').put(study));
        for (const r of newReaders) track(puts, tx.objectStore('readers').put(r));
      }
      for (const img of images) track(puts, tx.objectStore('images').put(img));
      for (const c of cases) track(puts, tx.objectStore('cases').put(c));
      await Promise.all([...puts, tx.done]);
    } catch (e) {
      abortQuietly(tx);
      await tx.done.catch(() => {});
      report.storageError = `${toStorageError(e).message} Nothing of the last ${batch.length} file(s) was stored; ${report.added.length} image(s) imported before it are kept.`;
      order -= cases.length;
      break;
    }
    report.studyId = studyId;
    if (newReaders.length) { report.readers = newReaders.map((r) => ({ id: r.id, name: r.name })); newReaders = []; }
    for (const c of cases) report.added.push({ name: c.name, label: c.label, ...(c.bodyPart ? { bodyPart: c.bodyPart } : {}), width: c.width, height: c.height });
  }
  return report;
}

/** Everything an export needs about one study (the current one by default). */
export async function loadSnapshot(open: Open = defaultOpen, studyId?: string, withImages = true): Promise<ProjectSnapshot> {
  const db = await open();
  const id = studyId ?? ((await db.get('settings', CURRENT_STUDY_KEY))?.value as string | undefined) ?? (await db.getAll('studies'))[0]?.id;
  const study = id ? await db.get('studies', id) : undefined;
  const cases = study ? await db.getAllFromIndex('cases', 'byStudy', study.id) : [];
  const caseIds = new Set(cases.map((c) => c.id));
  const images = new Map<string, ImageRecord>();
  if (withImages) for (const c of cases) { const img = await db.get('images', c.imageHash); if (img) images.set(c.imageHash, img); }
  const annotations = (await db.getAll('annotations')).filter((a) => caseIds.has(a.caseId));
  // the study's readers (the demo's simulated ones stay with the demo) and whoever read its cases
  const reading = new Set(annotations.map((a) => a.readerId));
  const readers = (await db.getAll('readers')).filter((r) => !r.studyId || r.studyId === study?.id || reading.has(r.id));
  return {
    studies: study ? [study] : [],
    cases,
    images,
    readers,
    annotations,
    settings: await db.getAll('settings'),
    results: await db.getAll('results'),
  };
}

export type ExportKind = 'project' | 'reader' | 'coco' | 'via-csv' | 'csv' | 'masks' | 'metrics-json' | 'metrics-csv';
export interface ExportOptions { readerId?: string; includeIdentifiers?: boolean; appVersion?: string; now?: Date; open?: Open }
export interface ExportedFile { name: string; type: string; data: string | Uint8Array }

const stamp = (d: Date) => d.toISOString().slice(0, 19).replace(/[:T]/g, '-');
const slug = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'study';

/** Builds one export as a file (name, MIME type, content). */
export async function exportFile(kind: ExportKind, opts: ExportOptions = {}): Promise<ExportedFile> {
  const now = opts.now ?? new Date();
  const snap = await loadSnapshot(opts.open, undefined, kind === 'project' || kind === 'reader');
  // the same redaction as the files' contents: the study name in the file name, case ids and names in metrics
  const red = makeRedactor(snap, Boolean(opts.includeIdentifiers));
  const base = `heatcheck-${slug(red.studyName(snap.studies[0]?.name ?? 'study'))}`;
  const metricResults = () => red.deep(snap.results.filter((r) => r.kind !== 'saliency'));
  const common = { includeIdentifiers: opts.includeIdentifiers, now };
  const quorum = snap.settings.find((s) => s.key === 'annotate.quorum')?.value;
  switch (kind) {
    case 'project':
      return { name: `${base}-project-${stamp(now)}.json`, type: 'application/json', data: serializeProject(buildProject(snap, { ...common, appVersion: opts.appVersion })) };
    case 'reader':
      if (!opts.readerId) throw Object.assign(new Error('Choose the reader whose work to export.'), { code: 'USAGE_READER' });
      return { name: `${base}-reader-${slug(opts.readerId)}-${stamp(now)}.json`, type: 'application/json', data: serializeProject(buildProject(snap, { ...common, readerId: opts.readerId, includeImages: false, appVersion: opts.appVersion })) };
    case 'coco':
      return { name: `${base}-coco-${stamp(now)}.json`, type: 'application/json', data: JSON.stringify(toCoco(snap, { ...common, readerId: opts.readerId })) };
    case 'via-csv':
      return { name: `${base}-via${opts.readerId ? `-${slug(opts.readerId)}` : ''}-${stamp(now)}.csv`, type: 'text/csv', data: toViaCsvExport(snap, { ...common, readerId: opts.readerId }) };
    case 'csv':
      return { name: `${base}-boxes-${stamp(now)}.csv`, type: 'text/csv', data: toFlatCsv(snap, { ...common, readerId: opts.readerId }) };
    case 'masks':
      return { name: `${base}-consensus-masks-${stamp(now)}.zip`, type: 'application/zip', data: consensusMasksZip(snap, { ...common, quorum: typeof quorum === 'number' ? quorum : 2 }) };
    case 'metrics-json':
      return { name: `${base}-metrics-${stamp(now)}.json`, type: 'application/json', data: JSON.stringify(metricsJson(metricResults(), { now }), null, 2) };
    case 'metrics-csv':
      return { name: `${base}-metrics-${stamp(now)}.csv`, type: 'text/csv', data: metricsCsv(metricResults()) };
  }
}

/** Plans a merge of one exported file against what is stored (nothing is written). */
export async function planMergeFile(text: string, fileName: string, open: Open = defaultOpen): Promise<MergePlan & { file: ProjectFile }> {
  const file = parseProject(text, fileName);
  const db = await open();
  const local = {
    studies: await db.getAll('studies'),
    cases: await db.getAll('cases'),
    readers: await db.getAll('readers'),
    annotations: await db.getAll('annotations'),
    settingKeys: new Set((await db.getAllKeys('settings')) as string[]),
    resultKeys: new Set((await db.getAllKeys('results')) as string[]),
  };
  return { ...planMerge(local, file, fileName), file };
}

export interface MergeResult { cases: number; annotations: number; studyId: string | null }

/** Writes a planned merge in one transaction, once every conflict has a choice. */
export async function applyMerge(plan: MergePlan, choices: Record<string, Choice>, open: Open = defaultOpen): Promise<MergeResult> {
  const writes = resolveAnnotations(plan, choices);
  const db = await open();
  const tx = db.transaction(['studies', 'cases', 'images', 'readers', 'annotations', 'settings', 'results'], 'readwrite');
  const ann = tx.objectStore('annotations');
  // What the plan compared against must still be what is stored.
  for (const c of plan.conflicts) {
    const now = await ann.get([c.readerId, c.caseId]);
    if ((now?.rev ?? 0) !== c.mine.rev) {
      tx.abort();
      await tx.done.catch(() => {});
      throw Object.assign(new Error(`Reader ${c.readerId}'s boxes on ${c.caseName} changed while you were deciding; nothing was merged. Import the file again.`), { code: 'MERGE_STALE' });
    }
  }
  try {
    const puts: Promise<unknown>[] = [];
    for (const s of plan.studies) track(puts, tx.objectStore('studies').put(s as StudyRecord));
    for (const img of plan.images) track(puts, tx.objectStore('images').put(img as ImageRecord));
    for (const c of plan.cases) track(puts, tx.objectStore('cases').put(c as CaseRecord));
    for (const r of plan.readers) track(puts, tx.objectStore('readers').put(r));
    for (const s of plan.settings) track(puts, tx.objectStore('settings').put(s));
    for (const r of plan.results) track(puts, tx.objectStore('results').put(r));
    for (const a of writes) track(puts, ann.put(a as AnnotationRecord));
    await Promise.all([...puts, tx.done]);
  } catch (e) {
    abortQuietly(tx);
    await tx.done.catch(() => {});
    throw toStorageError(e);
  }
  if (typeof BroadcastChannel !== 'undefined') {
    const ch = new BroadcastChannel('heatcheck-annotations');
    for (const a of writes) ch.postMessage({ type: 'saved', readerId: a.readerId, caseId: a.caseId, rev: a.rev, from: 'import' });
    ch.close();
  }
  const studyId = plan.studies[0]?.id ?? plan.cases[0]?.studyId ?? null;
  return { cases: plan.cases.length, annotations: writes.length, studyId };
}
