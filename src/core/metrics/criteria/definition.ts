/**
 * What one trust criterion is, as the orchestrator (src/core/trust/study.ts) sees it: an id and a
 * label, its unit of analysis (one model, or a pair of models chosen by a pairing rule), the
 * per-case value of a unit, the aggregate over a unit's cases, and the test whose one-sided sample
 * decides pass, fail or inconclusive. A new criterion is one file exporting a CriterionDefinition
 * and one line in registry.ts.
 */
import type { ModelPair, PairableModel } from '../../trust/plan';
import type { CriterionResult, PerCaseValue, Plane } from './types';
import type { CaseSet, LocalizationMetrics, PreparedCase } from './localization';

/** A model or a model pair; the report shows every criterion per unit. */
export type UnitKind = 'model' | 'model-pair';

export interface UnitSettings {
  caseSet: CaseSet;
  quorum: number;
  dataRange: number;
  resamples: number;
  bootstrapSeed: number;
  alpha: number;
  /** Seed of the randomization threshold's case pairs and of the re-initialisation. */
  randomizationSeed: number;
  thresholdPairs: number;
  /** Mean pairwise IoU between readers (set beside map agreement), or null. */
  readerAgreementIoU: number | null;
}

/** What a criterion may read while computing one unit for one method. */
export interface UnitContext {
  method: string;
  /** The unit's models (one, or the pair in its order). */
  models: string[];
  /** Cases whose maps the study computes (abnormal cases, plus normals when asked for), study order. */
  mappedCases: string[];
  /** The cases that enter the randomization cascade (the first N mapped cases). */
  randomizationCases: string[];
  settings: UnitSettings;
  label(caseId: string): 0 | 1 | null;
  /** The trained model's map, undefined while it is not known yet. */
  map(caseId: string, modelId: string): Plane | undefined;
  /** The model's abnormal probability for the case (from its declared output), undefined while unknown. */
  probability(caseId: string, modelId: string): number | undefined;
  /** The case's reader ground truth on the model's grid, or why it has none. */
  groundTruth(caseId: string, modelId: string): { prepared: PreparedCase; averageMask: LocalizationMetrics | null } | { none: string };
  /** The cascade steps the study visits for the model (indices into its cascade), or why it cannot be randomized. */
  cascade(modelId: string): { visited: Array<{ step: number; label: string }> } | { unavailable: string };
  /** The map of the model randomized down to `step`, undefined while unknown. */
  randomizedMap(caseId: string, modelId: string, step: number): Plane | undefined;
}

/** The one-sided sample behind a criterion's test, oriented so that "pass" means its mean is above zero. */
export interface TestSample {
  /** Per-case values minus the null value (sign flipped for "less" tests). */
  oriented: number[];
  /** Words for the test, for the report. */
  test: string;
}

export interface CriterionDefinition<PC extends PerCaseValue = PerCaseValue> {
  id: string;
  label: string;
  unit: UnitKind;
  /** The units of the study: every model, or the pairs the rule forms (with why none can be formed). */
  units(models: readonly PairableModel[]): { units: ModelPair[] } | { none: string };
  /** Words for the per-case value (shown with the unit's cases). */
  perCaseLabel: string;
  /** Whether the per-case value reads the readers' boxes (a box edit recomputes only these). */
  readsReaders: boolean;
  /** Cases the unit evaluates (default: every mapped case). */
  cases?(u: UnitContext): string[];
  /** One case of one unit: its value, the reason it is left out ({skip}), or null while a map it needs is not known. */
  perCase(u: UnitContext, caseId: string): PC | { skip: string } | null;
  /** The unit's result from its per-case values; the cell's figure is `value`. */
  aggregate(u: UnitContext, perCase: PC[], skipped: Array<{ caseId: string; reason: string }>): CriterionResult<unknown>;
  /** The test's one-sided sample, for deciding inconclusive (too few cases) from fail. */
  testSample(r: CriterionResult<unknown>): TestSample;
}

/** Every model is a unit of its own. */
export function everyModel(models: readonly PairableModel[]): { units: ModelPair[] } | { none: string } {
  if (!models.length) return { none: 'no models' };
  return { units: models.map((m) => ({ a: m.id, b: m.id, rule: `model ${m.id}` })) };
}
