import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { DEFAULT_IG_RULE } from '../../core/saliency/quadrature';

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

async function cli(args: string[]): Promise<{ code: number; json: Record<string, unknown>; err: string }> {
  let out = '';
  let err = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  const spyErr = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  try {
    const code = await main(args);
    return { code, json: out.trim() ? JSON.parse(out) : {}, err };
  } finally {
    spy.mockRestore();
    spyErr.mockRestore();
  }
}

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

async function save(model: tf.LayersModel, id: string, family: string, seed: number): Promise<string> {
  const dir = path.join(root, 'models', id);
  mkdirSync(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (a) => {
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] }));
    writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const manifest = { id, name: id, architecture: `${family}-tiny`, family, seed, input: { height: SIZE, width: SIZE, channels: 1 }, preprocessing: { scale: 2, offset: -1 }, inputRange: [-1, 1], output: { kind: 'logit', index: 0 } };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
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

type Cell = { value: number | null; ci: [number, number] | null; n: number; p: number | null; pass: boolean | null; reason?: string; perCase: Array<{ caseId: string; value: number }>; units: Array<{ models: string[]; result: { value: number; pass: boolean; perCase: Array<{ caseId: string; value: number; byStep?: number[] }>; details: Record<string, unknown> } | null; reason?: string }>; details: Record<string, unknown>; parameters: Record<string, unknown> };

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

describe('heatcheck evaluate', () => {
  it('writes the trust report: six methods x four criteria, honest values, maps in --maps', async () => {
    const out = path.join(root, 'report.json');
    const mapsDir = path.join(root, 'maps');
    const ids = ['plain-s1', 'plain-s2', 'branch-s1', 'branch-s2'];
    const { code, json, err } = await cli(['evaluate', '--study', path.join(root, 'study'), '--models', ids.map((id) => dirs[id]).join(','), '--out', out, '--maps', mapsDir, '--preset', 'quick', '--randomization-cases', '4', '--resamples', '200']);
    expect(code, err.slice(-2000)).toBe(0);
    expect(json).toMatchObject({ out, cases: 6, models: ids, preset: 'quick', backend: 'wasm' });
    expect(err).toContain('evaluate: randomization');
    const report = JSON.parse(readFileSync(out, 'utf8'));
    const methods = ['gradcam', 'grad', 'ig', 'sg', 'sig', 'xrai'];
    expect(report.methods).toEqual(methods);
    const study = readStudyFolder(path.join(root, 'study'));
    expect(report.cases.map((c: { id: string }) => c.id)).toEqual(study.cases.map((c) => c.id));
    const abnormal = study.cases.filter((c) => c.label === 1).map((c) => c.id);
    expect(abnormal.length).toBeGreaterThanOrEqual(2);

    for (const m of methods) {
      for (const crit of ['localization', 'randomization', 'repeatability', 'reproducibility']) {
        const cell = report.criteria[m][crit] as Cell;
        // Four models of two families: every criterion is computable here.
        expect(cell.value, `${m} ${crit}: ${cell.reason}`).toEqual(expect.any(Number));
        expect(cell.ci![0]).toBeLessThanOrEqual(cell.value! + 1e-12);
        expect(cell.ci![1]).toBeGreaterThanOrEqual(cell.value! - 1e-12);
        expect(cell.p).toBeGreaterThanOrEqual(0);
        expect(cell.p).toBeLessThanOrEqual(1);
        expect(cell.pass).toBe(cell.p! < 0.05);
        expect(cell.n).toBe(cell.perCase.length);
        // A value is the mean of its per-case values; so is every unit's.
        expect(cell.value!).toBeCloseTo(meanOf(cell.perCase.map((c) => c.value)), 12);
        for (const u of cell.units) expect(u.result!.value).toBeCloseTo(meanOf(u.result!.perCase.map((c) => c.value)), 12);
        // Headline per case = mean over units.
        const c0 = cell.perCase[0];
        const unitVals = cell.units.map((u) => u.result!.perCase.find((c) => c.caseId === c0.caseId)!.value);
        expect(c0.value).toBeCloseTo(meanOf(unitVals), 12);
      }
      const loc = report.criteria[m].localization as Cell;
      expect(loc.perCase.map((c) => c.caseId)).toEqual(abnormal);
      expect(loc.units.map((u) => u.models)).toEqual(ids.map((id) => [id]));
      expect(report.criteria[m].repeatability.units.map((u: { models: string[] }) => u.models)).toEqual([['plain-s1', 'plain-s2'], ['branch-s1', 'branch-s2']]);
      expect(report.criteria[m].reproducibility.units.map((u: { models: string[] }) => u.models)).toEqual([['plain-s1', 'branch-s1'], ['plain-s2', 'branch-s2']]);
      const rnd = report.criteria[m].randomization as Cell;
      for (const u of rnd.units) {
        const curve = u.result!.details.curve as Array<{ step: string; mean: number }>;
        expect(curve.length).toBe(3);
        expect(curve[2].step).toContain('fully randomized');
        expect(u.result!.value).toBeCloseTo(curve[2].mean, 12);
        expect(u.result!.details.threshold).toEqual(expect.any(Number));
      }
      const v = report.verdict[m];
      expect(v.trustworthy).toBe(['localization', 'randomization', 'repeatability', 'reproducibility'].every((c) => report.criteria[m][c].pass === true));
    }
    // Cascades: plain has 4 blocks (logit, block2, block1, stem); branch has 4 (logit, mix, stem... per cascadeSteps).
    expect(report.models[0].cascade.map((s: { block: string }) => s.block)).toEqual(['logit', 'block2', 'block1', 'stem']);
    expect(report.parameters.randomization.plan['plain-s1'].visited.map((s: { step: number }) => s.step)).toEqual(selectSteps(4, { count: 3 }));

    // Localization AUROC of one case, recomputed from the written map and an independent consensus.
    const caseId = abnormal[0];
    const c = study.cases.find((x) => x.id === caseId)!;
    const img = study.loadImage(c);
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
      const unit = (report.criteria[method].localization as Cell).units.find((u) => u.models[0] === 'branch-s2')!;
      expect(unit.result!.perCase.find((p) => p.caseId === caseId)!.value).toBeCloseTo(expected, 12);
    }
    // Randomization threshold: 6 cases give 15 pairs (< 50), so every pair of trained maps; repeatability: SSIM of the two seeds' maps.
    const npy = (cid: string, model: string, method: string) => readNpy(new Uint8Array(readFileSync(path.join(mapsDir, cid, model, `${method}.npy`)))).data as Float32Array;
    const cids = study.cases.map((sc) => sc.id);
    const pairSsims: number[] = [];
    for (let i = 0; i < cids.length; i++) for (let j = i + 1; j < cids.length; j++) pairSsims.push(ssim(npy(cids[i], 'plain-s2', 'sg'), npy(cids[j], 'plain-s2', 'sg'), SIZE, SIZE, { dataRange: 2 }));
    const sgUnit = (report.criteria.sg.randomization as Cell).units.find((u) => u.models[0] === 'plain-s2')!;
    expect(sgUnit.result!.details.threshold as number).toBeCloseTo(meanOf(pairSsims), 12);
    const rep = (report.criteria.grad.repeatability as Cell).units[1].result!.perCase.find((p) => p.caseId === cids[2])!;
    expect(rep.value).toBeCloseTo(ssim(npy(cids[2], 'branch-s1', 'grad'), npy(cids[2], 'branch-s2', 'grad'), SIZE, SIZE), 12);
    const index = JSON.parse(readFileSync(path.join(mapsDir, 'index.json'), 'utf8')).maps;
    // Trained maps (6 cases x 4 models x 6 methods) and the randomized copies' maps (4 cases x 3 steps x 4 models x 6 methods).
    expect(index.filter((e: { model: string }) => !e.model.includes('@')).length).toBe(6 * 4 * 6);
    expect(index.filter((e: { model: string }) => e.model.includes('@cascade-')).length).toBe(4 * 3 * 4 * 6);

    // Classifier AUROC per model: logits from model.predict, AUROC by a pairwise count over cases.
    for (const id of ids) {
      const logits = study.cases.map((sc) => {
        const x = tf.tensor4d(preprocessImage(study.loadImage(sc), { input: { height: SIZE, width: SIZE, channels: 1 }, preprocessing: { scale: 2, offset: -1 } }), [1, SIZE, SIZE, 1]);
        const y = (models[id].predict(x) as tf.Tensor).dataSync()[0];
        x.dispose();
        return y;
      });
      const cl = report.classifier.find((r: { model: string }) => r.model === id);
      cl.perCase.forEach((p: { logit: number }, k: number) => expect(p.logit).toBeCloseTo(logits[k], 4));
      expect(cl.auroc).toBeCloseTo(pairwiseAuroc(logits, study.cases.map((sc) => sc.label ?? 0)), 12);
    }

    // Reader agreement: pooled and per abnormal case, both reader-vs-consensus figures labelled.
    expect(report.readerAgreement.perCase.map((r: { caseId: string }) => r.caseId)).toEqual(abnormal);
    expect(report.readerAgreement.pooled.vsOthers.iou).toEqual(expect.any(Number));
    expect(report.readerAgreement.pooled.vsAllIncludingSelf.iou).toBeGreaterThanOrEqual(report.readerAgreement.pooled.vsOthers.iou - 1e-9);
    expect(report.readerAgreement.labels.vsAllIncludingSelf).toContain('optimistic');
    const first = report.readerAgreement.perCase[0];
    expect(first.meanIoU).toBeCloseTo(meanOf(first.pairs.map((p: { iou: number }) => p.iou)), 12);
    // Provenance.
    expect(report.models.map((m: { weightsSha256: string }) => m.weightsSha256)).toEqual(ids.map(() => expect.stringMatching(/^[0-9a-f]{64}$/)));
    expect(report.parameters.methods.sig.parameters).toEqual({ samples: 6, steps: 8, noise: 0.15, baseline: 'black', rule: DEFAULT_IG_RULE, tolerance: 0.05, maxSteps: 32 });
    expect(report.reference.seed.passRandomization).toEqual(['grad', 'ig', 'sig']);
    expect(report.maps).toMatchObject({ computed: 144, reused: 0, randomizedComputed: 288, randomizedReused: 0 });
  }, 240_000);

  it('reuses matching maps from --maps and says null with a reason when a criterion cannot be computed', async () => {
    const out = path.join(root, 'one.json');
    const before = tf.memory().numTensors;
    const { code, json, err } = await cli(['evaluate', '--study', path.join(root, 'study'), '--models', dirs['plain-s1'], '--out', out, '--maps', path.join(root, 'maps'), '--preset', 'quick', '--methods', 'gradcam,sg', '--randomization-steps', '1', '--randomization-cases', '2', '--resamples', '50']);
    expect(code, err.slice(-2000)).toBe(0);
    expect(json.cases).toBe(6);
    // No tensor outlives the run (models loaded by the command are disposed with their probes and randomized copies).
    expect(tf.memory().numTensors).toBe(before);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    // Step 3 of plain-s1 (fully randomized) was visited by the first run: its maps are reused too.
    expect(report.maps).toMatchObject({ computed: 0, reused: 12, randomizedComputed: 0, randomizedReused: 4 });
    const firstRun = JSON.parse(readFileSync(path.join(root, 'report.json'), 'utf8'));
    const ssimOf = (r: { criteria: Record<string, { randomization: Cell }> }, m: string) => r.criteria[m].randomization.units.find((u) => u.models[0] === 'plain-s1')!.result!.perCase.slice(0, 2);
    expect(ssimOf(report, 'sg')).toEqual(ssimOf(firstRun, 'sg').map((c) => ({ ...c, byStep: [c.byStep!.at(-1)] })));
    for (const m of ['gradcam', 'sg']) {
      for (const crit of ['repeatability', 'reproducibility']) {
        const cell = report.criteria[m][crit];
        expect(cell.value).toBeNull();
        expect(cell.pass).toBeNull();
        expect(cell.reason).toMatch(crit === 'repeatability' ? /two models of one family/ : /two different families/);
      }
      expect(report.verdict[m].trustworthy).toBe(false);
      expect(report.criteria[m].randomization.units[0].result.details.curve.length).toBe(1);
    }
    // A different noise seed does not match the stored SmoothGrad maps (seeded) but does match Grad-CAM (unseeded).
    const again = await cli(['evaluate', '--study', path.join(root, 'study'), '--models', dirs['plain-s1'], '--out', out, '--maps', path.join(root, 'maps'), '--preset', 'quick', '--methods', 'gradcam,sg', '--seed', '9', '--cases', '2', '--randomization-steps', '1', '--resamples', '50']);
    expect(again.code, again.err.slice(-2000)).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).maps).toMatchObject({ computed: 2, reused: 2, randomizedComputed: 2, randomizedReused: 2 });
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
    const report = JSON.parse(readFileSync(out, 'utf8'));
    for (const m of ['gradcam', 'grad']) {
      const loc: Cell = report.criteria[m].localization;
      expect(loc.units.map((u) => u.models[0]).sort()).toEqual(['graph-s1', 'plain-s1']);
      expect(loc.units.every((u) => u.result !== null)).toBe(true);
      const rand: Cell = report.criteria[m].randomization;
      const g = rand.units.find((u) => u.models[0] === 'graph-s1')!;
      expect(g.result).toBeNull();
      expect(g.reason).toMatch(/GraphModel/);
      // The headline is plain-s1's fully randomized step alone.
      const plain = rand.units.find((u) => u.models[0] === 'plain-s1')!.result!;
      expect(rand.value).toBeCloseTo(meanOf(plain.perCase.map((c) => c.byStep!.at(-1)!)), 12);
      expect(report.criteria[m].reproducibility.value).not.toBeNull();
    }
    // The graph model's logits are its own: AUROC over the study from its predictions is reported like any model's.
    expect(report.classifier.find((c: { model: string }) => c.model === 'graph-s1')).toBeDefined();
  }, 120_000);
});
