import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FailureLog } from '../failures';
import type { StudyCaseInfo } from '../../core/study/types';
import type { IntensityRecord } from '../../core/study/intensity';
import { HeatcheckError } from '../errors';
import { printJson, log } from '../output';
import { initNodeBackend } from '../nodeBackend';
import { loadModelDir } from '../modelDir';
import { readStudyFolder } from '../studyFolder';
import { modelInput } from '../../core/model/preprocess';
import { abnormalProbability } from '../../core/model/abnormal';
import { createProbe } from '../../core/model/createProbe';
import type { TfProbe } from '../../core/model/probe';
import { parseClassOption } from './modelInfo';
import { auroc } from '../../core/metrics/auroc';
import type { BackendName } from '../../core/model/backendNames';

export interface Prediction { id: string; logit: number; probability: number; label: 0 | 1 | null; intensity: IntensityRecord }

/**
 * Runs a model folder over a study folder; one prediction per case, in cases.csv order. The logit is
 * the saliency probe's target (pre-sigmoid / pre-softmax logit of the abnormal class); the
 * probability is the model's own output for that class. A case whose image cannot be read is
 * recorded in `failures` (file, code, message) and the others go on.
 */
export async function predictStudy(
  studyDir: string,
  modelDir: string,
  batch = 16,
  opts: { classIndex?: number } = {},
  failures = new FailureLog(),
): Promise<{ predictions: Prediction[]; modelId: string; weightsHash: string; failures: FailureLog }> {
  const study = readStudyFolder(studyDir);
  const { manifest, model, weightsHash } = await loadModelDir(modelDir, { classIndex: opts.classIndex });
  const { height, width, channels } = manifest.input;
  const per = height * width * channels;
  const predictions: Prediction[] = [];
  // One probe per explained class: the manifest's class, or (output.explain 'predicted') each case's predicted class.
  const probes = new Map<number, TfProbe>();
  const probeFor = (index: number) => {
    let p = probes.get(index);
    if (!p) probes.set(index, (p = createProbe(model, { ...manifest, output: { kind: manifest.output.kind, index } })));
    return p;
  };
  try {
    for (let i = 0; i < study.cases.length; i += batch) {
      const ready: Array<{ c: StudyCaseInfo; x: Float32Array; intensity: IntensityRecord }> = [];
      for (const c of study.cases.slice(i, i + batch)) {
        const r = await failures.attempt(study.fileOf(c), async () => ({ c, ...modelInput(await study.loadImage(c), manifest) }));
        if (r) ready.push(r);
      }
      if (!ready.length) continue;
      const x = new Float32Array(ready.length * per);
      ready.forEach((r, j) => x.set(r.x, j * per));
      const [out, logits, classes] = tf.tidy(() => {
        const xt = tf.tensor4d(x, [ready.length, height, width, channels]);
        const rows = (model.predict(xt) as tf.Tensor).reshape([ready.length, -1]).arraySync() as number[][];
        const cls = rows.map((r) => (manifest.output.explain === 'predicted' ? r.indexOf(Math.max(...r)) : manifest.output.index));
        const byClass = new Map<number, Float32Array>();
        for (const k of new Set(cls)) byClass.set(k, probeFor(k).target(xt).dataSync() as Float32Array);
        return [rows, cls.map((k, j) => byClass.get(k)![j]), cls];
      });
      ready.forEach(({ c, intensity }, j) =>
        predictions.push({ id: c.id, label: c.label, logit: logits[j], probability: abnormalProbability(out[j], { ...manifest.output, index: classes[j] }), intensity }),
      );
    }
  } finally {
    for (const p of probes.values()) p.dispose();
    model.dispose();
  }
  return { predictions, modelId: manifest.id, weightsHash, failures };
}

/** How many cases went through each intensity transform (header window, VOI LUT, min-max, bit depth). */
export function intensitySummary(records: IntensityRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) {
    const k = `${r.source}${r.invert ? ', inverted' : ''}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('predict')
    .description('run a model over a study folder; writes id,logit,probability per case')
    .requiredOption('--study <dir>', 'study folder (cases.csv + images/)')
    .requiredOption('--model <dir>', 'model folder (model.json + weight shards + manifest.json)')
    .requiredOption('--out <file>', 'CSV to write: id,logit,probability')
    .option('--backend <name>', 'wasm or cpu', 'wasm')
    .option('--batch <n>', 'cases per model call', '16')
    .option('--class <index>', 'the class whose logit and probability are written (softmax or multi-unit outputs); default: the manifest\'s, else each case\'s predicted class')
    .option('--strict', 'exit non-zero when any image could not be read (default: only when none could)')
    .action(async (o: { study: string; model: string; out: string; backend: string; batch: string; class?: string; strict?: boolean }) => {
      if (o.backend !== 'wasm' && o.backend !== 'cpu') throw new HeatcheckError('USAGE_BAD_OPTION', `--backend must be wasm or cpu, found "${o.backend}".`);
      const batch = Number(o.batch);
      if (!Number.isInteger(batch) || batch < 1) throw new HeatcheckError('USAGE_BAD_OPTION', `--batch must be a positive integer, found "${o.batch}".`);
      const choice = await initNodeBackend(o.backend as BackendName);
      const t0 = performance.now();
      const { predictions, modelId, weightsHash, failures } = await predictStudy(o.study, o.model, batch, { classIndex: parseClassOption(o.class) });
      const ms = performance.now() - t0;
      const csv = ['id,logit,probability', ...predictions.map((p) => `${p.id},${p.logit},${p.probability}`)].join('\n') + '\n';
      mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
      writeFileSync(o.out, csv);
      // --out is a file: the failures go beside it, as errors.csv (header only when none).
      const errorsCsv = failures.writeCsv(path.dirname(path.resolve(o.out)));
      failures.finish(predictions.length, !!o.strict);
      const labelled = predictions.filter((p) => p.label !== null);
      const both = new Set(labelled.map((p) => p.label)).size === 2;
      const a = both ? auroc(labelled.map((p) => p.logit), labelled.map((p) => p.label as number)) : null;
      log(`predict: ${predictions.length} cases (${failures.count} failed) in ${(ms / 1000).toFixed(1)} s`);
      printJson({
        n: predictions.length,
        labelled: labelled.length,
        auroc: a,
        backend: choice.active,
        model: modelId,
        weightsSha256: weightsHash,
        out: o.out,
        failed: failures.count,
        errors: errorsCsv,
        intensity: intensitySummary(predictions.map((p) => p.intensity)),
        seconds: Math.round(ms) / 1000,
      });
    });
}
