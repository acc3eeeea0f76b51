/**
 * The dashboard's plots read one unit per criterion: the first model (localization,
 * randomization) and the first pair (repeatability, reproducibility), named in each plot's title.
 * The table shows every unit. This module derives that view from the trust report.
 */
import type { TrustReport, TrustUnit } from '../../core/trust/report';

export interface UnitView {
  value: number;
  ci: [number, number];
  n: number;
  p: number;
  pass: boolean;
  params: Record<string, unknown>;
  perCase: TrustUnit['perCase'];
  details: any;
}

export interface DashboardView {
  report: TrustReport;
  config: { cases: Array<{ caseId: string; name: string; label: 0 | 1 | null }>; methods: string[]; primaryModel: string; repeatabilityPair: string[] | null; reproducibilityPair: string[] | null };
  rows: Array<{ method: string; label: string }>;
  localization: Record<string, Record<string, UnitView>>;
  randomization: Record<string, UnitView>;
  randomizationSteps: Array<{ step: number; block: string }>;
  repeatability: Record<string, UnitView>;
  reproducibility: Record<string, UnitView>;
  readerAgreement: { perCase: Array<{ caseId: string; name: string; readers: string[]; meanIoU: number; meanDice: number; fleissKappa: number; vsOthersIoU: number; vsAllIoU: number }>; pooled: TrustReport['readerAgreement']['pooled'] };
  classifier: TrustReport['classifier'];
}

const asView = (u: TrustUnit | undefined): UnitView | undefined => (u && u.value !== null ? ({ value: u.value, ci: u.ci ?? [NaN, NaN], n: u.n, p: u.p ?? NaN, pass: u.state === 'pass', params: u.params, perCase: u.perCase, details: u.details } as UnitView) : undefined);

export function dashboardView(r: TrustReport): DashboardView {
  const methods = r.methods.map((m) => m.id);
  const primary = r.models[0]?.id ?? '';
  const firstUnit = (criterion: string) => {
    const out: Record<string, UnitView> = {};
    for (const m of methods) {
      const v = asView(r.cells[m]?.[criterion]?.units[0]);
      if (v) out[m] = v;
    }
    return out;
  };
  const pairOf = (criterion: string) => {
    const p = r.pairs[criterion]?.[0];
    return p ? [p.a, p.b] : null;
  };
  const rand = firstUnit('randomization');
  const visited = (Object.values(rand)[0]?.details?.curve ?? []) as Array<{ step: string }>;
  return {
    report: r,
    config: { cases: r.cases.map((c) => ({ caseId: c.id, name: c.name, label: c.label })), methods, primaryModel: primary, repeatabilityPair: pairOf('repeatability'), reproducibilityPair: pairOf('reproducibility') },
    rows: r.methods.map((m) => ({ method: m.id, label: m.label })),
    localization: { [primary]: firstUnit('localization') },
    randomization: rand,
    randomizationSteps: visited.map((s, i) => ({ step: i, block: s.step })),
    repeatability: firstUnit('repeatability'),
    reproducibility: firstUnit('reproducibility'),
    readerAgreement: {
      pooled: r.readerAgreement.pooled,
      perCase: r.readerAgreement.perCase.map((a) => {
        const avg = (xs: Array<{ iou: number }>) => (xs.length ? xs.reduce((s, x) => s + x.iou, 0) / xs.length : NaN);
        return { caseId: a.caseId, name: r.cases.find((c) => c.id === a.caseId)?.name ?? a.caseId, readers: a.readers, meanIoU: a.meanIoU, meanDice: a.meanDice, fleissKappa: a.fleissKappa, vsOthersIoU: avg(Object.values(a.vsOthers)), vsAllIoU: avg(Object.values(a.vsAllIncludingSelf)) };
      }),
    },
    classifier: r.classifier,
  };
}
