import { describe, expect, it } from 'vitest';
import { createTrustSession, type TrustConfig, type TrustDeps } from '../../worker/api/trustSession';
import { escapeHtml, reportHtml, trustCsv, trustJson } from './report';

// One model, one method whose map is exactly the readers' box: localization AUROC 1 on both cases.
const S = 16;
const map = () => { const m = new Float32Array(S * S); for (let y = 4; y < 8; y++) for (let x = 4; x < 8; x++) m[y * S + x] = 1; return m; };
const deps: TrustDeps = {
  map: async () => ({ map: map(), width: S, height: S, ms: 1, cached: false, backend: 'test' }),
  predict: async (hash) => ({ logit: hash === 'a' ? 1 : -1, output: [hash === 'a' ? 1 : -1] }),
  steps: async () => [{ step: 0, block: 'head' }],
  image: async () => null,
};
const config: TrustConfig = { models: [{ id: 'M', architecture: 'm', family: 'm', seed: 1, input: { height: S, width: S, channels: 1 }, output: { kind: 'logit', index: 0 } }], methods: ['exact'], preset: 'quick', seed: 0, randomizationCases: 2, quorum: 2, caseSet: 'all-abnormal', resamples: 50 };
const readers = { R1: [[4, 4, 8, 8] as [number, number, number, number]], R2: [[4, 4, 8, 8] as [number, number, number, number]] };

async function report() {
  return createTrustSession(config, [
    { caseId: 'c1', name: 'c1', imageHash: 'a', label: 1, width: S, height: S, readers },
    { caseId: 'c2', name: 'c2', imageHash: 'a', label: 1, width: S, height: S, readers },
    { caseId: 'n1', name: 'n1', imageHash: 'b', label: 0, width: S, height: S, readers: {} },
  ], deps).run();
}

describe('report exports', () => {
  it('CSV: one row per cell and per unit with state, figure and reason, then per-case rows', async () => {
    const r = await report();
    const lines = trustCsv(r).trim().split('\n');
    expect(lines[0]).toBe('row,method,criterion,models,case,state,value,ci_lo,ci_hi,n,p,n_needed,reason');
    // no image: no edge baseline, so the paired test has no pair: inconclusive, 2 cases needed
    expect(lines[1]).toBe(`cell,exact,localization,M,,inconclusive,1,,,2,,26,"M: the test (paired t-test, one-sided (method auroc > edge-baseline auroc), scipy.stats.ttest_rel(alternative='greater')) needs at least 2 cases; found 0"`);
    expect(lines.filter((l) => l.startsWith('case,exact,localization,M,')).length).toBe(2);
    expect(lines.some((l) => /^cell,exact,repeatability,,,n\/a,,,,0,,,"?needs two models of one family/.test(l))).toBe(true);
    // the randomized model gives the trained map again (SSIM 1, above the threshold): a fail, so not trustworthy
    expect(lines.some((l) => l.startsWith('cell,exact,randomization,M,,fail,1,'))).toBe(true);
    expect(lines.some((l) => l.startsWith('verdict,exact,trustworthy,,,not trustworthy,'))).toBe(true);
    expect(lines).toContain('cell,,classifier-auroc,M,,,1,,,3,,,');
  });

  it('HTML: self-contained, states in words', async () => {
    const r = await report();
    const html = reportHtml(r, [{ title: 'A <plot>', figure: '<svg xmlns="http://www.w3.org/2000/svg"></svg>', table: { head: ['x'], rows: [[0.123456]] } }]);
    expect(html).toContain('A &lt;plot&gt;');
    expect(html).toContain('<td>0.1235</td>');
    expect(html).toContain('n/a: needs two models of one family');
    expect(html).toMatch(/seed: /);
    expect(html).not.toMatch(/<script|<link|src=/i);
    expect(escapeHtml(`"'&`)).toBe('&quot;&#39;&amp;');
  });

  it('JSON round-trips the report under its schema', async () => {
    const r = await report();
    const back = JSON.parse(trustJson(r));
    expect(back.cells.exact.localization.value).toBe(1);
    expect(back.schema).toBe('heatcheck.trust-report/1');
  });
});
