import * as Plot from '@observablehq/plot';
import type { DashboardView as TrustReport } from './view';
import type { LocalizationPerCase } from '../../core/metrics/criteria/localization';

/**
 * The dashboard's figures as data (rows for the tables, the same rows for the plots) and Observable
 * Plot options. Colours: Okabe-Ito (colour-blind safe), and every series also has its own symbol.
 */
export const OKABE_ITO = ['#E69F00', '#56B4E9', '#009E73', '#D55E00', '#CC79A7', '#0072B2', '#F0E442', '#999999'];
const SYMBOLS = ['circle', 'square', 'triangle', 'diamond', 'star', 'cross', 'wye', 'plus'];

export interface CasePoint {
  series: string;
  caseId: string;
  name: string;
  value: number;
}

const nameOf = (r: TrustReport) => {
  const m = new Map(r.config.cases.map((c) => [c.caseId, c.name]));
  return (id: string) => m.get(id) ?? id;
};
const label = (r: TrustReport, method: string) => r.rows.find((x) => x.method === method)?.label ?? method;

/** Localization per case: each method's AUROC and the baselines (edge, average mask, readers) on the primary model. */
export function localizationPoints(r: TrustReport): CasePoint[] {
  const loc = r.localization[r.config.primaryModel] ?? {};
  const name = nameOf(r);
  const out: CasePoint[] = [];
  const metric = (loc[r.config.methods[0]]?.params.metric as string) ?? 'auroc';
  let base: LocalizationPerCase[] = [];
  for (const method of r.config.methods) {
    const res = loc[method];
    if (!res) continue;
    const per = res.perCase as LocalizationPerCase[];
    if (per.length > base.length) base = per;
    for (const c of per) if (Number.isFinite(c.value)) out.push({ series: label(r, method), caseId: c.caseId, name: name(c.caseId), value: c.value });
  }
  const m = metric as keyof NonNullable<LocalizationPerCase['edge']>;
  for (const c of base) {
    if (c.averageMask && Number.isFinite(c.averageMask[m])) out.push({ series: 'baseline: average consensus', caseId: c.caseId, name: name(c.caseId), value: c.averageMask[m] });
    if (c.edge && Number.isFinite(c.edge[m])) out.push({ series: 'baseline: edge map', caseId: c.caseId, name: name(c.caseId), value: c.edge[m] });
    if (c.readers && Number.isFinite(c.readers[m])) out.push({ series: 'readers (vs others)', caseId: c.caseId, name: name(c.caseId), value: c.readers[m] });
  }
  return out;
}

export interface SeriesSummary { series: string; mean: number; lo: number; hi: number; n: number }
export function summarize(points: CasePoint[]): SeriesSummary[] {
  const by = new Map<string, number[]>();
  for (const p of points) by.set(p.series, [...(by.get(p.series) ?? []), p.value]);
  return [...by].map(([series, v]) => {
    const s = [...v].sort((a, b) => a - b);
    return { series, mean: v.reduce((a, b) => a + b, 0) / v.length, lo: s[0], hi: s[s.length - 1], n: v.length };
  });
}

function dotPlot(points: CasePoint[], xLabel: string, rule: number | null, domain: [number, number]): Plot.PlotOptions {
  const series = [...new Set(points.map((p) => p.series))];
  const means = summarize(points);
  return {
    marginLeft: 220,
    height: Math.max(120, 36 * series.length + 50),
    width: 720,
    x: { domain, label: xLabel, grid: true },
    y: { domain: series, label: null },
    color: { domain: series, range: OKABE_ITO },
    symbol: { domain: series, range: SYMBOLS },
    marks: [
      ...(rule !== null ? [Plot.ruleX([rule], { stroke: 'currentColor', strokeDasharray: '4,3' })] : []),
      Plot.dot(points, { x: 'value', y: 'series', stroke: 'series', symbol: 'series', r: 4.5, strokeWidth: 1.6 }),
      Plot.tickX(means, { x: 'mean', y: 'series', stroke: 'currentColor', strokeWidth: 2.5 }),
      Plot.tip(points, Plot.pointer({ x: 'value', y: 'series', title: (d: CasePoint) => `${d.name}\n${d.series}: ${d.value.toFixed(3)}\nclick to open in Compare` })),
    ],
  };
}

export function localizationPlot(r: TrustReport): Plot.PlotOptions {
  const metric = String(r.localization[r.config.primaryModel]?.[r.config.methods[0]]?.params.metric ?? 'auroc').toUpperCase();
  return dotPlot(localizationPoints(r), `pixel ${metric} per case (tick: mean) →`, 0.5, [0, 1]);
}

export function agreementPoints(r: TrustReport, criterion: 'repeatability' | 'reproducibility'): CasePoint[] {
  const name = nameOf(r);
  const out: CasePoint[] = [];
  for (const method of r.config.methods) {
    const res = r[criterion][method];
    if (!res) continue;
    for (const c of res.perCase) out.push({ series: label(r, method), caseId: c.caseId, name: name(c.caseId), value: c.value });
  }
  return out;
}

export function agreementPlot(r: TrustReport, criterion: 'repeatability' | 'reproducibility'): Plot.PlotOptions {
  return dotPlot(agreementPoints(r, criterion), 'SSIM between the two models\u2019 maps per case (dashed: 0.5) →', 0.5, [-0.2, 1]);
}

export interface CurvePoint { method: string; stepIndex: number; step: string; mean: number; lo: number; hi: number; threshold: number; pass: boolean; n: number }
export function randomizationCurve(r: TrustReport): CurvePoint[] {
  const out: CurvePoint[] = [];
  for (const method of r.config.methods) {
    const res = r.randomization[method];
    if (!res) continue;
    (res.details.curve as Array<{ step: string; mean: number; ci: [number, number]; pass: boolean; n: number }>).forEach((c, i) => out.push({ method: label(r, method), stepIndex: i + 1, step: c.step, mean: c.mean, lo: c.ci[0], hi: c.ci[1], threshold: res.details.threshold, pass: c.pass, n: c.n }));
  }
  return out;
}

export interface RandomCasePoint extends CasePoint { stepIndex: number; step: string }
export function randomizationCasePoints(r: TrustReport): RandomCasePoint[] {
  const name = nameOf(r);
  const steps = r.randomizationSteps.map((s) => s.block);
  const out: RandomCasePoint[] = [];
  for (const method of r.config.methods) {
    const res = r.randomization[method];
    if (!res) continue;
    for (const c of res.perCase) {
      const by = (c as { byStep?: number[] }).byStep ?? [];
      by.forEach((v, i) => { if (Number.isFinite(v)) out.push({ series: label(r, method), caseId: c.caseId, name: name(c.caseId), value: v, stepIndex: i + 1, step: steps[i] ?? String(i + 1) }); });
    }
  }
  return out;
}

export function randomizationPlot(r: TrustReport): Plot.PlotOptions {
  const curve = randomizationCurve(r);
  const pts = randomizationCasePoints(r);
  const methods = [...new Set(curve.map((c) => c.method))];
  const steps = r.randomizationSteps.map((s, i) => `${i + 1}. ${s.block}`);
  const thresholds = methods.map((m) => ({ method: m, threshold: curve.find((c) => c.method === m)!.threshold }));
  return {
    width: 720,
    height: 320,
    marginLeft: 50,
    marginBottom: 60,
    x: { domain: [0.5, Math.max(1, steps.length) + 0.5], label: 'cascade: blocks re-initialised from the output (1) to the input →', ticks: steps.length, tickFormat: (i: number) => steps[i - 1] ?? '', tickRotate: -20 },
    y: { domain: [-0.2, 1], label: '↑ SSIM to the trained model\u2019s map (dashed: threshold)', grid: true },
    color: { domain: methods, range: OKABE_ITO, legend: true },
    symbol: { domain: methods, range: SYMBOLS },
    marks: [
      Plot.ruleY(thresholds, { y: 'threshold', stroke: 'method', strokeDasharray: '5,4' }),
      Plot.dot(pts, { x: 'stepIndex', y: 'value', stroke: 'series', symbol: 'series', r: 2.5, strokeOpacity: 0.55, dx: 0 }),
      Plot.line(curve, { x: 'stepIndex', y: 'mean', stroke: 'method', strokeWidth: 2 }),
      Plot.dot(curve, { x: 'stepIndex', y: 'mean', stroke: 'method', symbol: 'method', r: 5, fill: 'currentColor', fillOpacity: 0.1 }),
      Plot.tip(pts, Plot.pointer({ x: 'stepIndex', y: 'value', title: (d: RandomCasePoint) => `${d.name}\n${d.series}, step ${d.stepIndex} (${d.step}): SSIM ${d.value.toFixed(3)}\nclick to open in Compare` })),
    ],
  };
}

export function readerPoints(r: TrustReport): CasePoint[] {
  const out: CasePoint[] = [];
  for (const c of r.readerAgreement.perCase) {
    if (c.readers.length < 2) continue;
    if (Number.isFinite(c.meanIoU)) out.push({ series: 'pairwise IoU', caseId: c.caseId, name: c.name, value: c.meanIoU });
    if (Number.isFinite(c.vsOthersIoU)) out.push({ series: 'reader vs others (IoU)', caseId: c.caseId, name: c.name, value: c.vsOthersIoU });
    if (Number.isFinite(c.vsAllIoU)) out.push({ series: 'reader vs all (optimistic)', caseId: c.caseId, name: c.name, value: c.vsAllIoU });
    if (Number.isFinite(c.fleissKappa)) out.push({ series: 'Fleiss\u2019 kappa (per case)', caseId: c.caseId, name: c.name, value: c.fleissKappa });
  }
  return out;
}

export function readerPlot(r: TrustReport): Plot.PlotOptions {
  return dotPlot(readerPoints(r), 'agreement per case (tick: mean) →', null, [-0.2, 1]);
}

export interface RocPoint { model: string; fpr: number; tpr: number; threshold: number }
export function rocPoints(r: TrustReport): RocPoint[] {
  return r.classifier.flatMap((c) => c.roc.map((p) => ({ model: `${c.model} (AUROC ${c.auroc === null ? 'n/a' : c.auroc.toFixed(3)})`, fpr: p.fpr, tpr: p.tpr, threshold: p.threshold })));
}

export function rocPlot(r: TrustReport): Plot.PlotOptions {
  const pts = rocPoints(r);
  const models = [...new Set(pts.map((p) => p.model))];
  return {
    width: 420,
    height: 380,
    x: { domain: [0, 1], label: 'false positive rate →', grid: true },
    y: { domain: [0, 1], label: '↑ true positive rate', grid: true },
    color: { domain: models, range: OKABE_ITO, legend: true },
    marks: [
      Plot.line([[0, 0], [1, 1]], { stroke: 'currentColor', strokeOpacity: 0.4, strokeDasharray: '3,3' }),
      Plot.line(pts, { x: 'fpr', y: 'tpr', stroke: 'model', strokeWidth: 2 }),
      Plot.dot(pts, { x: 'fpr', y: 'tpr', stroke: 'model', r: 2.5 }),
    ],
  };
}
