/**
 * Preprocesses a phantom study folder with the app's own preprocessImage (area resize, then
 * x = v / 255 * scale + offset) into NumPy arrays for scripts/train_demo.py, so that training and
 * inference see identical inputs.
 *
 *   npx tsx scripts/prepare_training_set.ts --study DIR --size 128 --out X.npy --labels y.npy
 *
 * X: float32 [N, size, size, 1] in [-1, 1] (scale 2, offset -1); y: uint8 [N] (1 abnormal).
 */
import { writeFileSync } from 'node:fs';
import { readStudyFolder } from '../src/cli/studyFolder';
import { preprocessImage } from '../src/core/model/preprocess';
import { writeNpy } from '../src/core/io/npy';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= process.argv.length) {
    if (fallback !== undefined) return fallback;
    throw new Error(`--${name} is required`);
  }
  return process.argv[i + 1];
}

const study = readStudyFolder(arg('study'));
const size = Number(arg('size', '128'));
const manifest = { input: { height: size, width: size, channels: 1 }, preprocessing: { scale: 2, offset: -1 } };
const n = study.cases.length;
const X = new Float32Array(n * size * size);
const y = new Uint8Array(n);
study.cases.forEach((c, i) => {
  if (c.label === null) throw new Error(`${study.dir}: case ${c.id} has no label`);
  X.set(preprocessImage(study.loadImage(c), manifest), i * size * size);
  y[i] = c.label;
});
writeFileSync(arg('out'), writeNpy(X, [n, size, size, 1]));
writeFileSync(arg('labels'), writeNpy(y, [n]));
process.stdout.write(JSON.stringify({ n, size, abnormal: y.reduce((a, b) => a + b, 0) }) + '\n');
