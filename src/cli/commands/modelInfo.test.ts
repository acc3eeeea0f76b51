import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../main';
import { initNodeBackend } from '../nodeBackend';
import { loadModelDir, readModelDir } from '../modelDir';
import { createProbe } from '../../core/model/createProbe';
import { writeKerasInceptionV3Folder, writeModelFolder } from '../modelFixtures';
import { readChosenFiles } from '../../worker/api/modelImport';
import { readNpy } from '../../core/io/npy';
import { modelFolderFiles } from '../../core/model/architectures/kerasExport';
import * as tf from '@tensorflow/tfjs';

/** Runs the CLI; returns the exit code and stdout. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out.push(String(s)); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err.push(String(s)); return true; });
  try {
    return { code: await main(args), out: out.join(''), err: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

let dir: string;
let inception: string;
beforeAll(async () => {
  await initNodeBackend('wasm');
  dir = mkdtempSync(path.join(tmpdir(), 'heatcheck-modelinfo-'));
  inception = path.join(dir, 'inception_v3');
  await writeKerasInceptionV3Folder(inception, { shards: 6 });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('heatcheck model-info', () => {
  it('a Keras 2 InceptionV3 folder without manifest.json: 299x299x3, sigmoid, Grad-CAM at mixed10 (8x8x2048), all inferred', async () => {
    expect(readdirSync(inception).sort()).toEqual(['group1-shard1of6', 'group1-shard2of6', 'group1-shard3of6', 'group1-shard4of6', 'group1-shard5of6', 'group1-shard6of6', 'model.json']);
    expect(JSON.parse(readFileSync(path.join(inception, 'model.json'), 'utf8')).modelTopology.model_config.class_name).toBe('Functional');
    const r = await run(['model-info', '--model', inception]);
    expect(r.code, r.err).toBe(0);
    const info = JSON.parse(r.out);
    expect(info.input).toEqual({ height: 299, width: 299, channels: 3 });
    expect(info.output).toEqual({ kind: 'sigmoid', classes: 1, index: 0, explained: 'class' });
    expect(info.gradcamLayer).toBe('mixed10');
    expect(info.layout).toBe('keras2');
    expect(info.sources).toEqual({ input: 'inferred', output: 'inferred', class: 'inferred', gradcamLayer: 'inferred', preprocessing: 'default' });
    expect(info.preprocessing).toEqual({ scale: 2, offset: -1 });
    const byName = new Map((info.gradcamCandidates as Array<{ name: string; shape: number[] }>).map((c) => [c.name, c.shape]));
    // Keras' InceptionV3 block sizes: mixed0-2 35x35, mixed3-7 17x17, mixed8-10 8x8; the global avg_pool is no candidate.
    expect(byName.get('mixed0')).toEqual([null, 35, 35, 256]);
    expect(byName.get('mixed7')).toEqual([null, 17, 17, 768]);
    expect(byName.get('mixed10')).toEqual([null, 8, 8, 2048]);
    expect(byName.has('avg_pool')).toBe(false);
    expect(info.gradcamCandidates.at(-1).name).toBe('mixed10');
  });

  it('a class that the output does not have is a usage error (exit 2) naming the count', async () => {
    const r = await run(['model-info', '--model', inception, '--class', '1']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out)).toMatchObject({ ok: false, code: 'USAGE_BAD_CLASS' });
    expect(r.err).toMatch(/class 1 does not exist; the output has 1 class/);
    const missing = await run(['model-info', '--model', path.join(dir, 'nothing-here')]);
    expect(missing.code).toBe(3);
  });

  it('the browser import and the CLI read the same files through the same reader and get the same description', () => {
    const cli = readModelDir(inception).info;
    // What a folder chosen with webkitdirectory gives the worker: paths under the folder's name.
    const chosen = readdirSync(inception).map((n) => ({ name: `inception_v3/${n}`, bytes: new Uint8Array(readFileSync(path.join(inception, n))).buffer }));
    const browser = readChosenFiles(chosen).info;
    expect(browser.source).toBe('inception_v3');
    expect({ ...browser, source: cli.source }).toEqual(cli);
    // Files chosen one by one, shards renamed with an extension as a download might: same again.
    const picked = readdirSync(inception).map((n) => ({ name: n === 'model.json' ? n : `${n}.bin`, bytes: new Uint8Array(readFileSync(path.join(inception, n))).buffer }));
    const b2 = readChosenFiles(picked).info;
    expect({ ...b2, source: cli.source, files: cli.files }).toEqual(cli);
    expect(b2.files.shards.map((s) => s.file)).toEqual(cli.files.shards.map((s) => `${s.file}.bin`));
  });

  it('maps on the InceptionV3 folder: the model loads from the Keras 2 layout and Grad-CAM at mixed10 is not empty', async () => {
    const study = path.join(dir, 'study');
    expect((await run(['phantom', '--out', study, '--count', '2', '--seed', '5', '--size', '96'])).code).toBe(0);
    const out = path.join(dir, 'maps');
    const r = await run(['maps', '--study', study, '--models', inception, '--methods', 'gradcam', '--preset', 'quick', '--out', out, '--cases', readFileSync(path.join(study, 'cases.csv'), 'utf8').trim().split('\n')[1].split(',')[0]]);
    expect(r.code, r.err).toBe(0);
    const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8'));
    const entry = (index.maps ?? index.entries ?? index)[0];
    // The layer the maps used: the loaded model's manifest (from the reader), and the probe's own rule on the built model agrees.
    const lm = await loadModelDir(inception);
    expect(lm.manifest.gradcamLayer).toBe('mixed10');
    const p = createProbe(lm.model, { ...lm.manifest, gradcamLayer: undefined });
    expect(p.defaultLayer).toBe('mixed10');
    p.dispose();
    lm.model.dispose();
    const map = readNpy(new Uint8Array(readFileSync(path.join(out, entry.file))), entry.file);
    expect(map.shape).toEqual([299, 299]);
    const values = Array.from(map.data as Float32Array);
    expect(Math.max(...values)).toBeGreaterThan(0);
    expect(values.filter((v) => v > 0).length).toBeGreaterThan(299 * 299 * 0.01);
  }, 180_000);
});

describe('heatcheck predict --class', () => {
  it('a softmax model without a class writes each case\'s predicted class; --class writes that class', async () => {
    const input = tf.input({ shape: [16, 16, 1] });
    let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(input) as tf.SymbolicTensor;
    x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
    const y = tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }), biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 5 }) }).apply(x) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: y });
    const mdir = path.join(dir, 'softmax3');
    writeModelFolder(mdir, await modelFolderFiles(m, { layout: 'keras2' }));
    const study = path.join(dir, 'study3');
    expect((await run(['phantom', '--out', study, '--count', '6', '--seed', '9', '--size', '64'])).code).toBe(0);
    const info = JSON.parse((await run(['model-info', '--model', mdir])).out);
    expect(info.output).toEqual({ kind: 'softmax', classes: 3, index: null, explained: 'predicted' });
    const csv = path.join(dir, 'p.csv');
    expect((await run(['predict', '--study', study, '--model', mdir, '--out', csv])).code).toBe(0);
    const rows = readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    // The predicted class's probability is the largest of the three; check against the model itself.
    const { readStudyFolder } = await import('../studyFolder');
    const { preprocessImage } = await import('../../core/model/preprocess');
    const s = readStudyFolder(study);
    const man = readModelDir(mdir).manifest as Parameters<typeof preprocessImage>[1];
    for (const [i, c] of s.cases.entries()) {
      const probs = Array.from((m.predict(tf.tensor4d(preprocessImage(await s.loadImage(c), man), [1, 16, 16, 1])) as tf.Tensor).dataSync());
      expect(rows[i][2]).toBeCloseTo(Math.max(...probs), 5);
    }
    const csv1 = path.join(dir, 'p1.csv');
    expect((await run(['predict', '--study', study, '--model', mdir, '--out', csv1, '--class', '1'])).code).toBe(0);
    const rows1 = readFileSync(csv1, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    for (const [i, c] of s.cases.entries()) {
      const probs = Array.from((m.predict(tf.tensor4d(preprocessImage(await s.loadImage(c), man), [1, 16, 16, 1])) as tf.Tensor).dataSync());
      expect(rows1[i][2]).toBeCloseTo(probs[1], 5);
    }
    // maps: each entry records the predicted class it explained; its target is that class's logit (pre-softmax).
    const mout = path.join(dir, 'maps3');
    expect((await run(['maps', '--study', study, '--models', mdir, '--methods', 'grad', '--preset', 'quick', '--out', mout])).code).toBe(0);
    const entries = JSON.parse(readFileSync(path.join(mout, 'index.json'), 'utf8')).maps as Array<{ case: string; predictedClass: number; targetLogit: number }>;
    expect(entries.length).toBe(s.cases.length);
    const inner = tf.model({ inputs: m.inputs, outputs: m.layers[m.layers.length - 2].output as tf.SymbolicTensor });
    const [kernel, bias] = m.layers[m.layers.length - 1].getWeights();
    for (const e of entries) {
      const c = s.cases.find((k) => k.id === e.case)!;
      const xin = tf.tensor4d(preprocessImage(await s.loadImage(c), man), [1, 16, 16, 1]);
      const probs = Array.from((m.predict(xin) as tf.Tensor).dataSync());
      const want = probs.indexOf(Math.max(...probs));
      expect(e.predictedClass).toBe(want);
      const logits = (inner.predict(xin) as tf.Tensor2D).matMul(kernel as tf.Tensor2D).add(bias).dataSync();
      expect(e.targetLogit).toBeCloseTo(logits[want], 4);
    }
    // evaluate needs one fixed abnormal class: refused with a usage error that says how to give it.
    const ev = await run(['evaluate', '--study', study, '--models', mdir, '--out', path.join(dir, 'r.json'), '--preset', 'quick']);
    expect(ev.code).toBe(2);
    expect(JSON.parse(ev.out)).toMatchObject({ ok: false, code: 'USAGE_NEEDS_CLASS' });
    expect(ev.err).toMatch(/softmax output with several classes/);
  }, 60_000);
});
