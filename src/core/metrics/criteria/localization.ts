/**
 * Localization (SPEC 5.1). Per case, on the model's input grid: the map's pixels are scores and the
 * consensus pixels (resampled from the original resolution by nearest neighbour) are positives.
 * Metrics: pixel AUROC (headline by default), AUPRC, IoU and Dice of the Otsu segmentation, hit
 * rate (pointing game). Baselines on the same cases:
 *  - averageMask: the mean of the OTHER abnormal cases' consensus masks (grid), used as a map;
 *  - edge: the Sobel magnitude of the case's image on the grid (edges.ts);
 *  - readers: each reader's own mask against the consensus of the other readers, averaged over
 *    readers (a binary map; hit rate is not defined for it and is left out).
 * Pass: the method's per-case headline is greater than the edge baseline's, by a one-sided PAIRED
 * t-test (scipy.stats.ttest_rel(method, edge, alternative='greater')), p < alpha (0.05).
 * Cases: abnormal (label 1) with a consensus that is neither empty nor the whole grid; optionally
 * only those the model classified correctly at 0.5 (caseSet 'correct-at-0.5', the journal's choice).
 */
import { aurocSorted, splitSorted, rankingUndefinedReason } from '../auroc';
import { auprcSorted } from '../auprc';
import { otsuMask } from '../otsu';
import { overlapMetrics, hitRate } from '../segmentation';
import { sobelMagnitude } from '../edges';
import { nearestResize, bilinearResize } from '../resample';
import { pairedTTest } from '../ttest';
import { consensusMask } from '../../annotation/consensus';
import { meanCI, checkPlane, finiteMean } from './common';
import { DEFAULT_STATS, type CriterionResult, type PerCaseValue, type Plane, type StatsOptions } from './types';
import { everyModel, type CriterionDefinition } from './definition';

export type LocalizationMetric = 'auroc' | 'auprc' | 'iou' | 'dice' | 'hit';
export type CaseSet = 'all-abnormal' | 'correct-at-0.5';

export interface LocalizationMetrics {
  auroc: number;
  auprc: number;
  iou: number;
  dice: number;
  hit: number;
}

export interface LocalizationCaseInput {
  caseId: string;
  /** Study label; only abnormal (1) cases count. */
  label: 0 | 1 | null;
  /** The model's probability of abnormal, for the 'correct-at-0.5' case set. */
  probability?: number;
  /** The saliency map on the model's input grid. */
  map: Plane;
  /** Consensus mask at the original resolution (resampled to the grid by nearest neighbour). */
  consensus: Plane;
  /** The image (any resolution; bilinearly resampled to the grid) for the edge baseline. */
  image?: Plane;
  /** Each finished reader's mask at the consensus' resolution, for the readers baseline. */
  readers?: Record<string, Uint8Array>;
}

export interface LocalizationOptions extends StatsOptions {
  metric?: LocalizationMetric;
  caseSet?: CaseSet;
  /** Reader quorum for the readers baseline (default 2, capped at the number of other readers). */
  quorum?: number;
}

/** Everything about a case that does not depend on the method: its grid-level truth and baselines. */
export interface PreparedCase {
  caseId: string;
  grid: { height: number; width: number };
  consensus: Uint8Array;
  skipped: string | null;
  edge: LocalizationMetrics | null;
  readers: LocalizationMetrics | null;
}

/** The five metrics of one map against one mask (mask must be neither empty nor full). */
export function localizationMetrics(map: ArrayLike<number>, mask: Uint8Array): LocalizationMetrics {
  const sorted = splitSorted(map, mask);
  const seg = otsuMask(map).mask;
  const o = overlapMetrics(seg, mask);
  return { auroc: aurocSorted(sorted), auprc: auprcSorted(sorted), iou: o.iou, dice: o.dice, hit: hitRate(map, mask) };
}

function toGrid(mask: Plane, h: number, w: number): Uint8Array {
  const src = mask.data instanceof Uint8Array ? mask.data : Uint8Array.from(mask.data, (v) => (v ? 1 : 0));
  return mask.height === h && mask.width === w ? src : nearestResize(src, mask.height, mask.width, h, w);
}

/** Grid-level consensus and the method-independent baselines (edge, readers) of one case. */
export function prepareCase(c: LocalizationCaseInput, grid: { height: number; width: number }, quorum = 2): PreparedCase {
  checkPlane(c.consensus, `case ${c.caseId}: consensus`);
  const { height: h, width: w } = grid;
  const consensus = toGrid(c.consensus, h, w);
  const skipped = rankingUndefinedReason(consensus);
  let edge: LocalizationMetrics | null = null;
  let readers: LocalizationMetrics | null = null;
  if (!skipped && c.image) {
    checkPlane(c.image, `case ${c.caseId}: image`);
    const img = c.image.height === h && c.image.width === w ? c.image.data : bilinearResize(c.image.data, c.image.height, c.image.width, h, w);
    edge = localizationMetrics(sobelMagnitude(img, h, w), consensus);
  }
  const names = c.readers ? Object.keys(c.readers).sort() : [];
  if (!skipped && names.length >= 2) {
    const per: LocalizationMetrics[] = [];
    const masks = names.map((r) => c.readers![r]);
    for (let i = 0; i < names.length; i++) {
      const others = masks.filter((_, k) => k !== i);
      const truth = toGrid({ data: consensusMask(others, Math.min(quorum, others.length), masks[i].length), height: c.consensus.height, width: c.consensus.width }, h, w);
      const own = toGrid({ data: masks[i], height: c.consensus.height, width: c.consensus.width }, h, w);
      if (rankingUndefinedReason(truth)) continue;
      const sorted = splitSorted(own, truth);
      const o = overlapMetrics(own, truth);
      per.push({ auroc: aurocSorted(sorted), auprc: auprcSorted(sorted), iou: o.iou, dice: o.dice, hit: NaN });
    }
    if (per.length > 0) {
      readers = {
        auroc: finiteMean(per.map((p) => p.auroc)),
        auprc: finiteMean(per.map((p) => p.auprc)),
        iou: finiteMean(per.map((p) => p.iou)),
        dice: finiteMean(per.map((p) => p.dice)),
        hit: NaN,
      };
    }
  }
  return { caseId: c.caseId, grid, consensus, skipped, edge, readers };
}

/** Average-mask baseline: for each case, the mean of the other cases' grid consensus as a map. */
export function averageMaskBaselines(cases: readonly PreparedCase[]): Map<string, LocalizationMetrics> {
  const used = cases.filter((c) => !c.skipped);
  const out = new Map<string, LocalizationMetrics>();
  if (used.length < 2) return out;
  const n = used[0].consensus.length;
  const sum = new Float64Array(n);
  for (const c of used) for (let i = 0; i < n; i++) sum[i] += c.consensus[i];
  const map = new Float64Array(n);
  for (const c of used) {
    for (let i = 0; i < n; i++) map[i] = (sum[i] - c.consensus[i]) / (used.length - 1);
    out.set(c.caseId, localizationMetrics(map, c.consensus));
  }
  return out;
}

/** Whether a case belongs to the case set. Returns the reason when it does not. */
export function caseSetExclusion(c: { label: 0 | 1 | null; probability?: number }, caseSet: CaseSet): string | null {
  if (c.label !== 1) return 'not an abnormal case';
  if (caseSet === 'correct-at-0.5') {
    if (c.probability === undefined || c.probability !== c.probability) return 'no model probability for the correct-at-0.5 case set';
    if (c.probability < 0.5) return 'misclassified at 0.5';
  }
  return null;
}

export interface LocalizationPerCase extends PerCaseValue {
  method: LocalizationMetrics;
  edge: LocalizationMetrics | null;
  averageMask: LocalizationMetrics | null;
  readers: LocalizationMetrics | null;
}

export interface BaselineSummary {
  value: number;
  ci: [number, number];
  n: number;
  means: LocalizationMetrics;
}

export interface LocalizationDetails {
  means: LocalizationMetrics;
  baselines: { edge: BaselineSummary | null; averageMask: BaselineSummary | null; readers: BaselineSummary | null };
  /** Mean difference method - edge of the headline metric over the paired cases. */
  differenceFromEdge: number;
  skipped: Array<{ caseId: string; reason: string }>;
}

function meansOf(ms: LocalizationMetrics[]): LocalizationMetrics {
  return {
    auroc: finiteMean(ms.map((m) => m.auroc)),
    auprc: finiteMean(ms.map((m) => m.auprc)),
    iou: finiteMean(ms.map((m) => m.iou)),
    dice: finiteMean(ms.map((m) => m.dice)),
    hit: finiteMean(ms.map((m) => m.hit)),
  };
}

/** Combines per-case results into the criterion (the aggregate step; cheap). */
export function aggregateLocalization(
  method: string,
  perCase: LocalizationPerCase[],
  skipped: Array<{ caseId: string; reason: string }>,
  opts: LocalizationOptions & { grid?: { height: number; width: number } } = {},
): CriterionResult<LocalizationDetails> {
  const metric = opts.metric ?? 'auroc';
  const stats = { ...DEFAULT_STATS, ...opts };
  const vals = perCase.map((c) => c.value);
  const { mean, ci } = meanCI(vals, stats);
  const baseline = (pick: (c: LocalizationPerCase) => LocalizationMetrics | null): BaselineSummary | null => {
    const ms = perCase.map(pick).filter((m): m is LocalizationMetrics => m !== null);
    if (ms.length === 0) return null;
    const v = ms.map((m) => m[metric]).filter((x) => Number.isFinite(x));
    const r = meanCI(v, stats);
    return { value: r.mean, ci: r.ci, n: v.length, means: meansOf(ms) };
  };
  const paired = perCase.filter((c) => c.edge !== null && Number.isFinite(c.edge[metric]));
  const test = pairedTTest(paired.map((c) => c.value), paired.map((c) => c.edge![metric]), 'greater');
  return {
    criterion: 'localization',
    method,
    value: mean,
    ci,
    n: perCase.length,
    p: test.p,
    pass: test.p < stats.alpha,
    params: {
      metric,
      caseSet: opts.caseSet ?? 'all-abnormal',
      grid: opts.grid ?? null,
      consensusResampling: 'nearest',
      test: `paired t-test, one-sided (method ${metric} > edge-baseline ${metric}), scipy.stats.ttest_rel(alternative='greater')`,
      pairedCases: paired.length,
      alpha: stats.alpha,
      bootstrap: { resamples: stats.resamples, seed: stats.seed, method: 'percentile' },
      edgeMap: 'Sobel magnitude (skimage.filters.sobel) of the image on the grid',
      quorum: opts.quorum ?? 2,
    },
    perCase,
    details: {
      means: meansOf(perCase.map((c) => c.method)),
      baselines: { edge: baseline((c) => c.edge), averageMask: baseline((c) => c.averageMask), readers: baseline((c) => c.readers) },
      differenceFromEdge: test.mean,
      skipped,
    },
  };
}

/** Per-case entry for one method on a prepared case. */
export function localizationCase(map: Plane, prep: PreparedCase, averageMask: LocalizationMetrics | null, metric: LocalizationMetric = 'auroc'): LocalizationPerCase {
  checkPlane(map, `case ${prep.caseId}: map`);
  if (map.height !== prep.grid.height || map.width !== prep.grid.width) {
    throw new Error(`case ${prep.caseId}: the map is ${map.height}x${map.width} but the grid is ${prep.grid.height}x${prep.grid.width}`);
  }
  const m = localizationMetrics(map.data, prep.consensus);
  return { caseId: prep.caseId, value: m[metric], method: m, edge: prep.edge, averageMask, readers: prep.readers };
}

/** The localization criterion for one method over a set of cases (all maps on one grid). */
export function localization(method: string, cases: readonly LocalizationCaseInput[], opts: LocalizationOptions = {}): CriterionResult<LocalizationDetails> {
  const caseSet = opts.caseSet ?? 'all-abnormal';
  const skipped: Array<{ caseId: string; reason: string }> = [];
  const grid = cases.length > 0 ? { height: cases[0].map.height, width: cases[0].map.width } : undefined;
  // Every abnormal case is prepared: the average-mask baseline averages all abnormal cases' consensus
  // (except the case's own), whichever subset the case set keeps.
  const abnormal = cases.filter((c) => c.label === 1);
  const preps = new Map(abnormal.map((c) => [c.caseId, prepareCase(c, { height: c.map.height, width: c.map.width }, opts.quorum)] as const));
  const avg = averageMaskBaselines([...preps.values()]);
  const perCase: LocalizationPerCase[] = [];
  for (const c of cases) {
    const why = caseSetExclusion(c, caseSet) ?? preps.get(c.caseId)?.skipped ?? null;
    if (why) {
      skipped.push({ caseId: c.caseId, reason: why });
      continue;
    }
    const p = preps.get(c.caseId)!;
    perCase.push(localizationCase(c.map, p, avg.get(p.caseId) ?? null, opts.metric));
  }
  return aggregateLocalization(method, perCase, skipped, { ...opts, grid });
}

/**
 * The localization criterion per model: abnormal cases with reader ground truth (a consensus mask)
 * in the case set; per case the map's pixel AUROC against the consensus on the model's grid;
 * paired one-sided t-test of the method against the edge baseline.
 */
export const localizationCriterion: CriterionDefinition<LocalizationPerCase> = {
  id: 'localization',
  label: 'Localization',
  unit: 'model',
  units: everyModel,
  perCaseLabel: 'pixel AUROC of the map against the readers\' consensus',
  readsReaders: true,
  perCase(u, caseId) {
    const model = u.models[0];
    const label = u.label(caseId);
    if (label !== 1) return { skip: label === 0 ? 'normal case' : 'no label' };
    const gt = u.groundTruth(caseId, model);
    if ('none' in gt) return { skip: gt.none };
    const why = caseSetExclusion({ label, probability: u.probability(caseId, model) }, u.settings.caseSet);
    if (why) return { skip: why };
    const map = u.map(caseId, model);
    if (!map) return null;
    return localizationCase(map, gt.prepared, gt.averageMask, 'auroc');
  },
  aggregate(u, perCase, skipped) {
    const r = aggregateLocalization(u.method, perCase, skipped, { metric: 'auroc', caseSet: u.settings.caseSet, quorum: u.settings.quorum, resamples: u.settings.resamples, seed: u.settings.bootstrapSeed, alpha: u.settings.alpha, });
    r.params.model = u.models[0];
    return r;
  },
  testSample(r) {
    const per = r.perCase as LocalizationPerCase[];
    const paired = per.filter((c) => c.edge !== null && Number.isFinite(c.edge.auroc));
    return { oriented: paired.map((c) => c.value - c.edge!.auroc), test: String(r.params.test) };
  },
};
