/**
 * Metric speed (prints, asserts nothing): `npx tsx bench/metrics.ts`.
 * SSIM, AUROC, AUPRC, Otsu and Sobel on 320x320 maps; consensus and reader agreement at 2048x2048;
 * localization per case and a 1000-resample bootstrap. Median of repeated runs after warm-up.
 */
import { ssim } from '../src/core/metrics/ssim';
import { auroc } from '../src/core/metrics/auroc';
import { auprc } from '../src/core/metrics/auprc';
import { otsuMask } from '../src/core/metrics/otsu';
import { sobelMagnitude } from '../src/core/metrics/edges';
import { bootstrapMeanCI } from '../src/core/metrics/bootstrap';
import { mulberry32 } from '../src/core/metrics/prng';
import { localizationMetrics } from '../src/core/metrics/criteria/localization';
import { rasterizeBoxes, consensusMask, consensusFromBoxes, readerAgreement, readerAgreementFromBoxes } from '../src/core/annotation';
import type { BoxCoords } from '../src/core/study/types';

function time(name: string, f: () => unknown, runs = 30, warm = 10): void {
  for (let i = 0; i < warm; i++) f();
  const ts: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(c0);
  ts.sort((a, b) => a - b);
  // CPU time per run is less inflated than wall time when other processes share the cores.
  const cpuMs = (cpu.user + cpu.system) / 1000 / runs;
  console.log(`${name.padEnd(44)} wall median ${ts[ts.length >> 1].toFixed(2).padStart(7)} ms, min ${ts[0].toFixed(2).padStart(7)} ms; cpu ${cpuMs.toFixed(2).padStart(7)} ms/run`);
}

const N = 320;
const rnd = mulberry32(1);
// A smooth-ish map (sum of a few bumps plus noise) and a blob mask.
const map = new Float64Array(N * N).map((_, k) => Math.exp(-(((k % N) - 150) ** 2 + (Math.floor(k / N) - 170) ** 2) / 3000) + 0.2 * rnd());
const map2 = new Float64Array(N * N).map((v, k) => 0.7 * map[k] + 0.3 * rnd());
const mask = new Uint8Array(N * N).map((_, k) => (((k % N) - 140) ** 2 + (Math.floor(k / N) - 160) ** 2 < 60 ** 2 ? 1 : 0));
const map32 = Float32Array.from(map);

console.log(`node ${process.version}; maps ${N}x${N}; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
time('ssim 320x320 (float64)', () => ssim(map, map2, N, N));
time('ssim 320x320 (float32 input)', () => ssim(map32, map2, N, N));
time('auroc 320x320', () => auroc(map, mask));
time('auprc 320x320', () => auprc(map, mask));
time('otsu threshold + mask 320x320', () => otsuMask(map));
time('sobel edge map 320x320', () => sobelMagnitude(map, N, N));
time('localization metrics of one case 320x320', () => localizationMetrics(map, mask), 20, 5);
const values = Array.from({ length: 100 }, () => rnd());
time('bootstrap CI, 100 cases x 1000 resamples', () => bootstrapMeanCI(values, { seed: 3 }), 20, 5);

const W = 2048;
const boxes: BoxCoords[][] = [[[100, 200, 1500, 1600], [1200, 50, 2000, 900]], [[300, 300, 1700, 1800]], [[0, 0, 1024, 2048]]];
const masks = boxes.map((b) => rasterizeBoxes(b, W, W));
console.log(`\nannotation at ${W}x${W}, 3 readers`);
time('rasterizeBoxes (one reader)', () => rasterizeBoxes(boxes[0], W, W), 20, 5);
time('consensusMask (3 masks, quorum 2)', () => consensusMask(masks, 2), 20, 5);
time('consensusFromBoxes (3 readers, quorum 2)', () => consensusFromBoxes(boxes, W, W, 2), 20, 5);
time('readerAgreement (3 readers)', () => readerAgreement({ R1: masks[0], R2: masks[1], R3: masks[2] }), 10, 3);
time('readerAgreementFromBoxes (3 readers)', () => readerAgreementFromBoxes({ R1: boxes[0], R2: boxes[1], R3: boxes[2] }, W, W), 20, 5);
