import * as tf from '@tensorflow/tfjs';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../main';
import { readNpy } from '../../core/io/npy';
import { readStudyFolder } from '../studyFolder';
import { preprocessImage } from '../../core/model/preprocess';
import { validateManifest } from '../../core/model/manifest';
import { createOnnxProbe } from '../../core/model/onnx/probe';
import { makeOnnxFixtures, loadFixtureModel, useWasmBackend, type OnnxFixture } from '../../core/model/onnx/fixtures.testutil';
import { runCli } from '../testing/runCli';
import { readModelDir } from '../modelDir';
import { readChosenFiles } from '../../worker/api/modelImport';
import { loadModelFromFiles } from '../../core/model/load';
import { modelCascadeSteps, randomizeModel } from '../../core/model/cascade';
import { onnxCascadeSteps } from '../../core/model/onnx/randomize';
import { readdirSync } from 'node:fs';
import { runSaliency } from '../../core/saliency/run';
import { methodIds } from '../../core/saliency/catalog';

// The CLI on a folder holding only model.onnx (the small all-ops net of scripts/onnx_fixtures.py,
// proven equal to PyTorch in src/core/model/onnx/onnx.test.ts), and on a folder with model.onnx
// plus its external-data file.
let fx: OnnxFixture;
let onlyOnnx: string;
let withData: string;

const cli = runCli;

beforeAll(async () => {
  fx = makeOnnxFixtures(['small']).get('small')!;
  onlyOnnx = path.join(fx.dir, 'only-onnx');
  mkdirSync(onlyOnnx);
  copyFileSync(path.join(fx.dir, fx.onnx['17']), path.join(onlyOnnx, 'model.onnx'));
  withData = path.join(fx.dir, 'with-data');
  mkdirSync(withData);
  // The external-data file keeps the name the model gives it; the model file is renamed.
  copyFileSync(path.join(fx.dir, fx.onnx['13']), path.join(withData, 'model.onnx'));
  copyFileSync(path.join(fx.dir, `${fx.onnx['13']}.data`), path.join(withData, `${fx.onnx['13']}.data`));
  expect((await cli(['phantom', '--out', path.join(fx.dir, 'study'), '--count', '4', '--seed', '4', '--size', '48'])).code).toBe(0);
});
afterAll(() => {
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

describe('heatcheck on a folder holding only model.onnx', () => {
  it('model-info describes the graph: input from NCHW, logit output, Grad-CAM default and candidates', async () => {
    const { code, out } = await cli(['model-info', '--model', onlyOnnx]);
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(j).toMatchObject({ format: 'onnx', layout: 'onnx', input: { height: 32, width: 32, channels: 3 }, output: { kind: 'logit', classes: 1, index: 0 } });
    expect(j.sources).toMatchObject({ input: 'inferred', output: 'inferred', gradcamLayer: 'inferred', preprocessing: 'default' });
    expect(j.onnx).toMatchObject({ opset: 17, input: 'input', output: 'logit' });
    const cam = j.gradcamCandidates.find((c: { name: string }) => c.name === j.gradcamLayer);
    expect(cam).toMatchObject({ class: 'Mul', shape: [1, 36, 36, 4], cut: true });
    // Values that skip past other paths are listed but are not cuts.
    expect(j.gradcamCandidates.some((c: { cut: boolean }) => !c.cut)).toBe(true);
  });

  it('model-info finds the external-data file by the name the model gives it', async () => {
    const { code, out } = await cli(['model-info', '--model', withData]);
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(j.files.shards).toEqual([{ path: `${fx.onnx['13']}.data`, file: `${fx.onnx['13']}.data` }]);
    expect(j.onnx.opset).toBe(13);
  });

  it('predict and maps --methods grad,gradcam --raw: the probe\'s values on the preprocessed case', async () => {
    await tf.setBackend('cpu');
    const csv = path.join(fx.dir, 'pred.csv');
    const p = await cli(['predict', '--study', path.join(fx.dir, 'study'), '--model', onlyOnnx, '--out', csv]);
    expect(p.code).toBe(0);
    const rows = readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows.length).toBe(4);

    const out = path.join(fx.dir, 'maps');
    const m = await cli(['maps', '--study', path.join(fx.dir, 'study'), '--models', onlyOnnx, '--methods', 'grad,gradcam', '--raw', '--out', out]);
    expect(m.code).toBe(0);
    const study = readStudyFolder(path.join(fx.dir, 'study'));
    const first = study.cases[0];
    const grad = readNpy(new Uint8Array(readFileSync(path.join(out, first.id, 'only-onnx', 'grad.npy'))));
    expect(grad.shape).toEqual([32, 32, 3]);
    const cam = readNpy(new Uint8Array(readFileSync(path.join(out, first.id, 'only-onnx', 'gradcam.npy'))));
    expect(cam.shape).toEqual([32, 32, 1]);

    // The same case by hand: grayscale replicated to 3 channels, default preprocessing 2v - 1.
    const manifest = validateManifest({ id: 'only-onnx', input: { height: 32, width: 32, channels: 3 }, preprocessing: { scale: 2, offset: -1 }, output: { kind: 'logit', index: 0 } });
    const x = preprocessImage(await study.loadImage(first), manifest);
    for (let i = 0; i < 32 * 32; i++) expect(x[i * 3]).toBe(x[i * 3 + 2]);
    const model = loadFixtureModel(fx, 17);
    const probe = createOnnxProbe(model, manifest);
    try {
      const xt = tf.tensor4d(x, [1, 32, 32, 3]);
      const logit = probe.target(xt).dataSync()[0];
      expect(Number(rows.find((r) => r[0] === first.id)![1])).toBeCloseTo(logit, 4);
      const g = probe.inputGradients(xt).dataSync();
      let d = 0, mx = 0;
      for (let i = 0; i < g.length; i++) { d = Math.max(d, Math.abs(g[i] - Number(grad.data[i]))); mx = Math.max(mx, Math.abs(g[i])); }
      expect(d / mx).toBeLessThan(1e-3);
    } finally {
      probe.dispose();
      model.dispose();
    }
  });

  it('evaluate computes the randomization criterion on it (Conv/Gemm nodes re-initialised), not n/a', async () => {
    const report = path.join(fx.dir, 'report.json');
    const r = await cli(['evaluate', '--study', path.join(fx.dir, 'study'), '--models', onlyOnnx, '--out', report, '--preset', 'quick', '--methods', 'grad,gradcam', '--cases', '4', '--randomization-steps', '2', '--randomization-cases', '2', '--resamples', '50']);
    expect(r.code, r.err.slice(-2000)).toBe(0);
    const j = JSON.parse(readFileSync(report, 'utf8'));
    // Six weighted nodes (fc, up, c3, dw, c2, c1) in the cascade; two steps visited, ending fully randomized.
    const model = (j.models as Array<{ id: string; cascade: Array<{ step: number; block: string }> | { unavailable: string } }>).find((m) => m.id === 'only-onnx')!;
    expect(Array.isArray(model.cascade)).toBe(true);
    expect((model.cascade as Array<{ step: number }>).length).toBe(6);
    for (const m of ['grad', 'gradcam']) {
      const cell = j.cells[m].randomization as { state: string; value: number | null; units: Array<{ value: number | null; details: { curve: Array<{ step: string }> } }> };
      expect(cell.state).not.toBe('n/a');
      expect(typeof cell.value).toBe('number');
      const curve = cell.units[0].details.curve;
      expect(curve.length).toBe(2);
      expect(curve[1].step).toContain('fully randomized');
    }
  });

  it('the browser import reads the same files through the same reader: a folder, or the .onnx file and its external data chosen one by one', async () => {
    const bytes = (dir: string, n: string) => new Uint8Array(readFileSync(path.join(dir, n))).buffer;
    const cli = readModelDir(withData).info;
    // A folder chosen with webkitdirectory: paths under the folder's name.
    const folder = readChosenFiles(readdirSync(withData).map((n) => ({ name: `with-data/${n}`, bytes: bytes(withData, n) }))).info;
    expect(folder.source).toBe('with-data');
    expect({ ...folder, source: cli.source }).toEqual(cli);
    // The two files picked (or dropped) one by one.
    const picked = readChosenFiles(readdirSync(withData).map((n) => ({ name: n, bytes: bytes(withData, n) })));
    expect({ ...picked.info, source: cli.source }).toEqual(cli);
    // Without its external-data file: an error naming the file it needs.
    expect(() => readChosenFiles([{ name: 'model.onnx', bytes: bytes(withData, 'model.onnx') }])).toThrow(new RegExp(`external-data file "${fx.onnx['13']}.data", which is not among the files`));
    // What the browser stores (the .onnx bytes, the external data by location) loads to the same weights hash as the folder.
    const stored = await loadModelFromFiles({ source: 'stored', modelJson: null, shards: new Map(), onnx: { file: 'model.onnx', bytes: new Uint8Array(bytes(withData, 'model.onnx')), external: new Map(picked.files.onnx!.external) } }, picked.manifest);
    const fromFolder = await loadModelFromFiles(picked.files, picked.manifest);
    expect(stored.weightsHash).toBe(fromFolder.weightsHash);
    stored.model.dispose();
    fromFolder.model.dispose();
  });

  it('one cascade rule for the worker and the CLI: the ONNX graph\'s Conv/ConvTranspose/Gemm nodes, output first; a step re-initialises a copy', async () => {
    await tf.setBackend('cpu');
    const model = loadFixtureModel(fx, 17);
    try {
      const steps = modelCascadeSteps(model, 'small');
      expect(steps).toEqual(onnxCascadeSteps(model.graph));
      const ops = steps.map((s) => model.graph.nodes.find((n) => n.name === s.block)!.opType);
      expect(ops).toEqual(['Gemm', 'ConvTranspose', 'Conv', 'Conv', 'Conv', 'Conv']);
      const copy = randomizeModel(model, 0, 3, 'small');
      const w = model.graph.nodes.find((n) => n.name === steps[0].block)!.inputs[1];
      const before = model.graph.getWeight(w).dataSync();
      const after = (copy as typeof model).graph.getWeight(w).dataSync();
      expect(Array.from(after)).not.toEqual(Array.from(before));
      expect(Array.from(model.graph.getWeight(w).dataSync())).toEqual(Array.from(before));
      copy.dispose();
    } finally {
      model.dispose();
    }
  });

  // Few steps and samples: this is about every method running through the graph, not about their accuracy.
  const SMALL: Record<string, Record<string, unknown>> = { ig: { steps: 4, maxSteps: 4 }, sg: { samples: 2 }, sig: { samples: 2, steps: 2, maxSteps: 2 }, xrai: { steps: 2, maxSteps: 2 }, 'guided-ig': { steps: 4, maxSteps: 4 }, 'blur-ig': { steps: 4, maxSteps: 4 } };
  it('every method, the six and the extras (Guided IG, Blur IG, occlusion), runs on the imported graph: a finite map of the input size that is not constant', async () => {
    await useWasmBackend();
    const model = loadFixtureModel(fx, 17);
    const manifest = validateManifest({ id: 'only-onnx', input: { height: 32, width: 32, channels: 3 }, preprocessing: { scale: 2, offset: -1 }, output: { kind: 'logit', index: 0 } });
    const probe = createOnnxProbe(model, manifest);
    try {
      const ids = methodIds({ extras: true });
      expect(ids.length).toBe(9);
      for (const method of ids) {
        const r = await runSaliency(probe, fx.x, { method, preset: 'quick', seed: 0, params: SMALL[method] ?? {} });
        const map = r.output.map;
        expect([r.output.height, r.output.width], method).toEqual([32, 32]);
        expect(map.every(Number.isFinite), method).toBe(true);
        expect(Math.max(...map) - Math.min(...map), method).toBeGreaterThan(0);
      }
    } finally {
      probe.dispose();
      model.dispose();
    }
  });
});
