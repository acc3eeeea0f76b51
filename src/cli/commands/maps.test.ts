import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../main';
import { readNpy } from '../../core/io/npy';
import { readStudyFolder } from '../studyFolder';
import { preprocessImage } from '../../core/model/preprocess';
import { parseShard } from './maps';
import { DEFAULT_IG_RULE } from '../../core/saliency/quadrature';
import { runCli } from '../testing/runCli';

let root: string;
let modelDir: string;
let model: tf.LayersModel;
const manifest = { id: 'tiny-s1', architecture: 'tiny', family: 'tiny', input: { height: 16, width: 16, channels: 1 }, preprocessing: { scale: 2, offset: -1 }, inputRange: [-1, 1], output: { kind: 'logit', index: 0 } };

/** Runs the CLI in this process; returns the exit code and the JSON it printed. */
const cli = runCli;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'heatcheck-maps-'));
  // A tiny model folder: model.json + weights.bin + manifest.json.
  const inp = tf.input({ shape: [16, 16, 1] });
  let h = tf.layers.conv2d({ name: 'stem_conv', filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(inp) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({ name: 'head_gap' }).apply(h) as tf.SymbolicTensor;
  model = tf.model({ inputs: inp, outputs: tf.layers.dense({ name: 'logit', units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), biasInitializer: tf.initializers.constant({ value: 0.3 }) }).apply(h) as tf.SymbolicTensor });
  modelDir = path.join(root, 'tiny-s1');
  await model.save(tf.io.withSaveHandler(async (a) => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(modelDir, { recursive: true });
    writeFileSync(path.join(modelDir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] }));
    writeFileSync(path.join(modelDir, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  writeFileSync(path.join(modelDir, 'manifest.json'), JSON.stringify(manifest));
  expect((await cli(['phantom', '--out', path.join(root, 'study'), '--count', '4', '--seed', '3', '--size', '48'])).code).toBe(0);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('heatcheck maps', () => {
  it('writes OUT/<case>/<model>/<method>.npy and index.json for a cost-balanced shard, quick preset', async () => {
    const out = path.join(root, 'out');
    const { code, json } = await cli(['maps', '--study', path.join(root, 'study'), '--models', modelDir, '--methods', 'gradcam,grad,ig,sg,sig', '--out', out, '--preset', 'quick', '--shard', '1/2', '--seed', '5']);
    expect(code).toBe(0);
    // Quick preset, per case: gradcam 1 + grad 1 + ig 16 steps + sg 6 samples + sig 6 x 8 = 72 model
    // passes (starting steps); 4 cases = 288, and the 20 jobs split into two parts of 144 (10 jobs each).
    expect(json).toMatchObject({ maps: 10, computed: 10, reused: 0, backend: 'wasm', preset: 'quick', planned: 10, estimatedCost: 144 });
    const study = readStudyFolder(path.join(root, 'study'));
    const ids = study.cases.map((c) => c.id);
    const idx = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')).maps as Array<Record<string, unknown>>;
    // Entries in plan order (case, then method), whatever order they were computed in.
    const order = (e: Record<string, unknown>) => ids.indexOf(String(e.case)) * 10 + ['gradcam', 'grad', 'ig', 'sg', 'sig'].indexOf(String(e.method));
    expect(idx.map(order)).toEqual([...idx.map(order)].sort((a, b) => a - b));
    for (const e of idx) {
      const arr = readNpy(new Uint8Array(readFileSync(path.join(out, String(e.case), 'tiny-s1', `${e.method}.npy`))));
      expect(arr.shape).toEqual([16, 16]);
      expect(arr.data).toBeInstanceOf(Float32Array);
      expect(Math.min(...(arr.data as Float32Array))).toBeGreaterThanOrEqual(0);
      expect(Math.max(...(arr.data as Float32Array))).toBeLessThanOrEqual(1);
      expect(e).toMatchObject({ model: 'tiny-s1', backend: 'wasm', seed: 5 });
      expect(typeof e.ms).toBe('number');
      // Each map's entry is also beside it, as the same JSON.
      expect(JSON.parse(readFileSync(path.join(out, String(e.case), 'tiny-s1', `${e.method}.json`), 'utf8'))).toEqual(e);
    }
    // Target logit at the input and at the black baseline, checked against model.predict.
    const ig = idx.find((e) => e.method === 'ig')!;
    const c = study.cases.find((k) => k.id === ig.case)!;
    const x = tf.tensor4d(preprocessImage(await study.loadImage(c), manifest), [1, 16, 16, 1]);
    const fx = (model.predict(x) as tf.Tensor).dataSync()[0];
    const fb = (model.predict(tf.fill([1, 16, 16, 1], -1)) as tf.Tensor).dataSync()[0];
    expect(ig.parameters).toEqual({ steps: 16, baseline: 'black', rule: DEFAULT_IG_RULE, tolerance: 0.05, maxSteps: 128 });
    expect(ig.targetLogit as number).toBeCloseTo(fx, 4);
    expect((ig.baselineLogits as Record<string, number>).black).toBeCloseTo(fb, 4);
    expect(idx.find((e) => e.method === 'grad')?.baselineLogits).toBeUndefined();
    expect(idx.find((e) => e.method === 'sig')!.parameters).toEqual({ samples: 6, steps: 8, noise: 0.15, baseline: 'black', rule: DEFAULT_IG_RULE, tolerance: 0.05, maxSteps: 32 });
    // Every IG-family entry says its completeness and steps; the others do not.
    for (const e of idx) {
      if (e.method === 'ig' || e.method === 'sig') {
        expect(typeof e.completenessError).toBe('number');
        expect(typeof e.steps).toBe('number');
        expect((e.completenessError as number) > 0.05).toBe(Array.isArray(e.warnings));
      } else {
        expect(e.completenessError).toBeUndefined();
        expect(e.steps).toBeUndefined();
      }
    }

    // Another run (grad, seed 0, all cases) into the same folder: index.json keeps the first run's other entries.
    expect((await cli(['maps', '--study', path.join(root, 'study'), '--models', modelDir, '--methods', 'grad', '--out', out])).code).toBe(0);
    const idx2 = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')).maps as Array<Record<string, unknown>>;
    const kept = idx.filter((e) => e.method !== 'grad').length;
    expect(idx2.length).toBe(kept + 4);
    expect(idx2.filter((e) => e.method === 'grad').every((e) => e.seed === 0)).toBe(true);
  });

  it('--raw writes H x W x C; --ig-steps, --samples and the --ig-* accuracy flags reach the methods that have them', async () => {
    const out = path.join(root, 'raw');
    const study = path.join(root, 'study');
    const folder = readStudyFolder(study);
    const first = folder.cases[0].id;
    const { code } = await cli(['maps', '--study', study, '--models', modelDir, '--methods', 'ig,sg,grad', '--out', out, '--raw', '--ig-steps', '3', '--samples', '2', '--cases', first, '--ig-rule', 'trapezoid', '--ig-tolerance', '0.001', '--ig-max-steps', '12']);
    expect(code).toBe(0);
    const idx = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')).maps as Array<Record<string, unknown>>;
    expect(idx.map((e) => [e.method, e.parameters])).toEqual([
      ['ig', { steps: 3, baseline: 'black', rule: 'trapezoid', tolerance: 0.001, maxSteps: 12 }],
      ['sg', { samples: 2, noise: 0.15 }],
      ['grad', {}],
    ]);
    const arr = readNpy(new Uint8Array(readFileSync(path.join(out, first, 'tiny-s1', 'ig.npy'))));
    expect(arr.shape).toEqual([16, 16, 1]);
    expect(existsSync(path.join(out, first, 'tiny-s1', 'sg.npy'))).toBe(true);
    // completenessError from the raw map's sum and model.predict at the input and the black baseline.
    const x = tf.tensor4d(preprocessImage(await folder.loadImage(folder.cases[0]), manifest), [1, 16, 16, 1]);
    const fx = (model.predict(x) as tf.Tensor).dataSync()[0];
    const fb = (model.predict(tf.fill([1, 16, 16, 1], -1)) as tf.Tensor).dataSync()[0];
    let sum = 0;
    for (const v of arr.data as Float32Array) sum += v;
    const ig = idx[0];
    expect(ig.completenessError as number).toBeCloseTo(Math.abs(sum - (fx - fb)) / Math.abs(fx - fb), 4);
    // The trapezoid refines 3 -> 5 -> 9 nodes (17 would pass the cap of 12).
    expect([3, 5, 9]).toContain(ig.steps);
    if ((ig.completenessError as number) > 0.001) {
      expect(ig.steps).toBe(9);
      expect((ig.warnings as string[])[0]).toMatch(/completeness error .* after 9 steps \(trapezoid rule\)/);
    } else {
      expect(ig.warnings).toBeUndefined();
    }
  });

  it('rejects an unknown --ig-rule and a negative --ig-tolerance with USAGE_BAD_OPTION', async () => {
    for (const flags of [['--ig-rule', 'simpson'], ['--ig-tolerance', '-1']]) {
      const { code, json } = await cli(['maps', '--study', path.join(root, 'study'), '--models', modelDir, '--methods', 'ig', '--out', path.join(root, 'bad-ig'), ...flags]);
      expect(code).not.toBe(0);
      expect(json.code).toBe('USAGE_BAD_OPTION');
      expect(String(json.message)).toContain(flags[0]);
    }
  });

  it('names every unregistered method in one clear error', async () => {
    const { code, json } = await cli(['maps', '--study', path.join(root, 'study'), '--models', modelDir, '--methods', 'grad,nope,xyz', '--out', path.join(root, 'bad')]);
    expect(code).not.toBe(0);
    expect(json.code).toBe('BAD_INPUT_METHOD');
    expect(String(json.message)).toContain('nope, xyz');
  });

  it('parses --shard', () => {
    expect(parseShard('2/5')).toEqual({ i: 2, n: 5 });
    expect(() => parseShard('5/5')).toThrowError(expect.objectContaining({ code: 'USAGE_BAD_OPTION' }));
  });
});
