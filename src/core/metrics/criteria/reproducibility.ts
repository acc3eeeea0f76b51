/**
 * Reproducibility (SPEC 5.4): as repeatability, between two different architectures (possibly with
 * different input sizes: compared on the smaller grid, the larger map resampled bilinearly with
 * half-pixel centres; the grid is recorded in params.grid). Pass: mean SSIM significantly above 0.5.
 */
import { aggregateMapAgreement, mapAgreementCase, type MapAgreementDetails, type MapAgreementOptions, type MapPairCase } from './repeatability';
import type { CriterionResult } from './types';

export function reproducibility(method: string, cases: readonly MapPairCase[], opts: MapAgreementOptions = {}): CriterionResult<MapAgreementDetails> {
  return aggregateMapAgreement('reproducibility', method, cases.map((c) => mapAgreementCase(c, opts.dataRange)), opts);
}
