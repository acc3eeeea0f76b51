/**
 * Repeatability (SPEC 5.3): two models of one architecture trained with different seeds. Per case:
 * SSIM between their maps (headline) and IoU of their Otsu masks. Pass: mean SSIM significantly
 * above 0.5: one-sided one-sample t-test (scipy.stats.ttest_1samp(ssims, 0.5,
 * alternative='greater')), p < alpha. Reproducibility (two architectures) is the same computation
 * (reproducibility.ts); maps on different grids are compared on the smaller one, the larger map
 * resampled bilinearly with half-pixel centres, and the grid is recorded.
 */
import { ssim } from '../ssim';
import { otsuMask } from '../otsu';
import { iou } from '../segmentation';
import { bilinearResize } from '../resample';
import { oneSampleTTest } from '../ttest';
import { meanCI, checkPlane, finiteMean } from './common';
import { DEFAULT_STATS, type CriterionResult, type CriterionId, type PerCaseValue, type Plane, type StatsOptions } from './types';
import type { CriterionDefinition, UnitContext } from './definition';
import { noPairsReason, repeatabilityPairs } from '../../trust/plan';

export interface MapPairCase {
  caseId: string;
  a: Plane;
  b: Plane;
}

export interface MapAgreementOptions extends StatsOptions {
  /** SSIM data range (default 2). */
  dataRange?: number;
  /** The mean SSIM must be significantly above this (default 0.5). */
  ssimThreshold?: number;
  /** Names of the two models, recorded in params. */
  models?: [string, string];
  /** Reader agreement (for example mean pairwise IoU) to set beside the Otsu IoU: the stronger reading. */
  readerAgreementIoU?: number;
}

export interface MapAgreementCase extends PerCaseValue {
  ssim: number;
  otsuIoU: number;
  grid: { height: number; width: number };
}

export interface MapAgreementDetails {
  meanOtsuIoU: number;
  otsuIoUCI: [number, number];
  grids: Array<{ height: number; width: number }>;
  readerAgreementIoU: number | null;
}

/** One case: SSIM and Otsu-mask IoU on the smaller grid. */
export function mapAgreementCase(c: MapPairCase, dataRange = 2): MapAgreementCase {
  checkPlane(c.a, `case ${c.caseId}: first map`);
  checkPlane(c.b, `case ${c.caseId}: second map`);
  const aSmaller = c.a.height * c.a.width <= c.b.height * c.b.width;
  const grid = aSmaller ? { height: c.a.height, width: c.a.width } : { height: c.b.height, width: c.b.width };
  const on = (p: Plane) => (p.height === grid.height && p.width === grid.width ? p.data : bilinearResize(p.data, p.height, p.width, grid.height, grid.width));
  const a = on(c.a);
  const b = on(c.b);
  const s = ssim(a, b, grid.height, grid.width, { dataRange });
  const o = iou(otsuMask(a).mask, otsuMask(b).mask);
  return { caseId: c.caseId, value: s, ssim: s, otsuIoU: o, grid };
}

export function aggregateMapAgreement(criterion: Extract<CriterionId, 'repeatability' | 'reproducibility'>, method: string, perCase: MapAgreementCase[], opts: MapAgreementOptions = {}): CriterionResult<MapAgreementDetails> {
  const stats = { ...DEFAULT_STATS, ...opts };
  const threshold = opts.ssimThreshold ?? 0.5;
  const v = perCase.map((c) => c.ssim);
  const { mean, ci } = meanCI(v, stats);
  const t = oneSampleTTest(v, threshold, 'greater');
  const ious = perCase.map((c) => c.otsuIoU);
  const io = meanCI(ious, stats);
  const grids: Array<{ height: number; width: number }> = [];
  for (const c of perCase) if (!grids.some((g) => g.height === c.grid.height && g.width === c.grid.width)) grids.push(c.grid);
  return {
    criterion,
    method,
    value: mean,
    ci,
    n: perCase.length,
    p: t.p,
    pass: t.p < stats.alpha,
    params: {
      models: opts.models ?? null,
      test: `one-sample t-test, one-sided (per-case SSIM > ${threshold}), scipy.stats.ttest_1samp(alternative='greater')`,
      ssimThreshold: threshold,
      ssim: { window: 7, K1: 0.01, K2: 0.03, dataRange: opts.dataRange ?? 2 },
      grid: grids.length === 1 ? grids[0] : grids,
      resampling: 'larger map bilinear (half-pixel centres) onto the smaller grid',
      alpha: stats.alpha,
      bootstrap: { resamples: stats.resamples, seed: stats.seed, method: 'percentile' },
    },
    perCase,
    details: { meanOtsuIoU: finiteMean(ious), otsuIoUCI: io.ci, grids, readerAgreementIoU: opts.readerAgreementIoU ?? null },
  };
}

export function repeatability(method: string, cases: readonly MapPairCase[], opts: MapAgreementOptions = {}): CriterionResult<MapAgreementDetails> {
  return aggregateMapAgreement('repeatability', method, cases.map((c) => mapAgreementCase(c, opts.dataRange)), opts);
}

/** Per case of a pair unit: the two models' maps compared (SSIM headline, Otsu IoU beside). */
export function mapAgreementPerCase(u: UnitContext, caseId: string): MapAgreementCase | null {
  const a = u.map(caseId, u.models[0]);
  const b = u.map(caseId, u.models[1]);
  if (!a || !b) return null;
  return mapAgreementCase({ caseId, a, b }, u.settings.dataRange);
}

export function aggregateMapAgreementUnit(criterion: 'repeatability' | 'reproducibility', u: UnitContext, perCase: MapAgreementCase[]): CriterionResult<MapAgreementDetails> {
  return aggregateMapAgreement(criterion, u.method, perCase, { resamples: u.settings.resamples, seed: u.settings.bootstrapSeed, alpha: u.settings.alpha, dataRange: u.settings.dataRange, models: [u.models[0], u.models[1]], readerAgreementIoU: u.settings.readerAgreementIoU ?? undefined });
}

export const mapAgreementTestSample = (r: CriterionResult<unknown>) => ({ oriented: r.perCase.map((c) => c.value - ((r.params.ssimThreshold as number) ?? 0.5)), test: String(r.params.test) });

/** Repeatability per model pair: same family, different seeds. */
export const repeatabilityCriterion: CriterionDefinition<MapAgreementCase> = {
  id: 'repeatability',
  label: 'Repeatability',
  unit: 'model-pair',
  units(models) {
    const pairs = repeatabilityPairs(models);
    return pairs.length ? { units: pairs } : { none: noPairsReason('repeatability', models) };
  },
  perCaseLabel: 'SSIM between the two models\' maps',
  readsReaders: false,
  perCase: mapAgreementPerCase,
  aggregate: (u, perCase) => aggregateMapAgreementUnit('repeatability', u, perCase),
  testSample: mapAgreementTestSample,
};
