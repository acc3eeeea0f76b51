/**
 * Model results in the study database (`heatcheck-study`): a coordinator publishes a trust report
 * (the dashboard's "Metrics JSON", `heatcheck evaluate --out`) so that other coordinator
 * workstations see it.
 *
 * Documents:
 * - one per model, `_id` `model:<weights sha256>` (`model:entry-<sha256 of the model's entry>`
 *   when the report knows no weights hash): the report's `models` entry (id, name, architecture,
 *   family, seed, input shape, output, cascade) and its weights hash. Written only when new or
 *   changed, so a model shared by several reports is one document;
 * - one per report, `_id` `report:<sha256 of the report's canonical JSON>`: the id comes from the
 *   content, so publishing the same report again finds it there and writes nothing (no new
 *   revision). It carries who published it and when, a summary for listing (models, methods,
 *   cases, verdicts) and the report itself, in its JSON form (non-finite numbers as strings, as
 *   the JSON export writes them).
 *
 * Blinding: a report holds predictions, labels and per-case values, which can bias a reader, and
 * CouchDB cannot hide a document of a database from a login that reads the database. So readers'
 * workstations replicate the study database filtered to the documents they need
 * (`READER_STUDY_SELECTOR`, by id: the case list and the readers' list), and never receive or show
 * model results; a reader's login could still GET them over HTTP, which is why the app and the
 * README advise publishing after reading has ended.
 */
import { canonicalJson } from '../canonicalJson';
import { sha256Hex } from '../study/hash';
import { TRUST_REPORT_SCHEMA, trustReportJson, type TrustReport, type TrustReportModel, type VerdictState } from '../trust/report';
import { CASE_DOC_PREFIX } from './caseList';
import { CASES_DOC_ID, READERS_DOC_ID } from './couchLayout';

export const REPORT_DOC_PREFIX = 'report:';
export const MODEL_DOC_PREFIX = 'model:';

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/**
 * The Mango selector of a reader's replication of the study database: by `_id` (a deleted
 * document keeps its id, so deletions of cases reach readers too), the case documents, the case
 * list's manifest and the readers' list; nothing else (no model or report documents).
 */
export const READER_STUDY_SELECTOR = { _id: { $regex: `^(${escapeRegex(CASE_DOC_PREFIX)}|${escapeRegex(CASES_DOC_ID)}$|${escapeRegex(READERS_DOC_ID)}$)` } } as const;
/** Whether a study-database document id is one a reader's workstation replicates (the selector above, in code). */
export const readerNeedsStudyDoc = (id: string) => id.startsWith(CASE_DOC_PREFIX) || id === CASES_DOC_ID || id === READERS_DOC_ID;

export { canonicalJson };

/** The report as published (and as the JSON export writes it): its JSON form, parsed. */
export function publishableReport(r: TrustReport): TrustReport {
  return JSON.parse(trustReportJson(r, 0)) as TrustReport;
}

/** The report's content id: SHA-256 of its canonical JSON form. */
export async function reportContentId(r: TrustReport): Promise<string> {
  return sha256Hex(new TextEncoder().encode(canonicalJson(publishableReport(r))));
}

/** A published model (the document's body). */
export interface PublishedModel extends TrustReportModel {
  type: 'model';
}

/** A published report (the document's body). */
export interface PublishedReport {
  type: 'trust-report';
  /** SHA-256 of the report's canonical JSON (the document id's suffix). */
  reportId: string;
  publishedBy: string;
  /** ms since 1970. */
  publishedAt: number;
  /** The report's own creation time and state. */
  createdAt: string;
  complete: boolean;
  preset: string;
  backend: string | null;
  models: Array<{ doc: string; id: string; name?: string; family: string; weightsSha256: string | null }>;
  methods: Array<{ id: string; label: string }>;
  criteria: Array<{ id: string; label: string }>;
  cases: number;
  verdicts: Record<string, VerdictState>;
  report: TrustReport;
}

export const reportDocId = (reportId: string) => `${REPORT_DOC_PREFIX}${reportId}`;

/** The model's document id: its weights hash, or the hash of its entry when the report has none. */
export async function modelDocId(m: TrustReportModel): Promise<string> {
  if (m.weightsSha256) return `${MODEL_DOC_PREFIX}${m.weightsSha256}`;
  return `${MODEL_DOC_PREFIX}entry-${await sha256Hex(new TextEncoder().encode(canonicalJson(m)))}`;
}

export interface ModelResultDocs {
  report: { _id: string; body: PublishedReport };
  models: Array<{ _id: string; body: PublishedModel }>;
}

/** The documents that publish a report: one per model (deduplicated by id) and the report's. */
export async function modelResultDocs(r: TrustReport, publishedBy: string, publishedAt: number): Promise<ModelResultDocs> {
  const report = publishableReport(r);
  const reportId = await sha256Hex(new TextEncoder().encode(canonicalJson(report)));
  const models: ModelResultDocs['models'] = [];
  const refs: PublishedReport['models'] = [];
  for (const m of report.models) {
    const _id = await modelDocId(m);
    refs.push({ doc: _id, id: m.id, ...(m.name !== undefined ? { name: m.name } : {}), family: m.family, weightsSha256: m.weightsSha256 });
    // the entry's own fields only (a CLI report's entries carry more, like the model's folder on that machine)
    const body: PublishedModel = { type: 'model', id: m.id, ...(m.name !== undefined ? { name: m.name } : {}), architecture: m.architecture, family: m.family, seed: m.seed, input: m.input, output: m.output, weightsSha256: m.weightsSha256, cascade: m.cascade ?? null };
    if (!models.some((x) => x._id === _id)) models.push({ _id, body });
  }
  const verdicts: Record<string, VerdictState> = {};
  for (const [k, v] of Object.entries(report.verdicts)) verdicts[k] = v.state;
  const body: PublishedReport = {
    type: 'trust-report', reportId, publishedBy, publishedAt,
    createdAt: report.createdAt, complete: report.complete, preset: report.preset, backend: report.backend,
    models: refs, methods: report.methods.map((m) => ({ id: m.id, label: m.label })), criteria: report.criteria.map((c) => ({ id: c.id, label: c.label })),
    cases: report.cases.length, verdicts, report,
  };
  return { report: { _id: reportDocId(reportId), body }, models };
}

/** A published report as listed (everything but the report itself). */
export type PublishedReportSummary = Omit<PublishedReport, 'report'> & { docId: string };

export function summaryOf(docId: string, d: PublishedReport): PublishedReportSummary {
  const { report, ...rest } = d; // eslint-disable-line @typescript-eslint/no-unused-vars
  return { ...rest, docId };
}

/**
 * Whether a value is a trust report this version reads: its schema and the parts the dashboard
 * and the documents need. Returns the problems, each a sentence naming `source`.
 */
export function trustReportProblems(v: unknown, source: string): string[] {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return [`${source} is not a JSON object, so it is not a Heatcheck trust report.`];
  const r = v as Record<string, unknown>;
  if (r.schema !== TRUST_REPORT_SCHEMA) return [`${source} has schema ${JSON.stringify(r.schema ?? null)}, not "${TRUST_REPORT_SCHEMA}": it is not a trust report this version reads (write one with heatcheck evaluate --out, or the dashboard's Metrics JSON).`];
  const out: string[] = [];
  for (const k of ['methods', 'criteria', 'models', 'cases', 'table', 'classifier'] as const) if (!Array.isArray(r[k])) out.push(`${source}: "${k}" should be a list.`);
  for (const k of ['cells', 'verdicts', 'pairs', 'settings'] as const) if (!r[k] || typeof r[k] !== 'object' || Array.isArray(r[k])) out.push(`${source}: "${k}" should be an object.`);
  if (typeof r.createdAt !== 'string') out.push(`${source}: "createdAt" should be a date string.`);
  if (out.length) return out;
  for (const [i, m] of (r.models as unknown[]).entries()) {
    const mm = m as Record<string, unknown> | null;
    if (!mm || typeof mm.id !== 'string' || typeof mm.family !== 'string' || !(typeof mm.weightsSha256 === 'string' || mm.weightsSha256 === null)) out.push(`${source}: models[${i}] needs an id, a family and a weightsSha256 (a hash or null).`);
  }
  for (const m of r.methods as Array<{ id?: unknown }>) {
    const cells = (r.cells as Record<string, unknown>)[String(m?.id)];
    if (typeof m?.id !== 'string' || !cells || typeof cells !== 'object') { out.push(`${source}: method ${JSON.stringify(m?.id ?? null)} has no cells.`); continue; }
    if (!(r.verdicts as Record<string, unknown>)[m.id]) out.push(`${source}: method ${m.id} has no verdict.`);
  }
  return out;
}
