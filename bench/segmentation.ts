/**
 * Segmentation timings (printed, not asserted): Felzenszwalb on 224 x 224 (1 and 3 channels),
 * the XRAI bicubic resize to 224 x 224, and XRAI's whole segment pipeline (6 scales, dilation).
 * Wall time on a loaded machine overstates; cpu time (process.cpuUsage, includes GC threads) is printed beside it.
 */
import { felzenszwalb } from '../src/core/segmentation/felzenszwalb';
import { normalizeToRange, resizeBicubicSkimage } from '../src/core/segmentation/resize';
import { xraiSegments } from '../src/core/segmentation/xraiSegments';

function image(h: number, w: number, c: number, seed = 1): Float32Array {
  let s = seed;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const out = new Float32Array(h * w * c);
  const blobs = Array.from({ length: 12 }, () => [rnd() * h, rnd() * w, 5 + rnd() * h / 4, rnd() - 0.5]);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    let v = 0.2 * x / w + 0.1 * y / h + 0.05 * (rnd() - 0.5);
    for (const [by, bx, r, a] of blobs) if ((y - by) ** 2 + (x - bx) ** 2 < r * r) v += a;
    out[(y * w + x) * c + k] = v;
  }
  return out;
}

function time(label: string, reps: number, fn: () => unknown): void {
  fn(); // warm-up
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  const ms = (performance.now() - t0) / reps;
  const u = process.cpuUsage(c0);
  const cpu = (u.user + u.system) / 1000 / reps;
  console.log(`${label.padEnd(58)} ${ms.toFixed(1).padStart(8)} ms wall ${cpu.toFixed(1).padStart(8)} ms cpu`);
}

const g224 = image(224, 224, 1);
const c224 = image(224, 224, 3);
for (const scale of [50, 1200]) {
  time(`felzenszwalb 224x224x1 scale ${scale} sigma 0.8 min 150`, 10, () => felzenszwalb(g224, 224, 224, 1, { scale, sigma: 0.8, minSize: 150 }));
}
time('felzenszwalb 224x224x3 scale 100 sigma 0.8 min 150', 10, () => felzenszwalb(c224, 224, 224, 3, { scale: 100, sigma: 0.8, minSize: 150 }));
const g320 = image(320, 320, 1);
const n320 = normalizeToRange(g320, -1, 1);
time('bicubic resize 320x320x1 -> 224x224 (anti-aliased)', 5, () => resizeBicubicSkimage(n320, 320, 320, 1, 224, 224));
const g128 = image(128, 128, 1);
time('bicubic resize 128x128x1 -> 224x224', 5, () => resizeBicubicSkimage(normalizeToRange(g128, -1, 1), 128, 128, 1, 224, 224));
time('xraiSegments 320x320x1 (6 scales, resize, dilation r 5)', 3, () => xraiSegments(g320, 320, 320, 1));
time('xraiSegments 224x224x3', 3, () => xraiSegments(c224, 224, 224, 3));
console.log(`masks for 320x320x1: ${xraiSegments(g320, 320, 320, 1).length}`);
