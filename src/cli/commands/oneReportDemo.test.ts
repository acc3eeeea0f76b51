import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../main';
import { readStudyFolder } from '../studyFolder';
import { loadModelDir } from '../modelDir';
import { folderMapStore } from './evaluate';
import { studyModel, TfMapSource } from '../../core/trust/tfMapSource';
import { createTrustSession, type TrustCase } from '../../worker/api/trustSession';
import type { TrustReport } from '../../core/trust/report';
import { runCli } from '../testing/runCli';

/**
 * [one-report] on the demo study: its first 4 phantoms (seed 2022: 2 abnormal, 2 normal, as in the
 * e2e review spec), three of the four demo models of
 * public/models (two seeds of one architecture for repeatability, the other for reproducibility),
 * the six methods, the quick preset with small step counts (this test is about equality, not
 * accuracy), fixed seeds. `heatcheck evaluate` writes its report and its maps folder; the
 * dashboard's session runs on the same study as the app's records (image hashes, readers' boxes)
 * with a map source that reads that maps folder (the "maps folder" kind of MapSource) and computes
 * its own predictions. The two reports must agree to 1e-9, with identical states, verdicts and
 * n/a reasons, and the CLI's printed table must be the session's table.
 */
const MODELS = ['densenet-compact-s1', 'densenet-compact-s2', 'inception-compact-s1'].map((id) => path.join('public/models', id));
const METHODS = ['gradcam', 'grad', 'ig', 'sg', 'sig', 'xrai'];
const PARAMS = { ig: { steps: 2 }, sg: { samples: 2 }, sig: { samples: 2, steps: 2 }, xrai: { steps: 2 } };
let root: string;

const cli = runCli;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'heatcheck-one-report-'));
  expect((await cli(['phantom', '--out', path.join(root, 'study'), '--count', '4', '--seed', '2022', '--jobs', '1'])).code).toBe(0);
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('[one-report] demo study', () => {
  it('[one-report] heatcheck evaluate and the dashboard session print the same table and the same report', async () => {
    const out = path.join(root, 'report.json');
    const maps = path.join(root, 'maps');
    const r = await cli(['evaluate', '--study', path.join(root, 'study'), '--models', MODELS.join(','), '--out', out, '--maps', maps, '--preset', 'quick', '--params', JSON.stringify(PARAMS), '--randomization-steps', '1', '--randomization-cases', '2', '--seed', '0', '--randomization-seed', '0', '--resamples', '200']);
    expect(r.code, r.err.slice(-2000)).toBe(0);
    const fromCli = JSON.parse(readFileSync(out, 'utf8')) as TrustReport;

    const study = readStudyFolder(path.join(root, 'study'));
    const loaded = [];
    for (const d of MODELS) loaded.push(await loadModelDir(d));
    const images = new Map<string, Awaited<ReturnType<typeof study.loadImage>>>();
    for (const c of study.cases) images.set(c.id, await study.loadImage(c));
    const img = (caseId: string) => images.get(caseId)!;
    const source = new TfMapSource(img, loaded, folderMapStore(maps));
    const byHash = (h: string) => h.slice('sha-'.length);
    const cases: TrustCase[] = study.cases.map((c) => {
      const readers: Record<string, Array<[number, number, number, number]>> = {};
      for (const [rid, boxes] of Object.entries(study.readers)) if (Object.prototype.hasOwnProperty.call(boxes, c.id)) readers[rid] = boxes[c.id];
      return { caseId: c.id, name: c.id, imageHash: `sha-${c.id}`, label: c.label === 0 || c.label === 1 ? c.label : null, width: img(c.id).width, height: img(c.id).height, readers };
    });
    const session = createTrustSession({ models: loaded.map(studyModel), methods: METHODS, preset: 'quick', parameters: PARAMS, seed: 0, randomizationCases: 2, randomizationSteps: 1, quorum: 2, caseSet: 'all-abnormal', resamples: 200 }, cases, {
      map: async (q) => {
        const a = await source.map({ caseId: byHash(q.imageHash), modelId: q.modelId, method: q.method, preset: q.preset, parameters: q.params, seed: q.seed, seeded: q.method === 'sg' || q.method === 'sig', step: q.randomizationStep, reinitSeed: q.seed });
        return { map: a.map.data as Float32Array, width: a.map.width, height: a.map.height, ms: a.ms, cached: a.cached, backend: 'wasm', warnings: a.warnings };
      },
      predict: async (hash, modelId) => {
        const p = await source.predict(byHash(hash), modelId);
        return { logit: p.logit, output: Array.from(p.output) };
      },
      steps: async (modelId) => {
        const c = await source.cascade(modelId);
        if (!Array.isArray(c)) throw new Error(c.unavailable);
        return c;
      },
      image: async (hash) => source.image(byHash(hash)),
    });
    let fromSession: TrustReport;
    try {
      fromSession = await session.run();
    } finally {
      source.dispose();
      for (const m of loaded) m.model.dispose();
    }
    // every map came from the CLI's maps folder: none computed again
    expect(fromSession.counts.mapsComputed).toBe(0);
    expect(fromSession.counts.mapsCached).toBe(fromCli.counts.mapsComputed);

    expect(fromCli.schema).toBe('heatcheck.trust-report/1');
    expect(fromSession.schema).toBe('heatcheck.trust-report/1');
    // the printed table and the session's table: the same lines
    expect(r.json.table).toEqual(Object.fromEntries(fromSession.table.map((row) => [row.method, { ...row.cells, verdict: row.verdict }])));
    expect(fromSession.verdicts).toEqual(fromCli.verdicts);
    for (const m of METHODS) {
      for (const c of Object.keys(fromCli.cells[m])) {
        const x = fromCli.cells[m][c];
        const y = fromSession.cells[m][c];
        expect([y.state, y.reason, y.nNeeded, y.n], `${m} ${c}`).toEqual([x.state, x.reason, x.nNeeded, x.n]);
        if (x.value === null) expect(y.value).toBeNull();
        else expect(Math.abs(x.value - y.value!), `${m} ${c}`).toBeLessThanOrEqual(1e-9);
        x.units.forEach((u, i) => u.perCase.forEach((pc, j) => expect(Math.abs(pc.value - y.units[i].perCase[j].value), `${m} ${c} ${u.models} ${pc.caseId}`).toBeLessThanOrEqual(1e-9)));
      }
    }
    fromCli.classifier.forEach((c, i) => {
      expect(fromSession.classifier[i].auroc).toBeCloseTo(c.auroc ?? NaN, 9);
    });
    // three models of two families: every criterion has its units; normals are not mapped
    expect(fromCli.cells.gradcam.localization.units.length).toBe(3);
    expect(fromCli.cells.gradcam.repeatability.units.map((u) => u.models)).toEqual([['densenet-compact-s1', 'densenet-compact-s2']]);
    expect(fromCli.cases.filter((c) => c.mapped).every((c) => c.label === 1)).toBe(true);
    console.log(`[one-report] demo table:\n${fromCli.table.map((row) => `${row.method.padEnd(8)} ${Object.values(row.cells).join(' | ')} => ${row.verdict}`).join('\n')}`);
  }, 1_200_000);
});
