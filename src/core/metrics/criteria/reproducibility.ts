/**
 * Reproducibility (SPEC 5.4): as repeatability, between two different architectures (possibly with
 * different input sizes: compared on the smaller grid, the larger map resampled bilinearly with
 * half-pixel centres; the grid is recorded in params.grid). Pass: mean SSIM significantly above 0.5.
 */
import { aggregateMapAgreement, aggregateMapAgreementUnit, mapAgreementCase, mapAgreementPerCase, mapAgreementTestSample, type MapAgreementCase, type MapAgreementDetails, type MapAgreementOptions, type MapPairCase } from './repeatability';
import type { CriterionResult } from './types';
import type { CriterionDefinition } from './definition';
import { noPairsReason, reproducibilityPairs } from '../../trust/plan';

export function reproducibility(method: string, cases: readonly MapPairCase[], opts: MapAgreementOptions = {}): CriterionResult<MapAgreementDetails> {
  return aggregateMapAgreement('reproducibility', method, cases.map((c) => mapAgreementCase(c, opts.dataRange)), opts);
}

/** Reproducibility per model pair: different families (same seed where they share one). */
export const reproducibilityCriterion: CriterionDefinition<MapAgreementCase> = {
  id: 'reproducibility',
  label: 'Reproducibility',
  unit: 'model-pair',
  units(models) {
    const pairs = reproducibilityPairs(models);
    return pairs.length ? { units: pairs } : { none: noPairsReason('reproducibility', models) };
  },
  perCaseLabel: 'SSIM between the two architectures\' maps',
  readsReaders: false,
  perCase: mapAgreementPerCase,
  aggregate: (u, perCase) => aggregateMapAgreementUnit('reproducibility', u, perCase),
  testSample: mapAgreementTestSample,
};
