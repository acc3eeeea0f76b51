import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../main';
import { readNpy } from '../../core/io/npy';
import { readStudyFolder } from '../studyFolder';
import { preprocessImage } from '../../core/model/preprocess';
import { balancedCases, selectSteps, repeatabilityPairs, reproducibilityPairs } from '../../core/trust/plan';
import { ssim } from '../../core/metrics/ssim';
import { cnnGraphFiles } from '../../core/model/graphModelFixture';
import { seededValues } from '../../core/saliency/testing';
import { loadModelDir } from '../modelDir';
import { studyModel, TfMapSource } from '../../core/trust/tfMapSource';
import { createTrustSession, type TrustCase } from '../../worker/api/trustSession';
import type { TrustReport } from '../../core/trust/report';
import { DEFAULT_IG_RULE } from '../../core/saliency/quadrature';
import { runCli } from '../testing/runCli';

/**
 * `heatcheck evaluate` end to end on a phantom study (6 cases, 512 px) and four small tf.layers
 * models saved in the demo models' folder format (two families x two seeds, 32x32 input): the
 * demo models take minutes per case on this machine's wasm, far beyond a unit test.
 * Expected values are recomputed here independently: consensus by counting readers' boxes at each
 * grid pixel's source centre, AUROC by a plain pairwise count, logits by model.predict.
 */
const SIZE = 32;
let root: string;
const dirs: Record<string, string> = {};
const models: Record<string, tf.LayersModel> = {};

const cli = runCli;

// A spy on the one function that builds a model from its folder: a run that answers from a
// complete --maps folder must never call it.
vi.mock('../modelDir', async (importOriginal) => {
  const m = await importOriginal<typeof import('../modelDir')>();
  return { ...m, loadModelDir: vi.fn(m.loadModelDir) };
});

function build(family: 'plain' | 'branch', seed: number): tf.LayersModel {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 100 + k });
  const inp = tf.input({ shape: [SIZE, SIZE, 1] });
  let h = tf.layers.conv2d({ name: 'stem_conv', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1) }).apply(inp) as tf.SymbolicTensor;
  if (family === 'plain') {
    h = tf.layers.conv2d({ name: 'block1_conv', filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(2) }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.conv2d({ name: 'block2_conv', filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(3) }).apply(h) as tf.SymbolicTensor;
  } else {
    const a = tf.layers.conv2d({ name: 'mix_a', filters: 3, kernelSize: 1, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(4) }).apply(h) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ name: 'mix_b', filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(5) }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.concatenate({ name: 'mixcat' }).apply([a, b]) as tf.SymbolicTensor;
  }
  h = tf.layers.globalAveragePooling2d({ name: 'head_gap' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'logit', units: 1, kernelInitializer: init(6), biasInitializer: tf.initializers.constant({ value: 0.1 }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: out });
}

async function save(model: tf.LayersModel, id: string, family: string, seed: number, output: { kind: string; index: number } = { kind: 'logit', index: 0 }): Promise<string> {
  const dir = path.join(root, 'models', id);
  mkdirSync(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (a) => {
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] }));
    writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const manifest = { id, name: id, architecture: `${family}-tiny`, family, seed, input: { height: SIZE, width: SIZE, channels: 1 }, preprocessing: { scale: 2, offset: -1 }, inputRange: [-1, 1], output };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

/** A two-unit softmax head (abnormal = unit 1) on the plain body. */
function buildSoftmax(seed: number): tf.LayersModel {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 100 + k });
  const inp = tf.input({ shape: [SIZE, SIZE, 1] });
  let h = tf.layers.conv2d({ name: 'stem_conv', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1) }).apply(inp) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ name: 'block1_conv', filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(2) }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({ name: 'head_gap' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'logit', units: 2, kernelInitializer: init(6) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: out });
}

/** Plain pairwise AUROC: P(score_pos > score_neg) + 1/2 P(tie). */
function pairwiseAuroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let num = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!labels[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j]) continue;
      pairs++;
      num += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return num / pairs;
}

const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;


beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'heatcheck-evaluate-'));
  for (const [id, fam, seed] of [['plain-s1', 'plain', 1], ['plain-s2', 'plain', 2], ['branch-s1', 'branch', 1], ['branch-s2', 'branch', 2]] as const) {
    models[id] = build(fam, seed);
    dirs[id] = await save(models[id], id, fam, seed);
  }
  expect((await cli(['phantom', '--out', path.join(root, 'study'), '--count', '6', '--seed', '7', '--size', '512', '--jobs', '1'])).code).toBe(0);
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('plan helpers', () => {
  it('selects evenly spaced cascade steps ending at the fully randomized one', () => {
    expect(selectSteps(7, 'all')).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(selectSteps(7, { count: 1 })).toEqual([6]);
    expect(selectSteps(6, { count: 3 })).toEqual([1, 3, 5]);
    expect(selectSteps(2, { count: 3 })).toEqual([0, 1]);
  });

  it('--cases N takes the classes alternately, each in folder order, and keeps folder order', () => {
    const L = (labels: Array<0 | 1 | null>) => labels.map((label, i) => ({ id: `c${i}`, label }));
    // all abnormal first (a MURA-like folder order): the first N would be one class only
    const sorted = L([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(balancedCases(sorted, 4).map((c) => c.id)).toEqual(['c0', 'c1', 'c4', 'c5']);
    expect(balancedCases(sorted, 3).map((c) => c.id)).toEqual(['c0', 'c1', 'c4']);
    // one class runs out: the other fills in; unlabelled cases only after both
    expect(balancedCases(L([0, 1, 0, 0, null, 0]), 4).map((c) => c.id)).toEqual(['c0', 'c1', 'c2', 'c3']);
    expect(balancedCases(L([0, 1, null]), 3).map((c) => c.id)).toEqual(['c0', 'c1', 'c2']);
    expect(balancedCases(L([1, 0]), 10)).toHaveLength(2);
  });

  it('pairs same family / different seeds, and different families / same seed', () => {
    const ms = [{ id: 'd1', family: 'd', seed: 1 }, { id: 'd2', family: 'd', seed: 2 }, { id: 'i1', family: 'i', seed: 1 }, { id: 'i2', family: 'i', seed: 2 }];
    expect(repeatabilityPairs(ms).map((p) => [p.a, p.b])).toEqual([['d1', 'd2'], ['i1', 'i2']]);
    expect(reproducibilityPairs(ms).map((p) => [p.a, p.b])).toEqual([['d1', 'i1'], ['d2', 'i2']]);
    expect(reproducibilityPairs([{ id: 'd1', family: 'd', seed: 1 }, { id: 'i3', family: 'i', seed: 3 }]).map((p) => [p.a, p.b])).toEqual([['d1', 'i3']]);
  });
});

/** Cells, verdicts and classifier of two reports: equal states, reasons and n; values within tol. */
function expectSameReport(a: TrustReport, b: TrustReport, tol: number): void {
  expect(Object.keys(b.cells)).toEqual(Object.keys(a.cells));
  const close = (x: number | null, y: number | null, what: string) => {
    if (x === null || y === null || !Number.isFinite(x) || !Number.isFinite(y)) expect(y, what).toEqual(x);
    else expect(Math.abs(x - y), `${what}: ${x} vs ${y}`).toBeLessThanOrEqual(tol);
  };
  for (const m of Object.keys(a.cells)) {
    for (const c of Object.keys(a.cells[m])) {
      const x = a.cells[m][c];
      const y = b.cells[m][c];
      const what = `${m} ${c}`;
      expect([y.state, y.reason, y.nNeeded, y.n, y.units.length], what).toEqual([x.state, x.reason, x.nNeeded, x.n, x.units.length]);
      close(x.value, y.value, what);
      x.units.forEach((u, i) => {
        const v = y.units[i];
        expect([v.models, v.state, v.reason, v.nNeeded, v.n, v.skipped], `${what} ${u.models}`).toEqual([u.models, u.state, u.reason, u.nNeeded, u.n, u.skipped]);
        close(u.value, v.value, `${what} ${u.models} value`);
        close(u.p, v.p, `${what} ${u.models} p`);
        u.perCase.forEach((pc, j) => {
          expect(v.perCase[j].caseId).toBe(pc.caseId);
          close(pc.value, v.perCase[j].value, `${what} ${u.models} ${pc.caseId}`);
        });
      });
    }
  }
  expect(b.verdicts).toEqual(a.verdicts);
  a.classifier.forEach((c, i) => {
    close(c.auroc, b.classifier[i].auroc, `classifier ${c.model}`);
    c.perCase.forEach((pc, j) => close(pc.probability, b.classifier[i].perCase[j].probability, `probability ${c.model} ${pc.caseId}`));
  });
}

/** The dashboard's session path on the same study folder and model folders: records as the store builds them, maps through a TF source keyed by image hash. */
async function sessionReport(modelDirs: string[], settings: { methods: string[]; randomizationCases: number; randomizationSteps: number; resamples: number }): Promise<TrustReport> {
  const study = readStudyFolder(path.join(root, 'study'));
  const loaded = [];
  for (const d of modelDirs) loaded.push(await loadModelDir(d));
  const byHash = new Map<string, (typeof study.cases)[number]>(study.cases.map((c) => [`hash-${c.id}`, c]));
  const images = new Map<string, Awaited<ReturnType<typeof study.loadImage>>>();
  for (const c of study.cases) images.set(c.id, await study.loadImage(c));
  const img = (caseId: string) => images.get(caseId)!;
  const source = new TfMapSource(img, loaded);
  const cases: TrustCase[] = study.cases.map((c) => {
    const readers: Record<string, Array<[number, number, number, number]>> = {};
    for (const [r, boxes] of Object.entries(study.readers)) if (Object.prototype.hasOwnProperty.call(boxes, c.id)) readers[r] = boxes[c.id];
    const g = img(c.id);
    return { caseId: c.id, name: c.id, imageHash: `hash-${c.id}`, label: c.label === 0 || c.label === 1 ? c.label : null, width: g.width, height: g.height, readers };
  });
  const session = createTrustSession({ models: loaded.map(studyModel), methods: settings.methods, preset: 'quick', seed: 0, randomizationCases: settings.randomizationCases, randomizationSteps: settings.randomizationSteps, quorum: 2, caseSet: 'all-abnormal', resamples: settings.resamples }, cases, {
    map: async (q) => {
      const caseId = byHash.get(q.imageHash)!.id;
      const a = await source.map({ caseId, modelId: q.modelId, method: q.method, preset: q.preset, parameters: q.params, seed: q.seed, seeded: q.method === 'sg' || q.method === 'sig', step: q.randomizationStep, reinitSeed: q.seed });
      return { map: a.map.data as Float32Array, width: a.map.width, height: a.map.height, ms: a.ms, cached: a.cached, backend: 'wasm', warnings: a.warnings };
    },
    predict: async (hash, modelId) => {
      const p = await source.predict(byHash.get(hash)!.id, modelId);
      return { logit: p.logit, output: Array.from(p.output) };
    },
    steps: async (modelId) => {
      const c = await source.cascade(modelId);
      if (!Array.isArray(c)) throw new Error(c.unavailable);
      return c;
    },
    image: async (hash) => source.image(byHash.get(hash)!.id),
  });
  const partials: TrustReport[] = [];
  try {
    const report = await session.run({ partial: (r) => partials.push(r), partialEveryMs: 0 });
    expect(partials.some((r) => Object.values(r.verdicts).some((v) => v.state === 'pending'))).toBe(true);
    return report;
  } finally {
    source.dispose();
    for (const m of loaded) m.model.dispose();
  }
}

describe('[one-report] the CLI and the dashboard session give the same report', () => {
  const methods = ['gradcam', 'grad', 'ig', 'sg', 'sig', 'xrai'];
  const settings = { methods, randomizationCases: 2, randomizationSteps: 1, resamples: 100 };
  const cliArgs = (ids: string[], out: string) => ['evaluate', '--study', path.join(root, 'study'), '--models', ids.map((id) => dirs[id]).join(','), '--out', out, '--preset', 'quick', '--randomization-steps', '1', '--randomization-cases', '2', '--resamples', '100'];

  it('[one-report] two families x two seeds, all six methods: identical cells, verdicts and n/a reasons', async () => {
    const ids = ['plain-s1', 'plain-s2', 'branch-s1', 'branch-s2'];
    const out = path.join(root, 'one-report.json');
    const r = await cli(cliArgs(ids, out));
    expect(r.code, r.err.slice(-2000)).toBe(0);
    const fromCli = JSON.parse(readFileSync(out, 'utf8')) as TrustReport;
    expect(fromCli.schema).toBe('heatcheck.trust-report/1');
    const fromSession = await sessionReport(ids.map((id) => dirs[id]), settings);
    expect(fromSession.schema).toBe('heatcheck.trust-report/1');
    expectSameReport(fromCli, fromSession, 1e-9);
    // Normal cases enter no map: only abnormal cases are mapped, every normal case is still in the classifier.
    const study = readStudyFolder(path.join(root, 'study'));
    expect(fromCli.cases.filter((c) => c.mapped).map((c) => c.id)).toEqual(study.cases.filter((c) => c.label === 1).map((c) => c.id));
    expect(fromCli.classifier[0].perCase.length).toBe(study.cases.length);
    // Every unit is shown: 4 models for localization, 2 pairs for repeatability and reproducibility.
    expect(fromCli.cells.grad.localization.units.length).toBe(4);
    expect(fromCli.cells.grad.repeatability.units.map((u) => u.models)).toEqual([['plain-s1', 'plain-s2'], ['branch-s1', 'branch-s2']]);
  }, 300_000);

  it('[one-report] a softmax model in a one-family set: reproducibility n/a with the same reason, the same probabilities', async () => {
    const softmax = buildSoftmax(3);
    dirs['plain-soft'] = await save(softmax, 'plain-soft', 'plain', 3, { kind: 'logit', index: 1 });
    const ids = ['plain-s1', 'plain-s2', 'plain-soft'];
    const out = path.join(root, 'one-family.json');
    const r = await cli([...cliArgs(ids, out).slice(0, 7), '--methods', 'gradcam,sg', ...cliArgs(ids, out).slice(7)]);
    expect(r.code, r.err.slice(-2000)).toBe(0);
    const fromCli = JSON.parse(readFileSync(out, 'utf8')) as TrustReport;
    const fromSession = await sessionReport(ids.map((id) => dirs[id]), { ...settings, methods: ['gradcam', 'sg'] });
    expectSameReport(fromCli, fromSession, 1e-9);
    for (const m of ['gradcam', 'sg']) {
      expect(fromCli.cells[m].reproducibility.state).toBe('n/a');
      expect(fromCli.cells[m].reproducibility.reason).toMatch(/two different families/);
      expect(fromCli.verdicts[m].state).not.toBe('trustworthy');
      if (fromCli.verdicts[m].state !== 'not trustworthy') expect(fromCli.verdicts[m].state).toBe('undetermined');
    }
    // The softmax model's probability is softmax(row)[1], computed here from model.predict.
    const study = readStudyFolder(path.join(root, 'study'));
    const c0 = study.cases[0];
    const x = tf.tensor4d(preprocessImage(await study.loadImage(c0), { input: { height: SIZE, width: SIZE, channels: 1 }, preprocessing: { scale: 2, offset: -1 } }), [1, SIZE, SIZE, 1]);
    const row = (softmax.predict(x) as tf.Tensor).dataSync();
    x.dispose();
    const expected = Math.exp(row[1]) / (Math.exp(row[0]) + Math.exp(row[1]));
    const got = fromCli.classifier.find((c) => c.model === 'plain-soft')!.perCase.find((p) => p.caseId === c0.id)!;
    expect(got.probability).toBeCloseTo(expected, 6);
    expect(got.logit).toBeCloseTo(row[1], 5);
  }, 300_000);
});

describe('heatcheck evaluate', () => {
  it('writes the trust report: six methods x four criteria, honest values, maps in --maps', async () => {
    const out = path.join(root, 'report.json');
    const mapsDir = path.join(root, 'maps');
    const ids = ['plain-s1', 'plain-s2', 'branch-s1', 'branch-s2'];
    const { code, json, err } = await cli(['evaluate', '--study', path.join(root, 'study'), '--models', ids.map((id) => dirs[id]).join(','), '--out', out, '--maps', mapsDir, '--preset', 'quick', '--randomization-cases', '4', '--resamples', '200']);
    expect(code, err.slice(-2000)).toBe(0);
    expect(json).toMatchObject({ out, cases: 6, models: ids, preset: 'quick', backend: 'wasm' });
    expect(err).toContain('randomization:');
    const report = JSON.parse(readFileSync(out, 'utf8')) as TrustReport;
    const methods = ['gradcam', 'grad', 'ig', 'sg', 'sig', 'xrai'];
    expect(report.methods.map((m) => m.id)).toEqual(methods);
    const study = readStudyFolder(path.join(root, 'study'));
    expect(report.cases.map((c) => c.id)).toEqual(study.cases.map((c) => c.id));
    const abnormal = study.cases.filter((c) => c.label === 1).map((c) => c.id);
    expect(abnormal.length).toBeGreaterThanOrEqual(2);

    for (const m of methods) {
      for (const crit of ['localization', 'randomization', 'repeatability', 'reproducibility']) {
        const cell = report.cells[m][crit];
        // Four models of two families: every criterion is computable here.
        expect(cell.value, `${m} ${crit}: ${cell.reason}`).toEqual(expect.any(Number));
        expect(['pass', 'fail', 'inconclusive']).toContain(cell.state);
        // The cell's figure is the mean of its units' figures; each unit's is the mean of its cases.
        expect(cell.value!).toBeCloseTo(meanOf(cell.units.map((u) => u.value!)), 12);
        for (const u of cell.units) {
          expect(u.value!).toBeCloseTo(meanOf(u.perCase.map((c) => c.value)), 12);
          expect(u.ci![0]).toBeLessThanOrEqual(u.value! + 1e-12);
          expect(u.ci![1]).toBeGreaterThanOrEqual(u.value! - 1e-12);
          expect(u.p).toBeGreaterThanOrEqual(0);
          expect(u.p).toBeLessThanOrEqual(1);
          expect(u.n).toBe(u.perCase.length);
          // pass exactly when the test passes at 0.05
          expect(u.state === 'pass').toBe(u.p! < 0.05);
        }
        // A cell passes only when every unit passes, and fails when any unit fails.
        expect(cell.state === 'pass').toBe(cell.units.every((u) => u.state === 'pass'));
        if (cell.units.some((u) => u.state === 'fail')) expect(cell.state).toBe('fail');
      }
      const loc = report.cells[m].localization;
      for (const u of loc.units) expect(u.perCase.map((c) => c.caseId)).toEqual(abnormal);
      expect(loc.units.map((u) => u.models)).toEqual(ids.map((id) => [id]));
      expect(report.cells[m].repeatability.units.map((u) => u.models)).toEqual([['plain-s1', 'plain-s2'], ['branch-s1', 'branch-s2']]);
      expect(report.cells[m].reproducibility.units.map((u) => u.models)).toEqual([['plain-s1', 'branch-s1'], ['plain-s2', 'branch-s2']]);
      for (const u of report.cells[m].randomization.units) {
        const details = u.details as { curve: Array<{ step: string; mean: number }>; threshold: number };
        expect(details.curve.length).toBe(3);
        expect(details.curve[2].step).toContain('fully randomized');
        expect(u.value!).toBeCloseTo(details.curve[2].mean, 12);
        expect(details.threshold).toEqual(expect.any(Number));
      }
      const v = report.verdicts[m];
      const states = ['localization', 'randomization', 'repeatability', 'reproducibility'].map((c) => report.cells[m][c].state);
      expect(v.state).toBe(states.includes('fail') ? 'not trustworthy' : states.every((x) => x === 'pass') ? 'trustworthy' : 'undetermined');
    }
    // Cascades: plain has 4 blocks (logit, block2, block1, stem).
    expect((report.models[0].cascade as Array<{ block: string }>).map((s) => s.block)).toEqual(['logit', 'block2', 'block1', 'stem']);

    // Localization AUROC of one case, recomputed from the written map and an independent consensus.
    const caseId = abnormal[0];
    const c = study.cases.find((x) => x.id === caseId)!;
    const img = await study.loadImage(c);
    const boxes = Object.values(study.readers).filter((r) => caseId in r).map((r) => r[caseId]);
    const consensus = new Uint8Array(SIZE * SIZE);
    for (let i = 0; i < SIZE; i++) {
      for (let j = 0; j < SIZE; j++) {
        // Nearest neighbour: the grid pixel takes the source pixel under its centre; that pixel's centre is tested against each box.
        const sx = Math.floor(((j + 0.5) * img.width) / SIZE) + 0.5;
        const sy = Math.floor(((i + 0.5) * img.height) / SIZE) + 0.5;
        const readersCovering = boxes.filter((bs) => bs.some(([x0, y0, x1, y1]) => sx >= x0 && sx < x1 && sy >= y0 && sy < y1)).length;
        consensus[i * SIZE + j] = readersCovering >= 2 ? 1 : 0;
      }
    }
    expect(consensus.some((v) => v === 1)).toBe(true);
    for (const method of ['ig', 'xrai']) {
      const arr = readNpy(new Uint8Array(readFileSync(path.join(mapsDir, caseId, 'branch-s2', `${method}.npy`))));
      expect(arr.shape).toEqual([SIZE, SIZE]);
      const expected = pairwiseAuroc(arr.data as Float32Array, consensus);
      const unit = report.cells[method].localization.units.find((u) => u.models[0] === 'branch-s2')!;
      expect(unit.perCase.find((p) => p.caseId === caseId)!.value).toBeCloseTo(expected, 12);
    }
    // Randomization threshold: the mapped (abnormal) cases' trained maps, every pair (fewer than 50); repeatability: SSIM of the two seeds' maps.
    const npy = (cid: string, model: string, method: string) => readNpy(new Uint8Array(readFileSync(path.join(mapsDir, cid, model, `${method}.npy`)))).data as Float32Array;
    const cids = abnormal;
    const pairSsims: number[] = [];
    for (let i = 0; i < cids.length; i++) for (let j = i + 1; j < cids.length; j++) pairSsims.push(ssim(npy(cids[i], 'plain-s2', 'sg'), npy(cids[j], 'plain-s2', 'sg'), SIZE, SIZE, { dataRange: 2 }));
    const sgUnit = report.cells.sg.randomization.units.find((u) => u.models[0] === 'plain-s2')!;
    expect((sgUnit.details as { threshold: number }).threshold).toBeCloseTo(meanOf(pairSsims), 12);
    const rep = report.cells.grad.repeatability.units[1].perCase.find((p) => p.caseId === cids[1])!;
    expect(rep.value).toBeCloseTo(ssim(npy(cids[1], 'branch-s1', 'grad'), npy(cids[1], 'branch-s2', 'grad'), SIZE, SIZE), 12);
    const index = JSON.parse(readFileSync(path.join(mapsDir, 'index.json'), 'utf8')).maps;
    // Trained maps of the abnormal cases only (normals enter no criterion): A x 4 models x 6 methods;
    // the randomized copies' maps on min(4, A) cases x 3 steps x 4 models x 6 methods.
    const A = abnormal.length;
    const R = Math.min(4, A);
    expect(index.filter((e: { model: string }) => !e.model.includes('@')).length).toBe(A * 4 * 6);
    expect(index.filter((e: { model: string }) => e.model.includes('@cascade-')).length).toBe(R * 3 * 4 * 6);

    // Classifier AUROC per model: logits from model.predict, AUROC by a pairwise count over cases.
    for (const id of ids) {
      const imgs = await Promise.all(study.cases.map((sc) => study.loadImage(sc)));
      const logits = imgs.map((img) => {
        const x = tf.tensor4d(preprocessImage(img, { input: { height: SIZE, width: SIZE, channels: 1 }, preprocessing: { scale: 2, offset: -1 } }), [1, SIZE, SIZE, 1]);
        const y = (models[id].predict(x) as tf.Tensor).dataSync()[0];
        x.dispose();
        return y;
      });
      const cl = report.classifier.find((r) => r.model === id)!;
      cl.perCase.forEach((p, k) => expect(p.logit).toBeCloseTo(logits[k], 4));
      // sigmoid model: the probability is sigmoid(logit)
      cl.perCase.forEach((p, k) => expect(p.probability).toBeCloseTo(1 / (1 + Math.exp(-logits[k])), 5));
      expect(cl.auroc).toBeCloseTo(pairwiseAuroc(logits, study.cases.map((sc) => sc.label ?? 0)), 12);
    }

    // Reader agreement: pooled and per abnormal case, both reader-vs-consensus figures labelled.
    expect(report.readerAgreement.perCase.map((r) => r.caseId)).toEqual(abnormal);
    const pooled = report.readerAgreement.pooled!;
    expect(pooled.vsOthers.iou).toEqual(expect.any(Number));
    expect(pooled.vsAllIncludingSelf.iou).toBeGreaterThanOrEqual(pooled.vsOthers.iou - 1e-9);
    const first = report.readerAgreement.perCase[0];
    expect(first.meanIoU).toBeCloseTo(meanOf(first.pairs.map((p) => p.iou)), 12);
    // Provenance.
    expect(report.models.map((m) => m.weightsSha256)).toEqual(ids.map(() => expect.stringMatching(/^[0-9a-f]{64}$/)));
    expect(report.methods.find((m) => m.id === 'sig')!.parameters).toEqual({ samples: 6, steps: 8, noise: 0.15, baseline: 'black', rule: DEFAULT_IG_RULE, tolerance: 0.05, maxSteps: 32 });
    expect((report.reference.seed as { passRandomization: string[] }).passRandomization).toEqual(['grad', 'ig', 'sig']);
    expect((report as unknown as { maps: unknown }).maps).toMatchObject({ computed: A * 4 * 6 + R * 3 * 4 * 6, reused: 0 });
  }, 240_000);

  it('--maps holding every map the report needs: builds no model, says so, and gives the same report', async () => {
    const ids = ['plain-s1', 'plain-s2', 'branch-s1', 'branch-s2'];
    const args = (maps: string, out: string) => ['evaluate', '--study', path.join(root, 'study'), '--models', ids.map((id) => dirs[id]).join(','), '--out', out, '--maps', maps, '--preset', 'quick', '--randomization-cases', '4', '--resamples', '200'];
    const first = JSON.parse(readFileSync(path.join(root, 'report.json'), 'utf8')) as TrustReport;
    // A copy of the folder the first run filled, so later tests see the original.
    const full = path.join(root, 'maps-complete');
    cpSync(path.join(root, 'maps'), full, { recursive: true });
    vi.mocked(loadModelDir).mockClear();
    const out = path.join(root, 'from-folder.json');
    const r = await cli(args(full, out));
    expect(r.code, r.err.slice(-2000)).toBe(0);
    expect(loadModelDir).not.toHaveBeenCalled();
    expect(r.err).toMatch(/holds all \d+ maps and 24 predictions the report needs: running no model/);
    expect(r.err).toContain('ran no model');
    expect(r.json).toMatchObject({ modelsRun: false, mapsComputed: 0, backend: 'wasm' });
    const again = JSON.parse(readFileSync(out, 'utf8')) as TrustReport;
    expect(again.cells).toEqual(first.cells);
    expect(again.verdicts).toEqual(first.verdicts);
    expect(again.classifier).toEqual(first.classifier);
    expect(again.models.map((m) => [m.id, m.weightsSha256, m.cascade])).toEqual(first.models.map((m) => [m.id, m.weightsSha256, m.cascade]));

    // One trained map and one randomized map gone: the models are built, those two computed, the report the same.
    const partial = path.join(root, 'maps-partial');
    cpSync(full, partial, { recursive: true });
    const abnormal = first.cases.find((c) => c.label === 1)!.id;
    rmSync(path.join(partial, abnormal, 'plain-s2', 'ig.npy'));
    const step = (first.models.find((m) => m.id === 'branch-s1')!.cascade as Array<{ step: number }>).at(-1)!.step;
    rmSync(path.join(partial, abnormal, `branch-s1@cascade-${step}`, 'sg.npy'));
    vi.mocked(loadModelDir).mockClear();
    const r2 = await cli(args(partial, path.join(root, 'from-partial.json')));
    expect(r2.code, r2.err.slice(-2000)).toBe(0);
    expect(r2.err).toMatch(/lacks 2 of \d+ maps and 0 of 24 predictions: computing them/);
    expect(loadModelDir).toHaveBeenCalledTimes(4);
    expect(r2.json).toMatchObject({ modelsRun: true, mapsComputed: 2 });
    const mended = JSON.parse(readFileSync(path.join(root, 'from-partial.json'), 'utf8')) as TrustReport;
    expect(mended.cells).toEqual(first.cells);
    expect(mended.classifier).toEqual(first.classifier);
  }, 240_000);

  it('plan holds the randomized models\' jobs; evaluate --plan --jobs 2 computes them in workers and scores the same report; a rerun computes nothing', async () => {
    const ids = ['plain-s1', 'plain-s2', 'branch-s1', 'branch-s2'];
    const first = JSON.parse(readFileSync(path.join(root, 'report.json'), 'utf8')) as TrustReport;
    const planFile = path.join(root, 'study-plan.json');
    const p = await cli(['plan', '--study', path.join(root, 'study'), '--models', ids.map((id) => dirs[id]).join(','), '--preset', 'quick', '--randomization-cases', '4', '--out', planFile]);
    expect(p.code, p.err.slice(-2000)).toBe(0);
    const plan = JSON.parse(readFileSync(planFile, 'utf8')) as { models: Array<{ id: string; cascade: Array<{ step: number; block: string }> }>; jobs: Array<{ key: string; case: string; model: string; method: string; step?: number; reinitSeed?: number; cost: number }> };
    // The cascades the plan read are those the in-process evaluate visited (same blocks, output to input).
    for (const m of plan.models) expect(m.cascade).toEqual(first.models.find((x) => x.id === m.id)!.cascade);
    const rCases = (first.settings.randomization as { cases: string[] }).cases;
    const randomized = plan.jobs.filter((j) => j.step !== undefined);
    // quick: 3 evenly spaced steps of each cascade (selectSteps), on the first 4 abnormal cases, six methods.
    const expected = plan.models.flatMap((m) => selectSteps(m.cascade.length, { count: 3 }).flatMap((i) => rCases.flatMap((c) => ['gradcam', 'grad', 'ig', 'sg', 'sig', 'xrai'].map((method) => `${c}/${m.id}@cascade-${m.cascade[i].step}/${method}.npy`))));
    expect(randomized.map((j) => j.key).sort()).toEqual(expected.sort());
    expect(randomized.every((j) => j.reinitSeed === 0)).toBe(true);
    expect(p.json.randomizationJobs).toBe(expected.length);
    // Trained jobs: every case (normal ones give the classifier its scores) x model x method.
    expect(plan.jobs.length - randomized.length).toBe(6 * 4 * 6);

    const dir = path.join(root, 'maps-plan');
    const out = path.join(root, 'from-plan.json');
    const r = await cli(['evaluate', '--plan', planFile, '--maps', dir, '--jobs', '2', '--out', out, '--resamples', '200']);
    expect(r.code, r.err.slice(-2000)).toBe(0);
    expect(r.json).toMatchObject({ planJobs: plan.jobs.length, planComputed: plan.jobs.length, planReused: 0, workers: 2, modelsRun: false, mapsComputed: 0 });
    expect(r.err).toContain('running no model');
    const fromPlan = JSON.parse(readFileSync(out, 'utf8')) as TrustReport;
    expect(fromPlan.cells).toEqual(first.cells);
    expect(fromPlan.verdicts).toEqual(first.verdicts);
    expect(fromPlan.classifier).toEqual(first.classifier);

    const again = await cli(['evaluate', '--plan', planFile, '--maps', dir, '--jobs', '2', '--out', out, '--resamples', '200']);
    expect(again.code, again.err.slice(-2000)).toBe(0);
    expect(again.json).toMatchObject({ planComputed: 0, planReused: plan.jobs.length, modelsRun: false });

    // Flags that the plan already settles are named.
    const bad = await cli(['evaluate', '--plan', planFile, '--maps', dir, '--preset', 'paper', '--out', out]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/leave out --preset/);
  }, 300_000);

  it('evaluate --jobs 2 without a plan builds one from its flags: the same report as one process', async () => {
    const ids = ['plain-s1', 'plain-s2', 'branch-s1', 'branch-s2'];
    const first = JSON.parse(readFileSync(path.join(root, 'report.json'), 'utf8')) as TrustReport;
    const out = path.join(root, 'jobs2.json');
    const r = await cli(['evaluate', '--study', path.join(root, 'study'), '--models', ids.map((id) => dirs[id]).join(','), '--out', out, '--maps', path.join(root, 'maps-jobs2'), '--jobs', '2', '--preset', 'quick', '--randomization-cases', '4', '--resamples', '200']);
    expect(r.code, r.err.slice(-2000)).toBe(0);
    // Trained maps of the abnormal cases and the randomized ones go through the workers; normal cases need only the models' scores.
    expect(r.json).toMatchObject({ workers: 2, planReused: 0, mapsComputed: 0 });
    expect(r.err).toMatch(/lacks 0 of \d+ maps and \d+ of 24 predictions/);
    const report = JSON.parse(readFileSync(out, 'utf8')) as TrustReport;
    expect(report.cells).toEqual(first.cells);
    expect(report.classifier).toEqual(first.classifier);
  }, 300_000);

  it('reuses matching maps from --maps and says null with a reason when a criterion cannot be computed', async () => {
    const out = path.join(root, 'one.json');
    const before = tf.memory().numTensors;
    const { code, json, err } = await cli(['evaluate', '--study', path.join(root, 'study'), '--models', dirs['plain-s1'], '--out', out, '--maps', path.join(root, 'maps'), '--preset', 'quick', '--methods', 'gradcam,sg', '--randomization-steps', '1', '--randomization-cases', '2', '--resamples', '50']);
    expect(code, err.slice(-2000)).toBe(0);
    expect(json.cases).toBe(6);
    // No tensor outlives the run (models loaded by the command are disposed with their probes and randomized copies).
    expect(tf.memory().numTensors).toBe(before);
    const report = JSON.parse(readFileSync(out, 'utf8')) as TrustReport & { maps: unknown };
    const A = report.cases.filter((c) => c.label === 1).length;
    // Step 3 of plain-s1 (fully randomized) was visited by the first run: its maps are reused too.
    expect(report.maps).toMatchObject({ computed: 0, reused: A * 2 + 2 * 2 });
    const firstRun = JSON.parse(readFileSync(path.join(root, 'report.json'), 'utf8')) as TrustReport;
    const ssimOf = (r: TrustReport, m: string) => r.cells[m].randomization.units.find((u) => u.models[0] === 'plain-s1')!.perCase.slice(0, 2) as Array<{ caseId: string; value: number; byStep: number[] }>;
    // the first run visited three steps on four cases, this one the last step on two: same SSIMs there
    expect(ssimOf(report, 'sg')).toEqual(ssimOf(firstRun, 'sg').map((c) => ({ ...c, byStep: [c.byStep.at(-1)] })));
    for (const m of ['gradcam', 'sg']) {
      for (const crit of ['repeatability', 'reproducibility']) {
        const cell = report.cells[m][crit];
        expect(cell.value).toBeNull();
        expect(cell.state).toBe('n/a');
        expect(cell.reason).toMatch(crit === 'repeatability' ? /two models of one family/ : /two different families/);
      }
      // n/a criteria: the verdict is undetermined unless a criterion fails
      expect(report.verdicts[m].state).toBe(['localization', 'randomization'].some((c) => report.cells[m][c].state === 'fail') ? 'not trustworthy' : 'undetermined');
      expect((report.cells[m].randomization.units[0].details as { curve: unknown[] }).curve.length).toBe(1);
    }
    // A different noise seed does not match the stored SmoothGrad maps (seeded) but does match Grad-CAM (unseeded).
    const again = await cli(['evaluate', '--study', path.join(root, 'study'), '--models', dirs['plain-s1'], '--out', out, '--maps', path.join(root, 'maps'), '--preset', 'quick', '--methods', 'gradcam,sg', '--seed', '9', '--cases', '2', '--randomization-steps', '1', '--resamples', '50']);
    expect(again.code, again.err.slice(-2000)).toBe(0);
    // --cases 2: one abnormal and one normal case; only the abnormal one is mapped (2 methods), cascade on it alone (2 methods)
    expect(JSON.parse(readFileSync(out, 'utf8')).maps).toMatchObject({ computed: 2, reused: 2 });
  }, 120_000);

  it('an image that cannot be decoded is a row of errors.csv beside --out; the other cases go on', async () => {
    const broken = path.join(root, 'broken-study');
    cpSync(path.join(root, 'study'), broken, { recursive: true });
    const study = readStudyFolder(broken);
    const bad = study.cases[1];
    writeFileSync(path.join(broken, bad.image), 'not a png');
    const out = path.join(root, 'broken-out', 'report.json');
    const { code, json, err } = await cli(['evaluate', '--study', broken, '--models', dirs['plain-s1'], '--out', out, '--preset', 'quick', '--methods', 'gradcam', '--randomization-steps', '1', '--randomization-cases', '2', '--resamples', '50']);
    expect(code, err.slice(-2000)).toBe(0);
    expect(json).toMatchObject({ cases: study.cases.length - 1, failed: 1 });
    const csv = readFileSync(path.join(root, 'broken-out', 'errors.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('file,code,message');
    expect(csv).toHaveLength(2);
    expect(csv[1]).toContain(bad.image);
    const report = JSON.parse(readFileSync(out, 'utf8')) as TrustReport;
    expect(report.cases.map((c) => c.id)).toEqual(study.cases.filter((c) => c.id !== bad.id).map((c) => c.id));
  }, 120_000);

  it('takes a GraphModel: its maps and localization count, randomization leaves it out and says why', async () => {
    // A TF.js GraphModel (hand-built GraphDef: conv 3x3 + ReLU, global mean, dense) in the model folder format.
    const dir = path.join(root, 'models', 'graph-s1');
    mkdirSync(dir, { recursive: true });
    const files = cnnGraphFiles(SIZE, Array.from(seededValues(36, 21), (v) => v - 0.5), [1.2, -0.7, 0.9, 0.4], 0.05);
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(files.modelJson));
    writeFileSync(path.join(dir, 'group1-shard1of1.bin'), files.shards.get('group1-shard1of1.bin')!);
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ id: 'graph-s1', architecture: 'graphnet', family: 'graphnet', seed: 1, input: { height: SIZE, width: SIZE, channels: 1 }, preprocessing: { scale: 2, offset: -1 }, output: { kind: 'logit', index: 0 } }));
    const out = path.join(root, 'graph.json');
    const { code, err } = await cli(['evaluate', '--study', path.join(root, 'study'), '--models', `${dirs['plain-s1']},${dir}`, '--out', out, '--preset', 'quick', '--methods', 'gradcam,grad', '--randomization-steps', '1', '--randomization-cases', '2', '--resamples', '50']);
    expect(code, err.slice(-2000)).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as TrustReport;
    for (const m of ['gradcam', 'grad']) {
      const loc = report.cells[m].localization;
      expect(loc.units.map((u) => u.models[0]).sort()).toEqual(['graph-s1', 'plain-s1']);
      expect(loc.units.every((u) => u.value !== null)).toBe(true);
      const rand = report.cells[m].randomization;
      const g = rand.units.find((u) => u.models[0] === 'graph-s1')!;
      expect(g.state).toBe('n/a');
      expect(g.reason).toMatch(/GraphModel/);
      // plain-s1's unit is computed; the cell is n/a (a unit cannot be computed) unless plain-s1 fails
      const plain = rand.units.find((u) => u.models[0] === 'plain-s1')!;
      expect(plain.value).toBeCloseTo(meanOf(plain.perCase.map((c) => (c.byStep as number[]).at(-1)!)), 12);
      expect(rand.state).toBe(plain.state === 'fail' ? 'fail' : 'n/a');
      expect(report.cells[m].reproducibility.value).not.toBeNull();
    }
    // The graph model's logits are its own: AUROC over the study from its predictions is reported like any model's.
    expect(report.classifier.find((c) => c.model === 'graph-s1')).toBeDefined();
  }, 120_000);
});
