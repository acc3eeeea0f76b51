import type { ModelFiles } from './load';
import { ModelError, type ModelManifest } from './manifest';
import { findOnnxFile, readOnnxFolder } from './onnx/folder';
import { TopologyError, describeOutput, gradcamCandidates, readTopology, type GradcamCandidate, type Shape } from './topology';
import { chooseExplainedClass } from './explainedClass';

/**
 * The one model-folder reader of the browser import and the CLI. It takes the folder's files as a
 * map of file name -> content (bytes, text or parsed JSON; names may carry a folder path) and
 * works out, without building the model:
 *  - which file is model.json (by name, else the JSON file with a "modelTopology"), its format
 *    (LayersModel in the Keras 2 converter's or TF.js's layout, or GraphModel) and manifest.json;
 *  - the weight shards model.json's weightsManifest lists, matched by name whatever their
 *    extension (the converter writes `group1-shard1of6` without one; a browser may add one);
 *  - input height, width, channels; output kind (logit / sigmoid / softmax) and classes; the class
 *    explained (`classIndex`, else the manifest's, else the only one, else the predicted class);
 *    the Grad-CAM layer and every candidate with its output shape; preprocessing.
 * Each of those says where it came from: "manifest", "option" (the caller's classIndex),
 * "inferred" (from the topology) or "default" (neither says: a stated assumption).
 * The CLI (src/cli/modelDir.ts) reads files from disk and hands them here; the browser hands the
 * files the user chose. ModelFiles then goes to loadModelFromFiles with `manifest`.
 */
export type FolderEntry = Uint8Array | ArrayBuffer | string | object;

export type FieldSource = 'manifest' | 'inferred' | 'default' | 'option' | 'predicted';

export interface ModelFolderInfo {
  source: string;
  format: 'layers-model' | 'graph-model' | 'onnx';
  /** keras2: modelTopology.model_config (Keras 2 converter); tfjs: modelTopology.config (TF.js, Keras 3); graph: a GraphDef; onnx: an ONNX ModelProto. */
  layout: 'keras2' | 'tfjs' | 'graph' | 'onnx';
  kerasVersion?: string;
  files: { modelJson: string; manifest: string | null; shards: Array<{ path: string; file: string | null }> };
  input: { height: number; width: number; channels: number };
  output: {
    kind: 'logit' | 'sigmoid' | 'softmax';
    classes: number | null;
    /** The class explained; null when it is the class the model predicts for each image. */
    index: number | null;
    explained: 'class' | 'predicted';
  };
  gradcamLayer: string | null;
  gradcamCandidates: Array<{ name: string; shape: Shape; className: string; cut: boolean }>;
  preprocessing: { scale: number; offset: number };
  inputRange: [number, number];
  sources: {
    input: FieldSource;
    output: FieldSource;
    class: FieldSource;
    gradcamLayer: FieldSource;
    preprocessing: FieldSource;
  };
  warnings: string[];
  /** ONNX models: the opset, the exporter, the node count and the graph's input and output names. */
  onnx?: { opset: number; producer: string; nodes: number; input: string; output: string };
}

export interface ModelFolder {
  info: ModelFolderInfo;
  /** For loadModelFromFiles: shards keyed by the path model.json lists. */
  files: ModelFiles;
  /** The manifest fields to load with (manifest.json's, completed by what was inferred). */
  manifest: Partial<ModelManifest>;
}

export interface ReadModelFolderOptions {
  /** Where the files came from, for messages (a folder path, or "chosen files"). */
  source: string;
  /** The class to explain (a softmax or multi-unit output); overrides the manifest. */
  classIndex?: number;
}

/** Base name of a path ("a/b/group1-shard1of2.bin" -> "group1-shard1of2.bin"). */
export const baseName = (p: string) => p.split(/[\\/]/).pop() ?? p;
/** Name without its last extension ("group1-shard1of2.bin" -> "group1-shard1of2"; no extension: unchanged). */
const stem = (p: string) => baseName(p).replace(/\.[^.]*$/, '');

function bytesOf(v: FolderEntry): Uint8Array | null {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'string') return new TextEncoder().encode(v);
  return null;
}

function jsonOf(v: FolderEntry, name: string): unknown {
  if (typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof ArrayBuffer) && !ArrayBuffer.isView(v)) return v;
  const text = typeof v === 'string' ? v : new TextDecoder().decode(bytesOf(v)!);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelError(name.endsWith('manifest.json') ? 'BAD_INPUT_MANIFEST' : 'BAD_INPUT_MODEL_JSON', `${name} is not valid JSON (${(e as Error).message})`);
  }
}

/** A JSON-looking entry (a .json name, parsed JSON, or text starting with "{"), for finding model.json by content. */
function looksJson(name: string, v: FolderEntry): boolean {
  if (name.toLowerCase().endsWith('.json')) return true;
  const b = bytesOf(v);
  if (!b) return true;
  let i = 0;
  while (i < b.length && i < 64 && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09 || b[i] === 0xef || b[i] === 0xbb || b[i] === 0xbf)) i++;
  return b[i] === 0x7b && b.length < 256 * 1024 * 1024;
}

interface RawModelJson {
  modelTopology?: unknown;
  format?: string;
  weightsManifest?: Array<{ paths: string[] }>;
}

function isGraphJson(mj: RawModelJson): boolean {
  const t = mj.modelTopology as { node?: unknown } | undefined;
  return mj.format === 'graph-model' || (!!t && Array.isArray(t.node));
}

/** Matches each weightsManifest path to a chosen file: the same path, the same name, or the same name without extension. */
function matchShards(paths: string[], names: string[]): Map<string, string | null> {
  const out = new Map<string, string | null>();
  const byStem = new Map<string, string[]>();
  for (const n of names) byStem.set(stem(n), [...(byStem.get(stem(n)) ?? []), n]);
  for (const p of paths) {
    const exact = names.find((n) => n === p) ?? names.find((n) => baseName(n) === baseName(p));
    if (exact) { out.set(p, exact); continue; }
    const same = byStem.get(stem(p)) ?? byStem.get(baseName(p)) ?? [];
    out.set(p, same.length === 1 ? same[0] : null);
  }
  return out;
}

function graphInputShape(mj: RawModelJson): Shape | null {
  const nodes = (mj.modelTopology as { node?: Array<{ op?: string; attr?: { shape?: { shape?: { dim?: Array<{ size?: string | number }> } } } }> }).node ?? [];
  const ph = nodes.find((n) => n.op === 'Placeholder');
  const dims = ph?.attr?.shape?.shape?.dim;
  return dims ? dims.map((d) => { const v = Number(d.size); return Number.isFinite(v) && v > 0 ? v : null; }) : null;
}

/** Reads a model folder's files (see the module comment). Throws ModelError with a code and the file's name. */
export function readModelFolder(entries: Map<string, FolderEntry> | Record<string, FolderEntry>, opts: ReadModelFolderOptions): ModelFolder {
  const map = entries instanceof Map ? entries : new Map(Object.entries(entries));
  const names = [...map.keys()];
  const src = opts.source;
  const warnings: string[] = [];

  // model.json: by name, else the one JSON file that holds a modelTopology.
  let mjName = names.find((n) => baseName(n) === 'model.json');
  let modelJson: RawModelJson | undefined;
  if (mjName) modelJson = jsonOf(map.get(mjName)!, `${src}/${baseName(mjName)}`) as RawModelJson;
  else {
    for (const n of names) {
      if (baseName(n) === 'manifest.json' || !looksJson(n, map.get(n)!)) continue;
      let j: unknown;
      try { j = jsonOf(map.get(n)!, n); } catch { continue; }
      if (j && typeof j === 'object' && 'modelTopology' in j) { mjName = n; modelJson = j as RawModelJson; break; }
    }
  }
  // No model.json but a .onnx file: an ONNX model (src/core/model/onnx/folder.ts).
  const onnxFile = !mjName ? findOnnxFile(names) : null;
  if (onnxFile) {
    const manName = names.find((n) => baseName(n) === 'manifest.json') ?? null;
    const man = (manName ? jsonOf(map.get(manName)!, `${src}/manifest.json`) : null) as Partial<ModelManifest> | null;
    if (man !== null && (typeof man !== 'object' || Array.isArray(man))) throw new ModelError('BAD_INPUT_MANIFEST', `${src}/manifest.json: is not a JSON object`);
    return readOnnxFolder(onnxFile, (n) => (map.has(n) ? bytesOf(map.get(n)!) : null), names, man, manName, opts);
  }
  if (!mjName || !modelJson) {
    throw new ModelError('BAD_INPUT_NO_MODEL_JSON', `${src}: no model.json among the ${names.length} file(s) (${names.map(baseName).join(', ') || 'none'}); a TF.js model is model.json (a JSON file with "modelTopology") together with its weight shards, an ONNX model a .onnx file`);
  }
  const mjLabel = `${src}/${baseName(mjName)}`;
  if (!modelJson || typeof modelJson !== 'object' || !modelJson.modelTopology) {
    throw new ModelError('BAD_INPUT_MODEL_JSON', `${mjLabel}: no "modelTopology"; a TF.js LayersModel or GraphModel (model.json + weight shards) is expected`);
  }
  if (!Array.isArray(modelJson.weightsManifest)) throw new ModelError('BAD_INPUT_MODEL_JSON', `${mjLabel}: no "weightsManifest" (the list of weight shards)`);

  const manName = names.find((n) => baseName(n) === 'manifest.json') ?? null;
  const man = (manName ? jsonOf(map.get(manName)!, `${src}/manifest.json`) : null) as Partial<ModelManifest> | null;
  if (man !== null && (typeof man !== 'object' || Array.isArray(man))) throw new ModelError('BAD_INPUT_MANIFEST', `${src}/manifest.json: is not a JSON object`);

  // Shards, whatever their extension.
  const paths = modelJson.weightsManifest.flatMap((g) => g.paths ?? []);
  const others = names.filter((n) => n !== mjName && n !== manName);
  const matched = matchShards(paths, others);
  const shards = new Map<string, Uint8Array>();
  for (const [p, n] of matched) {
    if (!n) continue;
    const b = bytesOf(map.get(n)!);
    if (b) shards.set(p, b);
  }
  const missing = [...matched].filter(([, n]) => !n).map(([p]) => p);
  if (missing.length) warnings.push(`weight shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} listed in ${baseName(mjName)} ${missing.length > 1 ? 'are' : 'is'} not among the files`);

  const graph = isGraphJson(modelJson);
  let inputShape: Shape | null;
  let out: { kind: 'logit' | 'sigmoid' | 'softmax'; classes: number | null } | null = null;
  let candidates: GradcamCandidate[] = [];
  let defaultLayer: string | null = null;
  let layout: ModelFolderInfo['layout'] = 'graph';
  let kerasVersion: string | undefined;
  if (graph) {
    inputShape = graphInputShape(modelJson);
  } else {
    let topo;
    try {
      topo = readTopology(modelJson, mjLabel);
    } catch (e) {
      if (e instanceof TopologyError) throw new ModelError(e.code, e.message);
      throw e;
    }
    layout = topo.layout;
    kerasVersion = topo.kerasVersion;
    const inLayer = topo.layers.find((l) => l.name === topo.inputs[0]?.[0]);
    if (topo.inputs.length !== 1) warnings.push(`the model has ${topo.inputs.length} inputs; one image input is expected`);
    inputShape = inLayer?.outputShape ?? null;
    const d = describeOutput(topo);
    if ('error' in d) warnings.push(d.error);
    else out = { kind: d.kind, classes: d.classes };
    ({ candidates, defaultLayer } = gradcamCandidates(topo));
  }

  // Input: the manifest's, else the topology's [batch, H, W, C].
  let input: ModelFolderInfo['input'];
  let inputSource: FieldSource;
  if (man?.input) {
    input = { height: Number(man.input.height), width: Number(man.input.width), channels: Number(man.input.channels) };
    inputSource = 'manifest';
    if (inputShape && inputShape.length === 4 && [inputShape[1], inputShape[2], inputShape[3]].some((v, i) => v != null && v !== [input.height, input.width, input.channels][i])) {
      warnings.push(`manifest.json says the input is ${input.height}x${input.width}x${input.channels} but the model's input is [${inputShape.slice(1).join(', ')}]`);
    }
  } else if (inputShape && inputShape.length === 4 && inputShape.slice(1).every((v) => v != null && v > 0)) {
    input = { height: inputShape[1]!, width: inputShape[2]!, channels: inputShape[3]! };
    inputSource = 'inferred';
  } else {
    const why = !inputShape ? 'declares no input shape' : inputShape.length !== 4 ? `takes input of rank ${inputShape.length}` : `leaves its input size open ([${inputShape.map((v) => v ?? '?').join(', ')}])`;
    throw new ModelError('BAD_INPUT_MODEL_SHAPE', `${mjLabel}: the model ${why} and there is no manifest.json saying the input height, width and channels; an image model with input [batch, height, width, channels] is expected (or add a manifest.json with "input")`);
  }

  // Output kind and classes.
  let kind: ModelFolderInfo['output']['kind'];
  let outputSource: FieldSource;
  if (man?.output?.kind) {
    kind = man.output.kind;
    outputSource = 'manifest';
    if (out && out.kind !== kind) warnings.push(`manifest.json says the output is ${kind} but the model's last layer is ${out.kind}`);
  } else if (out) {
    kind = out.kind;
    outputSource = 'inferred';
  } else {
    kind = 'logit';
    outputSource = 'default';
  }
  const classes = out?.classes ?? null;

  // The class explained.
  const { index, source: classSource } = chooseExplainedClass(opts.classIndex, man?.output?.index, classes, kind, mjLabel, warnings);

  // Grad-CAM layer.
  let gradcamLayer: string | null = defaultLayer;
  let gradcamSource: FieldSource = defaultLayer ? 'inferred' : 'default';
  if (man?.gradcamLayer) {
    gradcamLayer = man.gradcamLayer;
    gradcamSource = 'manifest';
    if (!graph && !candidates.some((c) => c.name === gradcamLayer)) warnings.push(`manifest.json names Grad-CAM layer "${gradcamLayer}", which is not a layer with a spatial output`);
  }
  if (!graph && !candidates.length) warnings.push('no layer has a spatial output larger than 1x1, so Grad-CAM has nowhere to look');

  const preprocessing = man?.preprocessing && typeof man.preprocessing.scale === 'number' && typeof man.preprocessing.offset === 'number'
    ? { scale: man.preprocessing.scale, offset: man.preprocessing.offset, ...(man.preprocessing.mean ? { mean: man.preprocessing.mean } : {}), ...(man.preprocessing.std ? { std: man.preprocessing.std } : {}) }
    : null;
  const pre = preprocessing ?? { scale: 2, offset: -1 };
  const inputRange: [number, number] = (Array.isArray(man?.inputRange) ? man!.inputRange : [Math.min(pre.offset, pre.offset + pre.scale), Math.max(pre.offset, pre.offset + pre.scale)]) as [number, number];

  const info: ModelFolderInfo = {
    source: src,
    format: graph ? 'graph-model' : 'layers-model',
    layout,
    ...(kerasVersion ? { kerasVersion } : {}),
    files: { modelJson: mjName, manifest: manName, shards: [...matched].map(([path, file]) => ({ path, file })) },
    input,
    output: { kind, classes, index, explained: index === null ? 'predicted' : 'class' },
    gradcamLayer,
    gradcamCandidates: candidates.map((c) => ({ name: c.name, shape: c.shape, className: c.className, cut: c.cut })),
    preprocessing: pre,
    inputRange,
    sources: { input: inputSource, output: outputSource, class: classSource, gradcamLayer: gradcamSource, preprocessing: preprocessing ? 'manifest' : 'default' },
    warnings,
  };
  const manifest: Partial<ModelManifest> = {
    ...(man ?? {}),
    input,
    output: { kind, index: index ?? 0, ...(index === null ? { explain: 'predicted' as const } : {}) },
    preprocessing: pre,
    inputRange,
    ...(gradcamLayer ? { gradcamLayer } : {}),
  };
  return { info, files: { source: src, modelJson, shards, manifest: man ?? undefined }, manifest };
}
