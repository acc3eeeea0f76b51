/**
 * Preprocesses a phantom study folder with the app's own preprocessImage (area resize, then
 * x = v / 255 * scale + offset) into NumPy arrays for scripts/train_demo.py, so that training and
 * inference see identical inputs.
 *
 *   npx tsx scripts/prepare_training_set.ts --study DIR --size 128 --out X.npy --labels y.npy
 *   npx tsx scripts/prepare_training_set.ts --seed 1001 --range 600:1500 --size 128 --out X.npy --labels y.npy
 *
 * X: float32 [N, size, size, 1] in [-1, 1] (scale 2, offset -1); y: uint8 [N] (1 abnormal);
 * with --masks M.npy: uint8 [N, size, size], 1 where the abnormality's exact mask touches the pixel.
 */
import { writeFileSync } from 'node:fs';
import { readStudyFolder } from '../src/cli/studyFolder';
import { preprocessImage } from '../src/core/model/preprocess';
import { writeNpy } from '../src/core/io/npy';
import { generatePhantomCase } from '../src/core/phantom/generate';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= process.argv.length) {
    if (fallback !== undefined) return fallback;
    throw new Error(`--${name} is required`);
  }
  return process.argv[i + 1];
}

const size = Number(arg('size', '128'));
const manifest = { input: { height: size, width: size, channels: 1 }, preprocessing: { scale: 2, offset: -1 } };
let X: Float32Array;
let y: Uint8Array;
let M: Uint8Array;
let n: number;
/** Abnormality mask at the model's input size: 1 where any truth pixel falls in the output pixel. */
const maskAt = (truth: ArrayLike<number> | null, w: number, h: number): Uint8Array => {
  if (!truth) return new Uint8Array(size * size);
  const r = preprocessImage({ width: w, height: h, data: Uint8Array.from(truth, (v) => (v > 0 ? 255 : 0)) }, { input: { height: size, width: size, channels: 1 }, preprocessing: { scale: 1, offset: 0 } });
  return Uint8Array.from(r, (v) => (v > 0 ? 1 : 0));
};
if (process.argv.includes('--study')) {
  const study = readStudyFolder(arg('study'));
  n = study.cases.length;
  X = new Float32Array(n * size * size);
  y = new Uint8Array(n);
  M = new Uint8Array(n * size * size);
  for (const [i, c] of study.cases.entries()) {
    if (c.label === null) throw new Error(`${study.dir}: case ${c.id} has no label`);
    const img = await study.loadImage(c);
    X.set(preprocessImage(img, manifest), i * size * size);
    y[i] = c.label;
    const t = study.loadTruth(c);
    M.set(maskAt(t ? t.data : null, img.width, img.height), i * size * size);
  }
} else {
  // Cases [from, to) of `npx heatcheck phantom --seed S --size 512`, generated in-process by the same
  // generatePhantomCase (deterministic by seed and index; the PNG the CLI writes holds exactly these
  // 8-bit pixels), so a long set can be made in parallel ranges.
  const seed = Number(arg('seed'));
  const [from, to] = arg('range').split(':').map(Number);
  n = to - from;
  X = new Float32Array(n * size * size);
  y = new Uint8Array(n);
  M = new Uint8Array(n * size * size);
  for (let i = from; i < to; i++) {
    const c = generatePhantomCase(seed, i, { size: 512 });
    X.set(preprocessImage({ width: c.width, height: c.height, data: c.image }, manifest), (i - from) * size * size);
    y[i - from] = c.label;
    M.set(maskAt(c.truth, c.width, c.height), (i - from) * size * size);
  }
}
writeFileSync(arg('out'), writeNpy(X, [n, size, size, 1]));
writeFileSync(arg('labels'), writeNpy(y, [n]));
if (process.argv.includes('--masks')) writeFileSync(arg('masks'), writeNpy(M, [n, size, size]));
process.stdout.write(JSON.stringify({ n, size, abnormal: y.reduce((a, b) => a + b, 0) }) + '\n');
