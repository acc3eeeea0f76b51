import type * as Plot from '@observablehq/plot';
import type { DashboardView as TrustReport } from './view';
import {
  agreementPlot, agreementPoints, localizationPlot, localizationPoints, randomizationCasePoints, randomizationCurve, randomizationPlot,
  readerPlot, readerPoints, rocPlot, summarize, type CasePoint,
} from './plots';

/** One dashboard figure: its plot options and the same numbers as a table (caseId per row when it is about a case). */
export interface Section {
  id: string;
  title: string;
  label: string;
  options: Plot.PlotOptions;
  table: { head: string[]; rows: Array<Array<string | number>>; caseIds?: Array<string | null> };
  empty: string | null;
}

function pointsTable(points: CasePoint[], valueName: string): Section['table'] {
  const sum = summarize(points);
  const rows: Array<Array<string | number>> = [];
  const caseIds: Array<string | null> = [];
  for (const s of sum) { rows.push([s.series, `mean of ${s.n}`, s.mean]); caseIds.push(null); }
  for (const p of points) { rows.push([p.series, p.name, p.value]); caseIds.push(p.caseId); }
  return { head: ['series', 'case', valueName], rows, caseIds };
}

export function buildSections(r: TrustReport): Section[] {
  const loc = localizationPoints(r);
  const rep = agreementPoints(r, 'repeatability');
  const pro = agreementPoints(r, 'reproducibility');
  const curve = randomizationCurve(r);
  const rpts = randomizationCasePoints(r);
  const rdr = readerPoints(r);
  const metric = String(r.localization[r.config.primaryModel]?.[r.config.methods[0]]?.params.metric ?? 'auroc').toUpperCase();
  const curveRows: Array<Array<string | number>> = curve.map((c) => [c.method, `${c.stepIndex}. ${c.step}`, c.mean, c.lo, c.hi, c.n, c.threshold, c.pass ? 'pass' : 'fail']);
  return [
    {
      id: 'localization',
      title: `Localization: pixel ${metric} per case, methods and baselines (${r.config.primaryModel})`,
      label: `Dot plot of per-case localization ${metric} for each method, the average-consensus and edge baselines and the readers; the numbers are in the table below.`,
      options: localizationPlot(r),
      table: pointsTable(loc, metric),
      empty: loc.length ? null : 'No localization yet: it needs maps of abnormal cases with a consensus.',
    },
    {
      id: 'randomization',
      title: `Randomization: SSIM to the trained map per cascade step (${r.config.primaryModel})`,
      label: 'Line chart of mean SSIM per cascade step for each method, with each method\u2019s threshold as a dashed line; the numbers are in the table below.',
      options: randomizationPlot(r),
      table: { head: ['method', 'step', 'mean SSIM', 'CI lo', 'CI hi', 'n', 'threshold', 'step verdict'], rows: [...curveRows, ...rpts.map((p) => [p.series, `${p.stepIndex}. ${p.step}`, p.value, '', '', `case ${p.name}`, '', ''])], caseIds: [...curve.map(() => null), ...rpts.map((p) => p.caseId)] },
      empty: curve.length ? null : 'The randomization cascade has not produced a step yet.',
    },
    {
      id: 'repeatability',
      title: `Repeatability: SSIM between ${(r.config.repeatabilityPair ?? []).join(' and ') || 'two seeds of one architecture'}`,
      label: 'Dot plot of per-case SSIM between the two seeds\u2019 maps for each method, with the 0.5 line; numbers in the table below.',
      options: agreementPlot(r, 'repeatability'),
      table: pointsTable(rep, 'SSIM'),
      empty: rep.length ? null : r.config.repeatabilityPair ? 'No pair of maps yet.' : 'n/a: needs two models of one architecture trained with different seeds.',
    },
    {
      id: 'reproducibility',
      title: `Reproducibility: SSIM between ${(r.config.reproducibilityPair ?? []).join(' and ') || 'two architectures'}`,
      label: 'Dot plot of per-case SSIM between the two architectures\u2019 maps for each method, with the 0.5 line; numbers in the table below.',
      options: agreementPlot(r, 'reproducibility'),
      table: pointsTable(pro, 'SSIM'),
      empty: pro.length ? null : r.config.reproducibilityPair ? 'No pair of maps yet.' : 'n/a: needs two models of different architectures.',
    },
    {
      id: 'readers',
      title: 'Reader agreement per case',
      label: 'Dot plot of reader agreement per case: pairwise IoU, reader versus the others\u2019 consensus, the optimistic reader versus all, and Fleiss\u2019 kappa; numbers in the table below.',
      options: readerPlot(r),
      table: pointsTable(rdr, 'value'),
      empty: rdr.length ? null : 'No case has two finished readers.',
    },
    {
      id: 'roc',
      title: 'Classifier ROC per model',
      label: 'ROC curves of each model over the evaluated cases; AUROC in the legend and the table below.',
      options: rocPlot(r),
      table: { head: ['model', 'AUROC', 'cases'], rows: r.classifier.map((c) => [c.model, c.auroc ?? 'n/a', c.n]) },
      empty: r.classifier.some((c) => c.roc.length) ? null : 'The ROC needs logits of normal and abnormal cases.',
    },
  ];
}
