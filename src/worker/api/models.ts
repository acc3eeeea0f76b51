import * as tf from '@tensorflow/tfjs';
import { openDatabase, type ModelRecord } from '../../storage/db';
import { loadModelFromFiles, shardPaths, type LoadedModel } from '../../core/model/load';
import { ModelError, inputRangeOf, validateManifest, type ModelManifest } from '../../core/model/manifest';
import { modelInput } from '../../core/model/preprocess';
import type { IntensityRecord } from '../../core/study/intensity';
import { abnormalProbability } from '../../core/model/abnormal';
import { createProbe, isGraphModel, isOnnxModel } from '../../core/model/createProbe';
import { reply, type Reply } from '../jobs';
import { readChosenFiles, type ImportFile } from './modelImport';
import type { ModelFolderInfo } from '../../core/model/modelFolder';
import { activeBackend } from './backend';
import { dropProbes, setModelSource } from './saliency';
import { ModelCache } from './modelCache';

/**
 * Models in the worker: the demo models served by the app (models/index.json, models/<id>/...)
 * and the user's imported models (IndexedDB `models` store). Each is built once and cached.
 * Other worker modules call getLoadedModel(id); the UI calls listModels, predict, importModel and
 * deleteModel through the worker API.
 */
export type { LoadedModel };

export interface ModelSummary {
  id: string;
  source: 'demo' | 'import';
  manifest: ModelManifest;
  weightsBytes: number;
  createdAt?: number;
}

/** output: the model's whole output row (the trust study derives the probability from the declared output). */
export interface Prediction { modelId: string; logit: number; probability: number; output: number[]; backend: string; ms: number; intensity: IntensityRecord }

/**
 * What the import form says about a model. It is filled from the model's files (inspectModel:
 * manifest.json when chosen, else inferred from the topology) and the user may change any field.
 */
export interface ImportForm {
  name: string;
  height: number;
  width: number;
  channels: number;
  scale: number;
  offset: number;
  /** Per-channel normalisation after scale and offset (ImageNet: mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225]); absent: none. */
  mean?: number[];
  std?: number[];
  outputKind: 'logit' | 'sigmoid' | 'softmax';
  outputIndex: number;
  /** Grad-CAM layer; empty: the reader's default (the last spatial layer that cuts the model). */
  gradcamLayer?: string;
}

export type { ImportFile };

/** The app root (where index.html and models/ live): the worker runs from <root>/assets/ (built) or <root>/src/worker/ (dev). */
function appRoot(): string {
  return self.location.href.replace(/\/(assets|src)\/[^?#]*([?#].*)?$/, '/');
}

async function fetchOk(url: URL, what: string): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new ModelError('NOT_FOUND_MODEL', `${what}: ${url.pathname} answered ${r.status}`);
  return r;
}

let demoIndex: Promise<Array<{ id: string }>> | null = null;
function demoIds(): Promise<Array<{ id: string }>> {
  if (!demoIndex) {
    demoIndex = fetchOk(new URL('models/index.json', appRoot()), 'demo models').then(async (r) => ((await r.json()) as { models: Array<{ id: string }> }).models);
    demoIndex.catch(() => { demoIndex = null; });
  }
  return demoIndex;
}

async function demoManifest(id: string): Promise<ModelManifest> {
  const r = await fetchOk(new URL(`models/${encodeURIComponent(id)}/manifest.json`, appRoot()), `model "${id}"`);
  return validateManifest(await r.json(), `models/${id}/manifest.json`);
}

async function loadDemo(id: string): Promise<LoadedModel> {
  const base = new URL(`models/${encodeURIComponent(id)}/`, appRoot());
  const modelJson = await (await fetchOk(new URL('model.json', base), `model "${id}"`)).json();
  const manifest = await (await fetchOk(new URL('manifest.json', base), `model "${id}"`)).json();
  const shards = new Map<string, Uint8Array>();
  for (const s of shardPaths(modelJson, id)) shards.set(s, new Uint8Array(await (await fetchOk(new URL(s, base), `model "${id}"`)).arrayBuffer()));
  return loadModelFromFiles({ source: `models/${id}`, modelJson, shards, manifest });
}

async function loadImported(rec: ModelRecord): Promise<LoadedModel> {
  if (rec.onnx) {
    const external = new Map(rec.onnx.external.map((e) => [e.location, new Uint8Array(e.bytes)] as const));
    return loadModelFromFiles({ source: `imported model "${rec.manifest.name ?? rec.id}"`, modelJson: null, shards: new Map(), manifest: rec.manifest, onnx: { file: rec.onnx.file, bytes: new Uint8Array(rec.weights), external } });
  }
  const shards = new Map([['weights.bin', new Uint8Array(rec.weights)]]);
  return loadModelFromFiles({ source: `imported model "${rec.manifest.name ?? rec.id}"`, modelJson: rec.modelJson, shards, manifest: rec.manifest });
}

/**
 * Built models by id, least recently used first, a dropped model disposed with its probes. Every
 * worker keeps at most MODEL_BYTES of weights built (the most recently used model always stays);
 * the pool's workers also at most a few models (limitModels). A model that a map or a prediction
 * is running on is pinned and never dropped under it.
 */
const cache = new ModelCache<Promise<LoadedModel>>((old, p) => {
  void p.then((m) => {
    dropProbes(old);
    m.model.dispose();
  }, () => {});
});

/** An eighth of the device memory the browser reports (4 GiB assumed where it does not say). */
const deviceGiB = typeof navigator !== 'undefined' ? (navigator as Navigator & { deviceMemory?: number }).deviceMemory ?? 4 : 4;
const MODEL_BYTES = (deviceGiB * 2 ** 30) / 8;
cache.setBudget(MODEL_BYTES);

/** Keeps at most `n` models built in this worker (the pool's workers, which run one job at a time). */
export function limitModels(n: number): void {
  cache.setLimit(n);
}

/** The built model by id (demo or imported), cached. Throws ModelError NOT_FOUND_MODEL for an unknown id. */
export function getLoadedModel(id: string): Promise<LoadedModel> {
  let p = cache.use(id);
  if (!p) {
    cache.makeRoomFor(id);
    let bytes = 0;
    const built: Promise<LoadedModel> = (async () => {
      await activeBackend();
      const db = await openDatabase();
      const rec = await db.get('models', id);
      if (rec) {
        bytes = recordBytes(rec);
        return loadImported(rec);
      }
      if ((await demoIds()).some((m) => m.id === id)) {
        bytes = Number((await demoManifest(id)).weightsBytes ?? 0);
        return loadDemo(id);
      }
      throw new ModelError('NOT_FOUND_MODEL', `model "${id}" is neither a demo model nor imported in this browser; import it on the Data page`);
    })();
    built.then(() => cache.setSize(id, bytes), () => cache.forget(id, built));
    cache.set(id, built);
    p = built;
  }
  return p;
}

/** Runs `use` on a built model, pinned so that no other work drops it meanwhile. */
export async function withLoadedModel<T>(id: string, use: (m: LoadedModel) => Promise<T>): Promise<T> {
  cache.pin(id);
  try {
    return await use(await getLoadedModel(id));
  } finally {
    cache.unpin(id);
  }
}

setModelSource(getLoadedModel, (id) => { cache.pin(id); return () => cache.unpin(id); });

/** Bytes of an imported model's weights: its weights file and an ONNX model's external data. */
function recordBytes(rec: ModelRecord): number {
  return rec.weights.byteLength + (rec.onnx?.external ?? []).reduce((a, e) => a + e.bytes.byteLength, 0);
}

function bytesOf(modelJson: unknown): number {
  const mj = modelJson as { weightsManifest?: Array<{ weights: Array<{ shape: number[]; dtype?: string }> }> };
  return (mj.weightsManifest ?? []).flatMap((g) => g.weights).reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1) * (w.dtype === 'uint8' || w.dtype === 'bool' ? 1 : 4), 0);
}

async function listModelsUnwrapped(): Promise<ModelSummary[]> {
  const out: ModelSummary[] = [];
  for (const { id } of await demoIds()) {
    const manifest = await demoManifest(id);
    out.push({ id, source: 'demo', manifest, weightsBytes: Number(manifest.weightsBytes ?? 0) });
  }
  const db = await openDatabase();
  for (const rec of (await db.getAll('models')).sort((a, b) => a.createdAt - b.createdAt)) {
    out.push({ id: rec.id, source: 'import', manifest: rec.manifest as unknown as ModelManifest, weightsBytes: recordBytes(rec), createdAt: rec.createdAt });
  }
  return out;
}

/** Demo models first (models/index.json order), then imported ones (oldest first). */
export function listModels(): Promise<Reply<ModelSummary[]>> {
  return reply(listModelsUnwrapped);
}

/** Runs one model on one stored image (`images` store, by content hash): the abnormal logit and probability. */
export function predict(modelId: string, imageHash: string): Promise<Reply<Prediction>> {
  return reply(() => predictUnwrapped(modelId, imageHash));
}

export async function predictUnwrapped(modelId: string, imageHash: string): Promise<Prediction> {
  return withLoadedModel(modelId, async ({ model, manifest }) => {
    const db = await openDatabase();
    const img = await db.get('images', imageHash);
    if (!img) throw new ModelError('NOT_FOUND_IMAGE', `image ${imageHash.slice(0, 12)}… is not in this browser's storage; import the study again`);
    const { height, width, channels } = manifest.input;
    const { x, intensity } = modelInput({ width: img.width, height: img.height, data: img.pixels, window: img.window, voiLut: img.voiLut, invert: img.invert }, manifest);
    const t0 = performance.now();
    // The logit is the saliency probe's target (pre-sigmoid / pre-softmax), the probability the model's own output.
    const probe = createProbe(model, manifest);
    try {
      const [row, logit] = tf.tidy(() => {
        const xt = tf.tensor4d(x, [1, height, width, channels]);
        return [(model.predict(xt) as tf.Tensor).reshape([-1]).dataSync(), probe.target(xt).dataSync()[0]] as const;
      });
      const ms = performance.now() - t0;
      return { modelId, logit, probability: abnormalProbability(Array.from(row), manifest.output), output: Array.from(row), backend: await activeBackend(), ms, intensity };
    } finally {
      probe.dispose();
    }
  });
}

/**
 * Grad-CAM's default layer of a loaded model, as its probe chooses it: for layers, the last layer with
 * a spatial output larger than 1x1 that every path to the output goes through (never a global
 * pooling's 1x1 output); for a GraphModel, the graph probe's default node.
 */
function gradcamLayerOf(loaded: LoadedModel): string | null {
  const p = createProbe(loaded.model, { ...loaded.manifest, gradcamLayer: undefined });
  try {
    return p.defaultLayer || null;
  } finally {
    p.dispose();
  }
}

const base = (n: string) => n.split('/').pop()!;

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'model';
}

/**
 * Reads the chosen files (any names, a whole folder, shards with or without an extension) with the
 * model-folder reader: input size, output kind and classes, Grad-CAM layer and candidates with their
 * output shapes, preprocessing, each with where it came from. Builds nothing; the form shows it.
 */
export function inspectModel(files: ImportFile[]): Promise<Reply<ModelFolderInfo>> {
  return reply(async () => readChosenFiles(files).info);
}

/**
 * Validates and stores a model chosen by the user, read by the same reader as the CLI: a TF.js
 * LayersModel or GraphModel (model.json + the weight shards it lists, matched by name whatever
 * their extension) or an ONNX model (a .onnx file, its external-data file when the weights are
 * stored beside it), with manifest.json when chosen; the form's fields (pre-filled from that
 * reader) say the rest. Errors carry a code and name the file: BAD_INPUT_NO_MODEL_JSON,
 * BAD_INPUT_MODEL_JSON, BAD_INPUT_MISSING_SHARD, BAD_INPUT_SHARD_SIZE, BAD_INPUT_MODEL,
 * BAD_INPUT_MODEL_SHAPE, BAD_INPUT_NO_CONV_LAYER, BAD_INPUT_LAYER, and for ONNX BAD_INPUT_ONNX,
 * BAD_INPUT_ONNX_OP (op, node and opset named), BAD_INPUT_ONNX_OPSET, BAD_INPUT_ONNX_EXTERNAL_DATA.
 */
export function importModel(files: ImportFile[], form: ImportForm): Promise<Reply<ModelSummary>> {
  return reply(async () => {
    await activeBackend();
    const folder = readChosenFiles(files);
    const onnx = folder.info.format === 'onnx';
    const fileName = base(folder.info.files.modelJson);
    const preprocessing: ModelManifest['preprocessing'] = { scale: form.scale, offset: form.offset, ...(form.mean?.length ? { mean: form.mean } : {}), ...(form.std?.length ? { std: form.std } : {}) };
    const manifest: Partial<ModelManifest> = {
      ...folder.manifest,
      name: form.name || (folder.manifest.name as string | undefined) || (folder.info.source !== 'chosen files' ? folder.info.source : fileName),
      architecture: folder.manifest.architecture ?? (onnx ? 'onnx' : 'imported'),
      family: folder.manifest.family ?? folder.manifest.architecture ?? (onnx ? 'onnx' : 'imported'),
      input: { height: form.height, width: form.width, channels: form.channels },
      preprocessing,
      inputRange: inputRangeOf(preprocessing, form.channels),
      output: { kind: form.outputKind, index: form.outputIndex },
      gradcamLayer: form.gradcamLayer || folder.info.gradcamLayer || undefined,
    };
    if (!manifest.gradcamLayer) delete manifest.gradcamLayer;
    const loaded = await loadModelFromFiles({ ...folder.files, source: onnx ? folder.info.source : fileName }, manifest);
    let gradcamLayer: string | null;
    try {
      gradcamLayer = manifest.gradcamLayer ?? gradcamLayerOf(loaded);
      if (gradcamLayer && isOnnxModel(loaded.model)) {
        const g = loaded.model.graph;
        if (!g.producerOf(gradcamLayer) && !g.nodes.some((n) => n.name === gradcamLayer)) {
          throw new ModelError('BAD_INPUT_LAYER', `${fileName}: the graph has no node or value named "${gradcamLayer}" for Grad-CAM; pick one of the listed candidates`);
        }
      } else if (gradcamLayer && !isGraphModel(loaded.model)) {
        try {
          (loaded.model as tf.LayersModel).getLayer(gradcamLayer);
        } catch {
          throw new ModelError('BAD_INPUT_LAYER', `${fileName}: no layer named "${gradcamLayer}" for Grad-CAM; pick one of the listed candidates`);
        }
      }
      if (!gradcamLayer) {
        throw new ModelError('BAD_INPUT_NO_CONV_LAYER', `${fileName}: the model has no layer with a spatial output larger than 1x1, so Grad-CAM has nowhere to look; an image classifier with convolutional layers is expected`);
      }
    } catch (e) {
      loaded.model.dispose();
      throw e;
    }
    let record: ModelRecord;
    let weightsBytes: number;
    const hash = loaded.weightsHash;
    const id = `import-${slug(manifest.name!)}-${hash.slice(0, 8)}`;
    const importedFrom = files.map((f) => base(f.name));
    if (onnx) {
      // The .onnx file as chosen, and its external-data files under the location the graph names (the weights hash covers them all).
      const o = folder.files.onnx!;
      const external = [...o.external].map(([location, b]) => ({ location, bytes: b.slice().buffer }));
      weightsBytes = o.bytes.byteLength + external.reduce((a, e) => a + e.bytes.byteLength, 0);
      const stored: ModelManifest = { ...loaded.manifest, id, name: manifest.name, gradcamLayer, weightsSha256: hash, weightsBytes, importedFrom, read: folder.info.sources };
      record = { id, manifest: stored as unknown as Record<string, unknown>, modelJson: null, weights: o.bytes.slice().buffer, onnx: { file: o.file, external }, createdAt: Date.now() };
    } else {
      // One shard in storage: the concatenation, in model.json's order (the weights hash is of exactly these bytes).
      const mj = folder.files.modelJson as { weightsManifest?: Array<{ paths: string[]; weights: unknown[] }> };
      const parts = shardPaths(mj, fileName).map((p) => folder.files.shards.get(p)!);
      const weights = new Uint8Array(parts.reduce((a, b) => a + b.byteLength, 0));
      let off = 0;
      for (const p of parts) { weights.set(p, off); off += p.byteLength; }
      weightsBytes = weights.byteLength;
      const stored: ModelManifest = { ...loaded.manifest, id, name: manifest.name, gradcamLayer, weightsSha256: hash, weightsBytes, importedFrom, read: folder.info.sources };
      record = {
        id,
        manifest: stored as unknown as Record<string, unknown>,
        modelJson: { ...mj, weightsManifest: [{ paths: ['weights.bin'], weights: (mj.weightsManifest ?? []).flatMap((g) => g.weights) }] },
        weights: weights.buffer,
        createdAt: Date.now(),
      };
    }
    const db = await openDatabase();
    await db.put('models', record);
    const stored = record.manifest as unknown as ModelManifest;
    cache.set(id, Promise.resolve({ ...loaded, manifest: stored }));
    return { id, source: 'import' as const, manifest: stored, weightsBytes, createdAt: record.createdAt };
  });
}

/** Removes an imported model from storage and memory (demo models cannot be removed). */
export function deleteModel(id: string): Promise<Reply<true>> {
  return reply(async () => {
    const db = await openDatabase();
    if (!(await db.get('models', id))) throw new ModelError('NOT_FOUND_MODEL', `model "${id}" is not an imported model`);
    await db.delete('models', id);
    const p = cache.take(id);
    if (p) (await p.catch(() => null))?.model.dispose();
    return true as const;
  });
}
