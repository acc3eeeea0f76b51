import { describe, expect, it } from 'vitest';
import { TrustSession, type TrustConfig, type TrustDeps } from '../../worker/api/trustSession';
import { escapeHtml, reportHtml, trustCsv, trustJson } from './report';

// One model, one method whose map is exactly the readers' box: localization AUROC 1 on both cases.
const S = 16;
const map = () => { const m = new Float32Array(S * S); for (let y = 4; y < 8; y++) for (let x = 4; x < 8; x++) m[y * S + x] = 1; return m; };
const deps: TrustDeps = {
  map: async (q) => ({ map: map(), width: S, height: S, targetLogit: q.imageHash === 'a' ? 1 : -1, ms: 1, cached: false, backend: 'test', params: { steps: 3 } }),
  steps: async () => [{ step: 0, block: 'head' }],
  image: async () => null,
  checkpoint: async () => {},
  progress: () => {},
};
const config: TrustConfig = { models: ['M'], methods: ['exact'], methodLabels: { exact: 'Exact <box>' }, preset: 'quick', seed: 0, primaryModel: 'M', repeatabilityPair: null, reproducibilityPair: null, randomizationCases: 2, quorum: 2, caseSet: 'all-abnormal', resamples: 50 };
const readers = { R1: [[4, 4, 8, 8] as [number, number, number, number]], R2: [[4, 4, 8, 8] as [number, number, number, number]] };

async function report() {
  return new TrustSession(config, [
    { caseId: 'c1', name: 'c1', imageHash: 'a', label: 1, width: S, height: S, readers },
    { caseId: 'c2', name: 'c2', imageHash: 'a', label: 1, width: S, height: S, readers },
    { caseId: 'n1', name: 'n1', imageHash: 'b', label: 0, width: S, height: S, readers: {} },
  ], deps).run();
}

describe('report exports', () => {
  it('CSV: one summary row per method x criterion with the cell figures, then per-case rows', async () => {
    const r = await report();
    const lines = trustCsv(r).trim().split('\n');
    expect(lines[0]).toBe('row,method,criterion,models,case,state,value,ci_lo,ci_hi,n,p,pass,note');
    expect(lines[1].startsWith('summary,exact,localization,M,,ok,1,1,1,2,')).toBe(true);
    expect(lines[3]).toBe('summary,exact,repeatability,,,na,,,,0,,,n/a: needs two models of one architecture trained with different seeds');
    expect(lines.filter((l) => l.startsWith('case,exact,localization,M,')).length).toBe(2);
    expect(lines).toContain('summary,,classifier-auroc,M,,ok,1,,,3,,,');
  });

  it('HTML: self-contained, labels escaped, verdicts in words', async () => {
    const r = await report();
    const html = reportHtml(r, [{ title: 'A <plot>', figure: '<svg xmlns="http://www.w3.org/2000/svg"></svg>', table: { head: ['x'], rows: [[0.123456]] } }]);
    expect(html).toContain('Exact &lt;box&gt;');
    expect(html).toContain('A &lt;plot&gt;');
    expect(html).toContain('<td>0.1235</td>');
    expect(html).toMatch(/seed: /);
    expect(html).not.toMatch(/<script|<link|src=/i);
    expect(escapeHtml(`"'&`)).toBe('&quot;&#39;&amp;');
  });

  it('JSON round-trips the report, non-finite numbers as strings', async () => {
    const r = await report();
    const back = JSON.parse(trustJson(r));
    expect(back.rows[0].cells.localization.value).toBe(1);
    expect(back.schema).toBe('heatcheck.trust-report');
  });
});
