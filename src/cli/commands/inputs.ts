import type { Command } from 'commander';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { log, printJson } from '../output';
import { initNodeBackend } from '../nodeBackend';
import { loadModelDir } from '../modelDir';
import { readStudyFolder } from '../studyFolder';
import { FailureLog } from '../failures';
import { writeNpy } from '../../core/io/npy';
import { modelInput } from '../../core/model/preprocess';
import type { IntensityRecord } from '../../core/study/intensity';

/**
 * `heatcheck inputs`: writes, for each case, exactly the tensor the model receives: OUT/<case id>.npy,
 * float32, H x W x C (after the intensity transform, the resize and the manifest's scale/offset),
 * so anyone can check what the model saw. Case ids are those of `predict`; an id with '/' (a
 * subfolder of the study) becomes the same subfolders under OUT. OUT/index.json lists each case with
 * its file, shape and intensity transform (and `failed`); OUT/errors.csv the images that could not be read.
 */
export interface InputsIndexEntry { case: string; file: string; shape: [number, number, number]; intensity: IntensityRecord }

export async function runInputs(o: { study: string; model: string; out: string; strict?: boolean }): Promise<Record<string, unknown>> {
  const t0 = Date.now();
  const study = readStudyFolder(o.study);
  await initNodeBackend('wasm');
  const lm = await loadModelDir(o.model);
  lm.model.dispose(); // only the manifest's input and preprocessing are needed
  const { manifest } = lm;
  const { height, width, channels } = manifest.input;
  const out = path.resolve(o.out);
  mkdirSync(out, { recursive: true });
  const failures = new FailureLog();
  const entries: InputsIndexEntry[] = [];
  for (const c of study.cases) {
    const ok = await failures.attempt(study.fileOf(c), async () => {
      const { x, intensity } = modelInput(await study.loadImage(c), manifest);
      const file = path.join(out, `${c.id}.npy`);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, writeNpy(x, [height, width, channels]));
      entries.push({ case: c.id, file: path.relative(out, file), shape: [height, width, channels], intensity });
      return true;
    });
    if (ok) log(`inputs: ${c.id}`);
  }
  // The index and errors.csv are written even when nothing could be processed: the folder says why.
  const index = path.join(out, 'index.json');
  const tmp = `${index}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({
    model: manifest.id,
    modelHash: lm.weightsHash,
    input: manifest.input,
    preprocessing: manifest.preprocessing,
    layout: 'H x W x C, float32, row-major; x = intensity * scale + offset after an area resize to the input size',
    cases: entries,
    ...(failures.count ? { failed: failures.failures } : {}),
  }, null, 1) + '\n');
  renameSync(tmp, index);
  failures.writeCsv(out);
  failures.finish(entries.length, !!o.strict);
  return { out: o.out, cases: entries.length, failed: failures.count, model: manifest.id, shape: [height, width, channels], seconds: (Date.now() - t0) / 1000 };
}

export function register(program: Command): void {
  program
    .command('inputs')
    .description('write the exact model input per case: OUT/<case id>.npy (float32, H x W x C), OUT/index.json, OUT/errors.csv')
    .requiredOption('--study <dir>', 'study folder (cases.csv + images/, a MURA folder, or images with a labels CSV)')
    .requiredOption('--model <dir>', 'model folder (model.json + weight shards + manifest.json)')
    .requiredOption('--out <dir>', 'output folder (created); case ids with / become subfolders')
    .option('--strict', 'exit non-zero when any image could not be read (default: only when none could)')
    .action(async (o: { study: string; model: string; out: string; strict?: boolean }) => {
      printJson(await runInputs(o));
    });
}
