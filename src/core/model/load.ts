import * as tf from '@tensorflow/tfjs';
import { ModelError, validateManifest, type ModelManifest } from './manifest';
import type { AnyTfModel } from './createProbe';
import { tfjsModelTopology } from './topology';
import { buildOnnxModel } from './onnx/model';

/**
 * The files of a TF.js model as bytes: model.json, its weight shards by path, and manifest.json.
 * model.json is a LayersModel (Keras topology) or a GraphModel ("format": "graph-model", a
 * TensorFlow graph from tensorflowjs_converter); both load, and createProbe serves either.
 */
export interface ModelFiles {
  /** Where they came from, for messages (a folder path or "upload"). */
  source: string;
  modelJson: unknown;
  /** Weight shards by the path written in model.json's weightsManifest. */
  shards: Map<string, Uint8Array>;
  manifest?: unknown;
  /** An ONNX model instead of model.json + shards: the .onnx bytes and its external-data files by the name the model gives them. */
  onnx?: { file: string; bytes: Uint8Array; external: Map<string, Uint8Array> };
}

export interface LoadedModel {
  manifest: ModelManifest;
  /** A LayersModel, or a GraphModel (isGraphModel tells; cascading randomization needs layers). */
  model: AnyTfModel;
  /** sha256 of the concatenated shards (hex), recorded with every result. */
  weightsHash: string;
}

interface ModelJson {
  modelTopology?: unknown;
  format?: string;
  signature?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
  modelInitializer?: unknown;
  weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', bytes as unknown as ArrayBuffer);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The shard paths a model.json asks for, in order. */
export function shardPaths(modelJson: unknown, source = 'model.json'): string[] {
  const mj = modelJson as ModelJson;
  if (!mj || typeof mj !== 'object' || !mj.modelTopology) {
    throw new ModelError('BAD_INPUT_MODEL_JSON', `${source}: model.json has no "modelTopology"; a TF.js LayersModel or GraphModel (model.json + weight shards) is expected`);
  }
  if (!Array.isArray(mj.weightsManifest)) throw new ModelError('BAD_INPUT_MODEL_JSON', `${source}: model.json has no "weightsManifest"`);
  return mj.weightsManifest.flatMap((g) => g.paths);
}

/** Builds the LayersModel from its files; checks every shard is present and of the right size. */
export async function loadModelFromFiles(files: ModelFiles, manifestOverride?: Partial<ModelManifest>): Promise<LoadedModel> {
  if (files.onnx) return loadOnnxFromFiles(files, files.onnx, manifestOverride);
  const mj = files.modelJson as ModelJson;
  const paths = shardPaths(mj, files.source);
  const missing = paths.filter((p) => !files.shards.has(p) && !files.shards.has(p.split('/').pop()!));
  if (missing.length) {
    throw new ModelError('BAD_INPUT_MISSING_SHARD', `${files.source}: weight shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} named in model.json ${missing.length > 1 ? 'are' : 'is'} missing; choose model.json together with every weight shard its weightsManifest lists (any extension, or none)`);
  }
  const parts = paths.map((p) => files.shards.get(p) ?? files.shards.get(p.split('/').pop()!)!);
  const total = parts.reduce((a, b) => a + b.byteLength, 0);
  const weightData = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { weightData.set(p, o); o += p.byteLength; }
  const weightSpecs = mj.weightsManifest!.flatMap((g) => g.weights);
  const need = weightSpecs.reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1) * (w.dtype === 'float32' || w.dtype === 'int32' ? 4 : 1), 0);
  if (!weightSpecs.some((w) => w.quantization) && need !== total) {
    throw new ModelError('BAD_INPUT_SHARD_SIZE', `${files.source}: the weight shards hold ${total} bytes but model.json describes ${need}; a shard is truncated or from another model`);
  }
  let model: AnyTfModel;
  const graph = isGraphModelJson(mj);
  try {
    model = graph
      ? await tf.loadGraphModel(
          tf.io.fromMemory({
            modelTopology: mj.modelTopology as tf.io.ModelArtifacts['modelTopology'],
            weightSpecs,
            weightData: weightData.buffer,
            format: mj.format,
            signature: mj.signature as tf.io.ModelArtifacts['signature'],
            userDefinedMetadata: mj.userDefinedMetadata,
            modelInitializer: mj.modelInitializer as tf.io.ModelArtifacts['modelInitializer'],
          }),
        )
      : await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: tfjsModelTopology(mj.modelTopology) as tf.io.ModelArtifacts['modelTopology'], weightSpecs, weightData: weightData.buffer }));
  } catch (e) {
    throw new ModelError('BAD_INPUT_MODEL', `${files.source}: TF.js could not build the ${graph ? 'graph model' : 'model'} (${e instanceof Error ? e.message : String(e)})`);
  }
  const weightsHash = await sha256Hex(weightData);
  const inShape = model.inputs[0]?.shape ?? [];
  const base = (files.manifest ?? {}) as Partial<ModelManifest>;
  const merged = {
    id: base.id ?? (graph ? 'graph-model' : (model as tf.LayersModel).name),
    architecture: base.architecture ?? 'imported',
    family: base.family ?? base.architecture ?? 'imported',
    input: base.input ?? { height: inShape[1] ?? 0, width: inShape[2] ?? 0, channels: inShape[3] ?? 1 },
    preprocessing: base.preprocessing ?? { scale: 2, offset: -1 },
    output: base.output ?? { kind: 'logit', index: 0 },
    ...base,
    ...manifestOverride,
    weightsSha256: weightsHash,
  };
  const manifest = validateManifest(merged, `${files.source}/manifest.json`);
  checkModelShape(model, manifest, files.source);
  return { manifest, model, weightsHash };
}

/**
 * An ONNX model: the graph lowered onto TF.js (src/core/model/onnx). The weights hash covers the
 * .onnx file and its external-data files, in name order.
 */
async function loadOnnxFromFiles(files: ModelFiles, onnx: NonNullable<ModelFiles['onnx']>, manifestOverride?: Partial<ModelManifest>): Promise<LoadedModel> {
  const where = `${files.source}/${onnx.file}`;
  const model = buildOnnxModel(onnx.bytes, where, (loc) => onnx.external.get(loc) ?? onnx.external.get(loc.split(/[\\/]/).pop()!) ?? null);
  const parts = [onnx.bytes, ...[...onnx.external.keys()].sort().map((k) => onnx.external.get(k)!)];
  const all = new Uint8Array(parts.reduce((a, b) => a + b.byteLength, 0));
  let o = 0;
  for (const p of parts) { all.set(p, o); o += p.byteLength; }
  const weightsHash = await sha256Hex(all);
  const [, h, w, c] = model.inputs[0].shape;
  const base = (files.manifest ?? {}) as Partial<ModelManifest>;
  const merged = {
    id: base.id ?? onnx.file.replace(/\.onnx$/i, ''),
    architecture: base.architecture ?? 'onnx',
    family: base.family ?? base.architecture ?? 'onnx',
    input: base.input ?? { height: h ?? 0, width: w ?? 0, channels: c ?? 3 },
    preprocessing: base.preprocessing ?? { scale: 2, offset: -1 },
    output: base.output ?? { kind: 'logit', index: 0 },
    ...base,
    ...manifestOverride,
    weightsSha256: weightsHash,
  };
  let manifest: ModelManifest;
  try {
    manifest = validateManifest(merged, `${files.source}/manifest.json`);
    checkModelShape(model, manifest, where);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { manifest, model, weightsHash };
}

/** A GraphModel's model.json: "format": "graph-model", or a TensorFlow GraphDef (a node list) as topology. */
export function isGraphModelJson(modelJson: unknown): boolean {
  const mj = modelJson as ModelJson;
  if (mj?.format === 'graph-model') return true;
  const t = mj?.modelTopology as { node?: unknown } | undefined;
  return !!t && Array.isArray(t.node);
}

/**
 * The model's input must be [batch, H, W, C] as the manifest says; the output must hold the abnormal
 * index. A GraphModel may leave dimensions unknown (-1 or absent): those are not checked.
 */
export function checkModelShape(model: AnyTfModel, m: ModelManifest, source: string): void {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ModelError('BAD_INPUT_MODEL_SHAPE', `${source}: the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; one image input and one output are expected`);
  }
  const known = (d: number | null | undefined) => (d == null || d < 0 ? null : d);
  const raw = model.inputs[0].shape;
  if (raw === undefined) return; // a graph input without a recorded shape: checked when it runs
  const s = raw.map(known);
  if (s.length !== 4) throw new ModelError('BAD_INPUT_MODEL_SHAPE', `${source}: the model takes input of rank ${s.length}; an image model with input [batch, height, width, channels] is expected`);
  const [, h, w, c] = s;
  if ((h != null && h !== m.input.height) || (w != null && w !== m.input.width) || (c != null && c !== m.input.channels)) {
    throw new ModelError('BAD_INPUT_MODEL_SHAPE', `${source}: the model's input is [${h}, ${w}, ${c}] but the settings say ${m.input.height}x${m.input.width}x${m.input.channels}; fix the input size and channels`);
  }
  const out = model.outputs[0].shape;
  const units = out && out.length ? known(out[out.length - 1]) : null;
  if (units !== null && m.output.index >= units) throw new ModelError('BAD_INPUT_MODEL_SHAPE', `${source}: the output has ${units} unit(s), so output index ${m.output.index} does not exist`);
}

/**
 * The weights hash of a model's files without building it: the same bytes loadModelFromFiles
 * hashes (the shards in weightsManifest order; an ONNX file and its external data in name order).
 */
export async function weightsHashOf(files: ModelFiles): Promise<string> {
  let parts: Uint8Array[];
  if (files.onnx) parts = [files.onnx.bytes, ...[...files.onnx.external.keys()].sort().map((k) => files.onnx!.external.get(k)!)];
  else {
    const paths = shardPaths(files.modelJson, files.source);
    const missing = paths.filter((p) => !files.shards.has(p) && !files.shards.has(p.split('/').pop()!));
    if (missing.length) throw new ModelError('BAD_INPUT_MISSING_SHARD', `${files.source}: weight shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} named in model.json ${missing.length > 1 ? 'are' : 'is'} missing`);
    parts = paths.map((p) => files.shards.get(p) ?? files.shards.get(p.split('/').pop()!)!);
  }
  const all = new Uint8Array(parts.reduce((a, b) => a + b.byteLength, 0));
  let o = 0;
  for (const p of parts) { all.set(p, o); o += p.byteLength; }
  return sha256Hex(all);
}

/**
 * What loadModelFromFiles would report as the manifest and weights hash, without building the
 * model: for a caller whose manifest fields are complete (input, output, preprocessing, as
 * readModelFolder gives them), so nothing depends on the built graph.
 */
export async function describeModelFiles(files: ModelFiles, manifest: Partial<ModelManifest> & Pick<ModelManifest, 'id' | 'input' | 'output'>): Promise<{ manifest: ModelManifest; weightsHash: string }> {
  const weightsHash = await weightsHashOf(files);
  const base = (files.manifest ?? {}) as Partial<ModelManifest>;
  const architecture = base.architecture ?? (files.onnx ? 'onnx' : 'imported');
  const merged = {
    architecture,
    family: base.family ?? architecture,
    preprocessing: { scale: 2, offset: -1 },
    ...base,
    ...manifest,
    weightsSha256: weightsHash,
  };
  return { manifest: validateManifest(merged, `${files.source}/manifest.json`), weightsHash };
}
