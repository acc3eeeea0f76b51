import type { Command } from 'commander';
import { HeatcheckError } from '../errors';
import { printJson } from '../output';
import { readModelDir } from '../modelDir';
import { initNodeBackend } from '../nodeBackend';
import type { ModelFolderInfo } from '../../core/model/modelFolder';

/** --class as a class index (a non-negative integer), or undefined. */
export function parseClassOption(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n)) throw new HeatcheckError('USAGE_BAD_OPTION', `--class must be a class index (0, 1, 2...), found "${v}".`);
  return n;
}

/** What model-info prints: the reader's description of the folder (see src/core/model/modelFolder.ts). */
export function modelInfoJson(info: ModelFolderInfo): Record<string, unknown> {
  return {
    model: info.source,
    format: info.format,
    layout: info.layout,
    ...(info.kerasVersion ? { kerasVersion: info.kerasVersion } : {}),
    input: info.input,
    output: info.output,
    gradcamLayer: info.gradcamLayer,
    gradcamCandidates: info.gradcamCandidates.map((c) => ({ name: c.name, shape: c.shape, class: c.className, cut: c.cut })),
    preprocessing: info.preprocessing,
    inputRange: info.inputRange,
    sources: info.sources,
    files: info.files,
    warnings: info.warnings,
    ...(info.onnx ? { onnx: info.onnx } : {}),
  };
}

export function register(program: Command): void {
  program
    .command('model-info')
    .description('describe a model folder without running it: input size, output kind and classes, Grad-CAM layer and candidates, preprocessing, and for each whether manifest.json said it or it was inferred')
    .requiredOption('--model <dir>', 'model folder (model.json + weight shards, or model.onnx + its external-data file; manifest.json optional)')
    .option('--class <index>', 'the class to explain (softmax or multi-unit outputs); default: the manifest\'s, else the class the model predicts for each image')
    .action(async (o: { model: string; class?: string }) => {
      // An ONNX graph declares no intermediate shapes: the reader runs it once on zeros (wasm, as the other commands).
      await initNodeBackend('wasm');
      const folder = readModelDir(o.model, { classIndex: parseClassOption(o.class) });
      printJson(modelInfoJson(folder.info));
    });
}
