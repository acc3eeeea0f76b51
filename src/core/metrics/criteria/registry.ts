/**
 * The trust criteria, in report order. A new criterion is one file exporting a
 * CriterionDefinition and one line here; the orchestrator, the report, the CLI table, the CSV and
 * the dashboard read this list.
 */
import type { CriterionDefinition } from './definition';
import { localizationCriterion } from './localization';
import { randomizationCriterion } from './randomization';
import { repeatabilityCriterion } from './repeatability';
import { reproducibilityCriterion } from './reproducibility';

export const CRITERIA: readonly CriterionDefinition<any>[] = [
  localizationCriterion,
  randomizationCriterion,
  repeatabilityCriterion,
  reproducibilityCriterion,
];
