import { ModelError, inputRangeOf, type ModelManifest } from '../manifest';
import type { FieldSource, ModelFolder, ModelFolderInfo } from '../modelFolder';
import { importOnnx } from './graph';
import { onnxGradcamCandidates, onnxTargetValue } from './probe';
import { chooseExplainedClass } from '../explainedClass';

/**
 * The model-folder reader's ONNX branch (called by readModelFolder when the files hold a .onnx
 * and no model.json): `model.onnx` (else the only .onnx file), its external-data files (matched by
 * the location the model names, by path or by file name) and an optional manifest.json with the
 * schema of TF.js models' manifests. Input size comes from the manifest, else the graph's declared
 * input [N, C, H, W]; the output kind from the node that writes the output (Sigmoid, Softmax, else a
 * logit); Grad-CAM candidates from one batch-1 run of the graph on zeros (ONNX graphs declare no
 * intermediate shapes), by the same rule as for TF.js models.
 */

const base = (p: string) => p.split(/[\\/]/).pop() ?? p;

/** The .onnx file among the names: model.onnx, else the only .onnx file. */
export function findOnnxFile(names: string[]): string | null {
  const onnx = names.filter((n) => n.toLowerCase().endsWith('.onnx'));
  return onnx.find((n) => base(n) === 'model.onnx') ?? (onnx.length === 1 ? onnx[0] : null);
}

export function readOnnxFolder(
  file: string,
  bytesOf: (name: string) => Uint8Array | null,
  names: string[],
  man: Partial<ModelManifest> | null,
  manName: string | null,
  opts: { source: string; classIndex?: number },
): ModelFolder {
  const src = opts.source;
  const label = `${src}/${base(file)}`;
  const bytes = bytesOf(file);
  if (!bytes) throw new ModelError('BAD_INPUT_ONNX', `${label}: could not be read as bytes`);
  const warnings: string[] = [];
  const external = new Map<string, Uint8Array>();
  const lookup = (loc: string): Uint8Array | null => {
    const hit = names.find((n) => n === loc) ?? names.find((n) => base(n) === base(loc));
    const b = hit ? bytesOf(hit) : null;
    if (b) external.set(loc, b);
    return b;
  };
  const graph = importOnnx(bytes, label, lookup);
  try {
    const [, c, h, w] = graph.inputDims;
    let input: ModelFolderInfo['input'];
    let inputSource: FieldSource;
    if (man?.input) {
      input = { height: Number(man.input.height), width: Number(man.input.width), channels: Number(man.input.channels) };
      inputSource = 'manifest';
      if ([h, w, c].some((v, i) => v != null && v !== [input.height, input.width, input.channels][i])) {
        warnings.push(`manifest.json says the input is ${input.height}x${input.width}x${input.channels} but the graph's input is [N, ${c ?? '?'}, ${h ?? '?'}, ${w ?? '?'}] (NCHW)`);
      }
    } else if (h && w && c) {
      input = { height: h, width: w, channels: c };
      inputSource = 'inferred';
    } else {
      throw new ModelError('BAD_INPUT_MODEL_SHAPE', `${label}: the graph's input "${graph.inputName}" leaves its size open ([N, ${c ?? '?'}, ${h ?? '?'}, ${w ?? '?'}]) and there is no manifest.json saying the input height, width and channels; export with a fixed image size or add a manifest.json with "input"`);
    }

    // Output kind: the node writing the output (through Identity/Dropout).
    let last = graph.producerOf(graph.outputNames[0]);
    while (last && (last.opType === 'Identity' || last.opType === 'Dropout')) last = graph.producerOf(last.inputs[0]);
    const inferredKind: ModelFolderInfo['output']['kind'] = last?.opType === 'Sigmoid' ? 'sigmoid' : last?.opType === 'Softmax' ? 'softmax' : 'logit';
    let kind = inferredKind;
    let outputSource: FieldSource = 'inferred';
    if (man?.output?.kind) {
      kind = man.output.kind;
      outputSource = 'manifest';
      if (kind !== inferredKind) warnings.push(`manifest.json says the output is ${kind} but the graph's last node is ${last?.opType ?? 'none'}`);
    }
    const outShape = graph.proto.outputs[0]?.shape;
    const classes = outShape && outShape.length >= 2 && outShape[outShape.length - 1] ? outShape.slice(1).reduce((a: number, b) => a * (b ?? 1), 1) : null;

    const { index, source: classSource } = chooseExplainedClass(opts.classIndex, man?.output?.index, classes, kind, label, warnings);

    const target = (() => {
      try { return onnxTargetValue(graph, kind, label); } catch { return graph.outputNames[0]; }
    })();
    const { candidates, defaultLayer } = onnxGradcamCandidates(graph, input, target);
    let gradcamLayer = defaultLayer;
    let gradcamSource: FieldSource = defaultLayer ? 'inferred' : 'default';
    if (man?.gradcamLayer) {
      gradcamLayer = man.gradcamLayer;
      gradcamSource = 'manifest';
      if (!candidates.some((cd) => cd.name === gradcamLayer || cd.node === gradcamLayer)) warnings.push(`manifest.json names Grad-CAM layer "${gradcamLayer}", which is not a value with a spatial output`);
    }
    if (!candidates.length) warnings.push('no value has a spatial output larger than 1x1, so Grad-CAM has nowhere to look');

    const preprocessing = man?.preprocessing && typeof man.preprocessing.scale === 'number' && typeof man.preprocessing.offset === 'number' ? { ...man.preprocessing } : null;
    const pre = preprocessing ?? { scale: 2, offset: -1 };
    const inputRange: [number, number] = (Array.isArray(man?.inputRange) ? man!.inputRange : inputRangeOf(pre, input.channels)) as [number, number];

    const info: ModelFolderInfo = {
      source: src,
      format: 'onnx',
      layout: 'onnx',
      files: { modelJson: file, manifest: manName, shards: graph.externalFiles.map((loc) => ({ path: loc, file: names.find((n) => n === loc || base(n) === base(loc)) ?? null })) },
      input,
      output: { kind, classes, index, explained: index === null ? 'predicted' : 'class' },
      gradcamLayer,
      gradcamCandidates: candidates.map((cd) => ({ name: cd.name, shape: cd.shape, className: cd.op, cut: cd.cut })),
      preprocessing: pre,
      inputRange,
      sources: { input: inputSource, output: outputSource, class: classSource, gradcamLayer: gradcamSource, preprocessing: preprocessing ? 'manifest' : 'default' },
      warnings,
      onnx: { opset: graph.opset, producer: graph.producer, nodes: graph.nodes.length, input: graph.inputName, output: graph.outputNames[0] },
    };
    const manifest: Partial<ModelManifest> = {
      ...(man ?? {}),
      input,
      output: { kind, index: index ?? 0, ...(index === null ? { explain: 'predicted' as const } : {}) },
      preprocessing: pre,
      inputRange,
      ...(gradcamLayer ? { gradcamLayer } : {}),
    };
    return { info, files: { source: src, modelJson: null, shards: new Map(), manifest: man ?? undefined, onnx: { file: base(file), bytes, external } }, manifest };
  } finally {
    graph.dispose();
  }
}
