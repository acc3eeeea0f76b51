import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { HeatcheckError } from '../errors';
import { printJson, log } from '../output';
import { initNodeBackend } from '../nodeBackend';
import { loadModelDir } from '../modelDir';
import { readStudyFolder } from '../studyFolder';
import { preprocessImage } from '../../core/model/preprocess';
import { abnormalProbability } from '../../core/model/abnormal';
import { createProbe } from '../../core/model/createProbe';
import type { TfProbe } from '../../core/model/probe';
import { parseClassOption } from './modelInfo';
import { auroc } from '../../core/metrics/auroc';
import type { BackendName } from '../../core/model/backendNames';

export interface Prediction { id: string; logit: number; probability: number; label: 0 | 1 | null }

/**
 * Runs a model folder over a study folder; one prediction per case, in cases.csv order. The logit is
 * the saliency probe's target (pre-sigmoid / pre-softmax logit of the abnormal class); the
 * probability is the model's own output for that class.
 */
export async function predictStudy(studyDir: string, modelDir: string, batch = 16, opts: { classIndex?: number } = {}): Promise<{ predictions: Prediction[]; modelId: string; weightsHash: string }> {
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
      const cases = study.cases.slice(i, i + batch);
      const x = new Float32Array(cases.length * per);
      cases.forEach((c, j) => x.set(preprocessImage(study.loadImage(c), manifest), j * per));
      const [out, logits, classes] = tf.tidy(() => {
        const xt = tf.tensor4d(x, [cases.length, height, width, channels]);
        const rows = (model.predict(xt) as tf.Tensor).reshape([cases.length, -1]).arraySync() as number[][];
        const cls = rows.map((r) => (manifest.output.explain === 'predicted' ? r.indexOf(Math.max(...r)) : manifest.output.index));
        const byClass = new Map<number, Float32Array>();
        for (const k of new Set(cls)) byClass.set(k, probeFor(k).target(xt).dataSync() as Float32Array);
        return [rows, cls.map((k, j) => byClass.get(k)![j]), cls];
      });
      cases.forEach((c, j) => predictions.push({ id: c.id, label: c.label, logit: logits[j], probability: abnormalProbability(out[j], { ...manifest.output, index: classes[j] }) }));
    }
  } finally {
    for (const p of probes.values()) p.dispose();
    model.dispose();
  }
  return { predictions, modelId: manifest.id, weightsHash };
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
    .action(async (o: { study: string; model: string; out: string; backend: string; batch: string; class?: string }) => {
      if (o.backend !== 'wasm' && o.backend !== 'cpu') throw new HeatcheckError('USAGE_BAD_OPTION', `--backend must be wasm or cpu, found "${o.backend}".`);
      const batch = Number(o.batch);
      if (!Number.isInteger(batch) || batch < 1) throw new HeatcheckError('USAGE_BAD_OPTION', `--batch must be a positive integer, found "${o.batch}".`);
      const choice = await initNodeBackend(o.backend as BackendName);
      const t0 = performance.now();
      const { predictions, modelId, weightsHash } = await predictStudy(o.study, o.model, batch, { classIndex: parseClassOption(o.class) });
      const ms = performance.now() - t0;
      const csv = ['id,logit,probability', ...predictions.map((p) => `${p.id},${p.logit},${p.probability}`)].join('\n') + '\n';
      writeFileSync(o.out, csv);
      const labelled = predictions.filter((p) => p.label !== null);
      const both = new Set(labelled.map((p) => p.label)).size === 2;
      const a = both ? auroc(labelled.map((p) => p.logit), labelled.map((p) => p.label as number)) : null;
      log(`predict: ${predictions.length} cases in ${(ms / 1000).toFixed(1)} s`);
      printJson({
        n: predictions.length,
        labelled: labelled.length,
        auroc: a,
        backend: choice.active,
        model: modelId,
        weightsSha256: weightsHash,
        out: o.out,
        seconds: Math.round(ms) / 1000,
      });
    });
}
