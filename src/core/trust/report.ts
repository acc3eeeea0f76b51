/**
 * The trust report: one type and one JSON schema (`schema: "heatcheck.trust-report/1"`), written
 * by `heatcheck evaluate --out` and by the dashboard's JSON export alike.
 *
 * Every criterion is computed per unit (a model, or a model pair) and shown per unit; a method's
 * cell summarises its units. Cell and unit states:
 *  - pass / fail: the criterion's one-sided test at alpha;
 *  - inconclusive: the test did not pass, the effect points the passing way, and there are fewer
 *    cases than the test needs to detect it at alpha (nNeeded says how many);
 *  - n/a: the criterion cannot be computed (reason says why);
 *  - pending: maps it needs are still being computed (the dashboard, mid-run).
 * A cell fails when any unit fails; otherwise it is n/a, inconclusive or pending when any unit is,
 * and passes only when every unit passes. The verdict "trustworthy on all four" needs every cell
 * to pass; a cell that fails makes it "not trustworthy"; otherwise it is "undetermined".
 */
import type { CriterionResult, PerCaseValue } from '../metrics/criteria/types';
import type { ModelPair } from './plan';
import type { PooledReaderAgreement, ReaderAgreement } from '../annotation/agreement';

export const TRUST_REPORT_SCHEMA = 'heatcheck.trust-report/1';

export type CellState = 'pass' | 'fail' | 'inconclusive' | 'n/a' | 'pending';
export type VerdictState = 'trustworthy' | 'not trustworthy' | 'undetermined' | 'pending';

export interface TrustUnit {
  /** The unit's models: one, or the pair. */
  models: string[];
  /** Why these models form the unit. */
  rule: string;
  state: CellState;
  value: number | null;
  ci: [number, number] | null;
  n: number;
  p: number | null;
  /** Inconclusive: the cases the test needs to detect the observed effect (80% power at alpha). */
  nNeeded?: number;
  /** n/a: why; pending: what it waits for. */
  reason?: string;
  /** The per-case values of the unit (the cases behind the figure). */
  perCase: PerCaseValue[];
  /** Cases left out, with the reason. */
  skipped: Array<{ caseId: string; reason: string }>;
  params: Record<string, unknown>;
  details: unknown;
}

export interface TrustCell {
  criterion: string;
  method: string;
  state: CellState;
  /** The mean of the units' figures (labelled by `average`); null when no unit has one. */
  value: number | null;
  /** What `value` is: "mean over N models" or "mean over N model pairs", or the single unit. */
  average: string;
  /** Smallest n over the units. */
  n: number;
  reason?: string;
  nNeeded?: number;
  units: TrustUnit[];
  /** Warnings of the maps behind the cell (for example an IG completeness warning), de-duplicated. */
  warnings: string[];
}

export interface TrustVerdict {
  method: string;
  state: VerdictState;
  /** true only when every criterion's cell passes (every unit passes). */
  trustworthy: boolean;
  criteria: Record<string, CellState>;
  /** Why it is undetermined or not trustworthy: the criteria that are not passing, with their state. */
  reasons: string[];
}

export interface TrustReportModel {
  id: string;
  name?: string;
  architecture: string;
  family: string;
  seed: number | null;
  input: { height: number; width: number; channels: number };
  output: { kind: string; index: number };
  weightsSha256: string | null;
  cascade: Array<{ step: number; block: string }> | { unavailable: string } | null;
}

export interface TrustReportCase {
  id: string;
  name: string;
  label: 0 | 1 | null;
  width: number;
  height: number;
  readers: string[];
  /** Whether the study computes maps of this case. */
  mapped: boolean;
  /** Why the case has no reader ground truth for localization (null: it has one). */
  noGroundTruth: string | null;
}

export interface ClassifierResult {
  model: string;
  auroc: number | null;
  reason?: string;
  n: number;
  positives: number;
  negatives: number;
  target: string;
  roc: Array<{ fpr: number; tpr: number; threshold: number }>;
  perCase: Array<{ caseId: string; label: 0 | 1 | null; logit: number; probability: number }>;
}

export interface TrustReport {
  schema: typeof TRUST_REPORT_SCHEMA;
  createdAt: string;
  /** false while the dashboard is still computing. */
  complete: boolean;
  preset: string;
  backend: string | null;
  settings: Record<string, unknown>;
  methods: Array<{ id: string; label: string; family: string; parameters: Record<string, unknown>; seeded: boolean }>;
  criteria: Array<{ id: string; label: string; unit: string; perCase: string }>;
  models: TrustReportModel[];
  cases: TrustReportCase[];
  pairs: Record<string, ModelPair[]>;
  cells: Record<string, Record<string, TrustCell>>;
  verdicts: Record<string, TrustVerdict>;
  /** One printable line per method and criterion (the CLI prints it; the dashboard draws the same states). */
  table: Array<{ method: string; label: string; cells: Record<string, string>; verdict: string }>;
  classifier: ClassifierResult[];
  readerAgreement: {
    rule: string;
    pooled: PooledReaderAgreement | null;
    perCase: Array<{ caseId: string } & Omit<ReaderAgreement, 'pixelCounts'>>;
  };
  reference: { seed: unknown; beside: Array<{ quantity: string; seed: unknown; ours: unknown }> };
  /** Maps counted by the map source (computed, reused from a store or cache). */
  counts: Record<string, number>;
  /** Seconds: wall time and map time. */
  timings: Record<string, number>;
}

export type { CriterionResult };

/**
 * The report as JSON text: the dashboard's "Metrics JSON" export, and what is published to the
 * study database. JSON has no NaN or Infinity: a non-finite number is written as its string
 * ("NaN", "Infinity"), so it is not silently turned into null.
 */
export function trustReportJson(r: TrustReport, indent = 2): string {
  return JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), indent);
}
