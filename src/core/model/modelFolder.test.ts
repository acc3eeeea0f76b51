import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../platform/node/backend';
import { readModelFolder, type FolderEntry } from './modelFolder';
import { readTopology } from './topology';
import { modelFolderFiles } from './architectures/kerasExport';
import { buildArchitecture } from './architectures';
import { loadModelFromFiles } from './load';
import { createProbe } from './createProbe';
import { manifestForImage } from './explainedClass';
import { cnnGraphFiles } from './graphModelFixture';
import type { ModelManifest } from './manifest';

beforeAll(async () => {
  await initNodeBackend('wasm');
});

/** A small non-square CNN (32 high, 24 wide, so a swapped height and width shows): conv-pool-conv-relu, global pool, dense head. */
function smallCnn(units: number, activation: 'linear' | 'sigmoid' | 'softmax', opts: { softmaxLayer?: boolean; seed?: number } = {}): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: (opts.seed ?? 1) * 100 + s });
  const input = tf.input({ shape: [32, 24, 3], name: 'image' });
  let x = tf.layers.conv2d({ name: 'conv_a', filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ name: 'pool_a', poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ name: 'conv_b', filters: 6, kernelSize: [3, 5], padding: 'valid', kernelInitializer: init(2) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ name: 'relu_b', activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  let y = tf.layers.dense({ name: 'out', units, activation: opts.softmaxLayer ? 'linear' : activation, kernelInitializer: init(3) }).apply(x) as tf.SymbolicTensor;
  if (opts.softmaxLayer) y = tf.layers.activation({ name: 'probs', activation: 'softmax' }).apply(y) as tf.SymbolicTensor;
  return tf.model({ name: 'small', inputs: input, outputs: y });
}

/**
 * The TF.js topology rewritten as Keras 3 writes it (keras.saving.serialize_keras_object): InputLayer
 * `batch_shape`, dtype policies as objects, inbound nodes as {args, kwargs} holding __keras_tensor__
 * entries with their keras_history. Written here from Keras 3's format, independently of the reader.
 */
function toKeras3(files: Map<string, Uint8Array>): Map<string, FolderEntry> {
  const mj = JSON.parse(new TextDecoder().decode(files.get('model.json')!));
  const cfg = mj.modelTopology.config;
  const shapes = new Map<string, unknown>();
  for (const l of cfg.layers) {
    if (l.class_name === 'InputLayer') {
      l.config.batch_shape = l.config.batch_input_shape;
      delete l.config.batch_input_shape;
    }
    l.module = 'keras.layers';
    l.registered_name = null;
    l.config.dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
    shapes.set(l.name, null);
    const tensor = (ref: [string, number, number]) => ({ class_name: '__keras_tensor__', config: { shape: null, dtype: 'float32', keras_history: [ref[0], ref[1], ref[2]] } });
    l.inbound_nodes = (l.inbound_nodes as Array<Array<[string, number, number]>>).map((node) => ({
      args: node.length === 1 ? [tensor(node[0])] : [node.map(tensor)],
      kwargs: {},
    }));
  }
  cfg.input_layers = cfg.input_layers.length === 1 ? cfg.input_layers[0] : cfg.input_layers;
  cfg.output_layers = cfg.output_layers.length === 1 ? cfg.output_layers[0] : cfg.output_layers;
  mj.modelTopology = { module: 'keras', class_name: 'Functional', config: cfg, registered_name: 'Functional' };
  const out = new Map<string, FolderEntry>(files);
  out.set('model.json', mj);
  return out;
}

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe('readModelFolder: layouts', () => {
  it('reads a Keras 2 converter layout (model_config, extensionless shards, no manifest): input, output and Grad-CAM layer inferred', async () => {
    const m = smallCnn(1, 'sigmoid');
    const files = await modelFolderFiles(m, { layout: 'keras2', shards: 2 });
    expect([...files.keys()].sort()).toEqual(['group1-shard1of2', 'group1-shard2of2', 'model.json']);
    const { info } = readModelFolder(files, { source: 'k2' });
    expect(info.layout).toBe('keras2');
    expect(info.kerasVersion).toBe('2.13.1');
    expect(info.input).toEqual({ height: 32, width: 24, channels: 3 });
    expect(info.output).toEqual({ kind: 'sigmoid', classes: 1, index: 0, explained: 'class' });
    // conv_b (valid 3x5 on 16x12) is 14x8; relu_b is the last spatial layer; gap is global.
    expect(info.gradcamLayer).toBe('relu_b');
    expect(info.gradcamCandidates.map((c) => [c.name, c.shape])).toEqual([
      ['conv_a', [null, 32, 24, 8]],
      ['pool_a', [null, 16, 12, 8]],
      ['conv_b', [null, 14, 8, 6]],
      ['relu_b', [null, 14, 8, 6]],
    ]);
    expect(info.sources).toEqual({ input: 'inferred', output: 'inferred', class: 'inferred', gradcamLayer: 'inferred', preprocessing: 'default' });
    expect(info.files.manifest).toBeNull();
  });

  it('every layer shape it works out equals the shape TF.js computes when it builds the model (InceptionV3-style and DenseNet-121 blocks)', () => {
    for (const name of ['inception-compact', 'densenet121']) {
      const m = buildArchitecture(name);
      const topo = readTopology({ modelTopology: m.toJSON(null, false) as object });
      expect(topo.layers.length).toBe(m.layers.length);
      for (const l of topo.layers) expect([name, l.name, l.outputShape]).toEqual([name, l.name, m.getLayer(l.name).outputShape]);
      m.dispose();
    }
  });

  it('the TF.js layout and the Keras 3 layout of one model read the same', async () => {
    const m = smallCnn(3, 'softmax');
    const tfjsFiles = await modelFolderFiles(m, { layout: 'tfjs' });
    const a = readModelFolder(tfjsFiles, { source: 'x' }).info;
    const b = readModelFolder(toKeras3(tfjsFiles), { source: 'x' }).info;
    expect(a.layout).toBe('tfjs');
    expect(b.layout).toBe('tfjs');
    // Keras 3 writes no keras_version beside the topology; everything else reads the same.
    expect({ ...b, kerasVersion: a.kerasVersion }).toEqual(a);
    expect(a.input).toEqual({ height: 32, width: 24, channels: 3 });
    expect(a.gradcamLayer).toBe('relu_b');
    // And it loads: the Keras 3 form is rewritten for TF.js; same outputs as the original model.
    const r = readModelFolder(toKeras3(tfjsFiles), { source: 'k3' });
    const loaded = await loadModelFromFiles(r.files, { ...r.manifest, id: 'k3' });
    const x = tf.randomUniform([2, 32, 24, 3], -1, 1, 'float32', 5);
    expect(Array.from((loaded.model.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((m.predict(x) as tf.Tensor).dataSync()));
    x.dispose();
    loaded.model.dispose();
  });

  it('a Sequential model (no inbound nodes) is read from its first layer\'s batch_input_shape', async () => {
    const m = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [20, 30, 1], filters: 4, kernelSize: 3, strides: 2, padding: 'valid', name: 'c1' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 1, name: 'logit' }),
    ] });
    const files = await modelFolderFiles(m, { layout: 'keras2' });
    const { info } = readModelFolder(files, { source: 'seq' });
    expect(info.input).toEqual({ height: 20, width: 30, channels: 1 });
    expect(info.output.kind).toBe('logit');
    expect(info.gradcamCandidates).toEqual([{ name: 'c1', className: 'Conv2D', shape: [null, 9, 14, 4], cut: true }]);
  });
});

describe('readModelFolder: outputs and the class explained', () => {
  it('one linear unit is a logit; one sigmoid unit a sigmoid', async () => {
    expect(readModelFolder(await modelFolderFiles(smallCnn(1, 'linear'), { layout: 'keras2' }), { source: 'x' }).info.output).toEqual({ kind: 'logit', classes: 1, index: 0, explained: 'class' });
    expect(readModelFolder(await modelFolderFiles(smallCnn(1, 'sigmoid'), { layout: 'tfjs' }), { source: 'x' }).info.output.kind).toBe('sigmoid');
  });

  it('softmax with N classes: the predicted class unless one is chosen; a class that does not exist is refused', async () => {
    const files = await modelFolderFiles(smallCnn(4, 'softmax'), { layout: 'keras2' });
    const r = readModelFolder(files, { source: 'x' });
    expect(r.info.output).toEqual({ kind: 'softmax', classes: 4, index: null, explained: 'predicted' });
    expect(r.info.sources.class).toBe('predicted');
    expect(r.manifest.output).toEqual({ kind: 'softmax', index: 0, explain: 'predicted' });
    const c = readModelFolder(files, { source: 'x', classIndex: 2 });
    expect(c.info.output).toEqual({ kind: 'softmax', classes: 4, index: 2, explained: 'class' });
    expect(c.info.sources.class).toBe('option');
    expect(() => readModelFolder(files, { source: 'x', classIndex: 4 })).toThrow(/class 4 does not exist; the output has 4 class/);
  });

  it('a linear Dense followed by an Activation("softmax") layer is a softmax output', async () => {
    const { info } = readModelFolder(await modelFolderFiles(smallCnn(3, 'softmax', { softmaxLayer: true }), { layout: 'keras2' }), { source: 'x' });
    expect(info.output).toMatchObject({ kind: 'softmax', classes: 3 });
  });

  it('the predicted class of an image is the argmax of the model\'s output for it', async () => {
    const m = smallCnn(4, 'softmax', { seed: 7 });
    const files = await modelFolderFiles(m, { layout: 'keras2' });
    const folder = readModelFolder(files, { source: 'x' });
    const loaded = await loadModelFromFiles(folder.files, { ...folder.manifest, id: 'sm' });
    const seen = new Set<number>();
    for (let s = 0; s < 12; s++) {
      const x = tf.randomUniform([32, 24, 3], -1, 1, 'float32', s + 1);
      const probs = Array.from((m.predict(x.expandDims(0)) as tf.Tensor).dataSync());
      const want = probs.indexOf(Math.max(...probs));
      const man = manifestForImage(loaded.model, loaded.manifest, x);
      expect(man.output.index).toBe(want);
      expect(man.output.explain).toBeUndefined();
      seen.add(want);
      x.dispose();
    }
    loaded.model.dispose();
  });
});

describe('readModelFolder: Grad-CAM layer', () => {
  it('DenseNet: the default is the activation after the last dense block; branch convolutions that a skip connection bypasses are listed but not cuts', () => {
    const m = buildArchitecture('densenet-compact');
    const { candidates, defaultLayer } = (() => {
      const { info } = readModelFolder({ 'model.json': { modelTopology: m.toJSON(null, false) as object, weightsManifest: [] } }, { source: 'd' });
      return { candidates: info.gradcamCandidates, defaultLayer: info.gradcamLayer };
    })();
    expect(defaultLayer).toBe('head_relu');
    expect(candidates.find((c) => c.name === 'head_relu')).toMatchObject({ shape: [null, 8, 8, m.getLayer('head_relu').outputShape[3]], cut: true });
    expect(candidates.find((c) => c.name === 'dense3_l6_conv2')).toMatchObject({ cut: false });
    expect(candidates.find((c) => c.name === 'dense3_l6_concat')).toMatchObject({ cut: true });
    expect(candidates.some((c) => c.name === 'head_gap')).toBe(false);
    m.dispose();
  });

  it('DenseNet-121 (224x224x3): the last block\'s activation, 7x7x1024, as the probe of the built model also picks', () => {
    const m = buildArchitecture('densenet121');
    const { info } = readModelFolder({ 'model.json': { modelTopology: m.toJSON(null, false) as object, weightsManifest: [] } }, { source: 'd' });
    expect(info.input).toEqual({ height: 224, width: 224, channels: 3 });
    expect(info.gradcamLayer).toBe('head_relu');
    expect(info.gradcamCandidates.at(-1)).toMatchObject({ name: 'head_relu', shape: [null, 7, 7, 1024] });
    const manifest = { id: 'd', architecture: 'x', family: 'x', input: info.input, preprocessing: info.preprocessing, inputRange: info.inputRange, output: { kind: 'logit', index: 0 }, weightsSha256: '' } as ModelManifest;
    const p = createProbe(m, manifest);
    expect(p.defaultLayer).toBe('head_relu');
    p.dispose();
    m.dispose();
  });
});

describe('readModelFolder: files', () => {
  it('matches shards whatever their extension, finds model.json by content under another name, and reads manifest.json first', async () => {
    const files = await modelFolderFiles(smallCnn(1, 'linear'), { layout: 'keras2', shards: 2 });
    const renamed = new Map<string, FolderEntry>([
      ['m/my-inception.json', files.get('model.json')!],
      ['m/group1-shard1of2.bin', files.get('group1-shard1of2')!],
      ['m/group1-shard2of2.bin', files.get('group1-shard2of2')!],
      ['m/manifest.json', json({ id: 'mine', input: { height: 32, width: 24, channels: 3 }, preprocessing: { scale: 1, offset: 0 }, output: { kind: 'logit', index: 0 }, gradcamLayer: 'conv_b' })],
    ]);
    const r = readModelFolder(renamed, { source: 'm' });
    expect(r.info.files).toEqual({
      modelJson: 'm/my-inception.json',
      manifest: 'm/manifest.json',
      shards: [{ path: 'group1-shard1of2', file: 'm/group1-shard1of2.bin' }, { path: 'group1-shard2of2', file: 'm/group1-shard2of2.bin' }],
    });
    expect(r.info.sources).toEqual({ input: 'manifest', output: 'manifest', class: 'manifest', gradcamLayer: 'manifest', preprocessing: 'manifest' });
    expect(r.info.gradcamLayer).toBe('conv_b');
    expect(r.info.preprocessing).toEqual({ scale: 1, offset: 0 });
    expect(r.info.warnings).toEqual([]);
    const loaded = await loadModelFromFiles(r.files, r.manifest);
    expect(loaded.manifest.id).toBe('mine');
    loaded.model.dispose();
  });

  it('a missing shard is a warning when reading and BAD_INPUT_MISSING_SHARD when loading; no model.json is BAD_INPUT_NO_MODEL_JSON', async () => {
    const files = await modelFolderFiles(smallCnn(1, 'linear'), { layout: 'keras2', shards: 2 });
    files.delete('group1-shard2of2');
    const r = readModelFolder(files, { source: 'half' });
    expect(r.info.warnings[0]).toMatch(/group1-shard2of2/);
    await expect(loadModelFromFiles(r.files, r.manifest)).rejects.toMatchObject({ code: 'BAD_INPUT_MISSING_SHARD' });
    expect(() => readModelFolder({ 'a.bin': new Uint8Array(4) }, { source: 'none' })).toThrow(expect.objectContaining({ code: 'BAD_INPUT_NO_MODEL_JSON' }));
  });

  it('the Keras 2 layout loads into the same model: same outputs, and the probe cuts Grad-CAM where the reader says', async () => {
    const m = smallCnn(1, 'sigmoid', { seed: 3 });
    const r = readModelFolder(await modelFolderFiles(m, { layout: 'keras2', shards: 3 }), { source: 'k2' });
    const loaded = await loadModelFromFiles(r.files, { ...r.manifest, id: 'k2' });
    const x = tf.randomUniform([2, 32, 24, 3], -1, 1, 'float32', 11);
    const a = (m.predict(x) as tf.Tensor).dataSync();
    const b = (loaded.model.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    const p = createProbe(loaded.model, { ...loaded.manifest, gradcamLayer: undefined });
    expect(p.defaultLayer).toBe(r.info.gradcamLayer);
    p.dispose();
    x.dispose();
    loaded.model.dispose();
  });

  it('a GraphModel: input from its placeholder; the Grad-CAM node is left to the graph probe', () => {
    const g = cnnGraphFiles(40, Array.from({ length: 36 }, (_, i) => Math.sin(i)), [1, -1, 0.5, 0.2], 0);
    const files = new Map<string, FolderEntry>([['model.json', g.modelJson as object], ...[...g.shards].map(([k, v]) => [k, v] as [string, FolderEntry])]);
    const { info } = readModelFolder(files, { source: 'g' });
    expect(info.format).toBe('graph-model');
    expect(info.input).toEqual({ height: 40, width: 40, channels: 1 });
    expect(info.gradcamLayer).toBeNull();
  });
});
