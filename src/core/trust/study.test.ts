import { describe, expect, it } from 'vitest';
import { TrustStudy, type MapSource, type StudyModel } from './study';
import { CRITERIA } from '../metrics/criteria/registry';
import { everyModel, type CriterionDefinition } from '../metrics/criteria/definition';
import { oneSampleTTest } from '../metrics/ttest';
import type { BoxCoords } from '../study/types';

/**
 * Adding a criterion: one definition (the file a new criterion would be) and one line in the
 * registry's list, here passed as settings.criteria = [...CRITERIA, coverage]. Nothing else
 * changes: the study, the report, the CLI table, the CSV and the dashboard read the list.
 */
const coverage: CriterionDefinition = {
  id: 'coverage',
  label: 'Coverage',
  unit: 'model',
  units: everyModel,
  perCaseLabel: 'fraction of map pixels at or above 0.5',
  readsReaders: false,
  perCase(u, caseId) {
    const m = u.map(caseId, u.models[0]);
    if (!m) return null;
    let k = 0;
    for (let i = 0; i < m.data.length; i++) if (m.data[i] >= 0.5) k++;
    return { caseId, value: k / m.data.length };
  },
  aggregate(u, perCase) {
    const v = perCase.map((c) => c.value);
    const t = oneSampleTTest(v, 0.1, 'less');
    return { criterion: 'coverage', method: u.method, value: v.reduce((a, b) => a + b, 0) / v.length, ci: [Math.min(...v), Math.max(...v)], n: v.length, p: t.p, pass: t.p < u.settings.alpha, params: { test: 'one-sample t-test, coverage < 0.1' }, perCase, details: null };
  },
  testSample: (r) => ({ oriented: r.perCase.map((c) => 0.1 - c.value), test: 'coverage < 0.1' }),
};

const S = 10;
// case k's map covers k + 1 of the 100 pixels: coverage 0.01 .. 0.04
const mapOf = (k: number) => {
  const d = new Float32Array(S * S);
  for (let i = 0; i <= k; i++) d[i] = 1;
  return d;
};
const source: MapSource = {
  image: async () => null,
  predict: async (caseId) => ({ logit: caseId.startsWith('a') ? 1 : -1, output: [caseId.startsWith('a') ? 1 : -1] }),
  map: async (q) => ({ map: { data: mapOf(Number(q.caseId.slice(1))), height: S, width: S }, cached: false, ms: 0 }),
  cascade: async () => ({ unavailable: 'not needed here' }),
};
const model: StudyModel = { id: 'M', architecture: 'm', family: 'm', seed: 1, input: { height: S, width: S, channels: 1 }, output: { kind: 'logit', index: 0 } };
const box: BoxCoords = [0, 0, 5, 5];
const cases = [0, 1, 2, 3].map((k) => ({ id: `a${k}`, label: 1 as const, width: S, height: S, readers: { R1: [box], R2: [box] } }));

describe('criterion registry', () => {
  it('a new criterion is one definition and one list entry: it gets a cell per method, a table column and a say in the verdict', async () => {
    const study = new TrustStudy(cases, [model], { methods: ['flat'], preset: 'quick', seed: 0, quorum: 2, caseSet: 'all-abnormal', randomization: { cases: 2, steps: 'all' }, stats: { resamples: 50 }, criteria: [...CRITERIA, coverage] }, source);
    const r = await study.run();
    expect(r.criteria.map((c) => c.id)).toEqual(['localization', 'randomization', 'repeatability', 'reproducibility', 'coverage']);
    const cell = r.cells.flat.coverage;
    // coverage 0.01, 0.02, 0.03, 0.04: mean 0.025, far below 0.1 with a steady spread: pass
    expect(cell.value).toBeCloseTo(0.025, 12);
    expect(cell.state).toBe('pass');
    expect(cell.units.map((u) => u.perCase.map((c) => c.value))).toEqual([[0.01, 0.02, 0.03, 0.04]]);
    expect(r.table[0].cells.coverage).toMatch(/^pass 0\.025/);
    expect(r.verdicts.flat.criteria.coverage).toBe('pass');
    // the four registered criteria are here too; randomization is n/a with the source's reason
    expect(r.cells.flat.randomization.state).toBe('n/a');
    expect(r.cells.flat.randomization.reason).toMatch(/not needed here/);
    expect(r.verdicts.flat.state).not.toBe('trustworthy');
  });
});
