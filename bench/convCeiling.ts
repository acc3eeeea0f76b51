/**
 * How fast can a convolution run here, on wasm and in PyTorch? Convolutions are what is left of the
 * input-gradient pass once the backward kernels are fused (88 % of DenseNet-121's on wasm), so their
 * rate bounds every gradient method's speed.
 *
 * 1. The wasm SIMD ceiling: bench/convCeiling/peak.c, 12 independent chains of f32x4 multiply + add
 *    (wasm has 128-bit vectors and, without the relaxed-SIMD proposal, no fused multiply-add), run on
 *    this machine's V8. Built with
 *    `clang --target=wasm32 -msimd128 -O3 -nostdlib -Wl,--no-entry -o peak.wasm peak.c` (730 bytes,
 *    inlined below; no memory, no imports). Fewer chains stall on latency, more spill registers.
 * 2. tfjs-backend-wasm's convolutions (XNNPACK), one thread, batch 1, on the small CNN's four layers
 *    and a DenseNet-121 dense block's 1x1 and 3x3 convolutions.
 * 3. PyTorch's F.conv2d on the same shapes (NCHW, contiguous), one thread, malloc tuned as in
 *    bench/gradients_torch.py.
 * Each rate is from the fastest of 10 runs: a ceiling, not a typical time.
 * Rates are direct-convolution FLOPs (2 * H * W * Cin * Cout * kh * kw) per second, so a library that
 * does fewer multiplications (Winograd) shows an effective rate above the hardware's.
 *
 *   npx tsx bench/convCeiling.ts [--no-torch]
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initNodeBackend, nodeWasmThreads, setNodeWasmThreads } from '../src/cli/nodeBackend';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const PEAK_WASM = 'AGFzbQEAAAABBgFgAX8BfQMCAQAEBQFwAQEBBQMBAAIGCAF/AUGAiAQLBxECBm1lbW9yeQIABHBlYWsAAAqrBAGoBAEOewJAIABBAU4NAP0MVg5BQVYOQUFWDkFBVg5BQf0fAA8L/QwAAIA/AACAPwAAgD8AAIA/IQH9DMUggD/FIIA/xSCAP8UggD8hAv0MiUGAP4lBgD+JQYA/iUGAPyED/QxOYoA/TmKAP05igD9OYoA/IQT9DBKDgD8Sg4A/EoOAPxKDgD8hBf0M16OAP9ejgD/Xo4A/16OAPyEG/QycxIA/nMSAP5zEgD+cxIA/IQf9DGDlgD9g5YA/YOWAP2DlgD8hCP0MJQaBPyUGgT8lBoE/JQaBPyEJ/QzpJoE/6SaBP+kmgT/pJoE/IQr9DK5HgT+uR4E/rkeBP65HgT8hC/0Mc2iBP3NogT9zaIE/c2iBPyEMA0AgDP0M7/9/P+//fz/v/38/7/9/PyIN/eYB/QyVv9Yzlb/WM5W/1jOVv9YzIg795AEhDCALIA395gEgDv3kASELIAogDf3mASAO/eQBIQogCSAN/eYBIA795AEhCSAIIA395gEgDv3kASEIIAcgDf3mASAO/eQBIQcgBiAN/eYBIA795AEhBiAFIA395gEgDv3kASEFIAQgDf3mASAO/eQBIQQgAyAN/eYBIA795AEhAyACIA395gEgDv3kASECIAEgDf3mASAO/eQBIQEgAEF/aiIADQALIAEgAv3kASAD/eQBIAT95AEgBf3kASAG/eQBIAf95AEgCP3kASAJ/eQBIAr95AEgC/3kASAM/eQB/R8ACwAiBG5hbWUBBwEABHBlYWsHEgEAD19fc3RhY2tfcG9pbnRlcgAtCXByb2R1Y2VycwEMcHJvY2Vzc2VkLWJ5AQxEZWJpYW4gY2xhbmcGMTQuMC42ABoPdGFyZ2V0X2ZlYXR1cmVzASsHc2ltZDEyOA==';

/** [name, H, W, Cin, Cout, k] at stride 1, 'same' padding. */
const SHAPES: Array<[string, number, number, number, number, number]> = [
  ['small CNN conv1', 224, 224, 3, 32, 3],
  ['small CNN conv2', 112, 112, 32, 64, 3],
  ['small CNN conv3', 56, 56, 64, 128, 3],
  ['small CNN conv4', 28, 28, 128, 128, 3],
  ['DenseNet-121 block 2, 1x1', 28, 28, 256, 128, 1],
  ['DenseNet-121 block 2, 3x3', 28, 28, 128, 32, 3],
];
const flops = ([, h, w, ci, co, k]: (typeof SHAPES)[number]) => 2 * h * w * ci * co * k * k;

async function wasmPeak(): Promise<number> {
  const { instance } = await WebAssembly.instantiate(Buffer.from(PEAK_WASM, 'base64'));
  const peak = instance.exports.peak as (n: number) => number;
  const n = 20_000_000;
  peak(1000);
  let best = 0;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    peak(n);
    best = Math.max(best, (n * 12 * 8) / ((performance.now() - t0) / 1000) / 1e9);
  }
  return best;
}

async function xnnpack(): Promise<number[]> {
  setNodeWasmThreads(1);
  await initNodeBackend('wasm');
  const threads = (await nodeWasmThreads()) ?? 1;
  if (threads !== 1) throw new Error(`wasm runs ${threads} threads, wanted 1`);
  const out: number[] = [];
  for (const s of SHAPES) {
    const [, h, w, ci, co, k] = s;
    const x = tf.randomNormal([1, h, w, ci], 0, 1, 'float32', 1) as tf.Tensor4D;
    const f = tf.randomNormal([k, k, ci, co], 0, 0.1, 'float32', 2) as tf.Tensor4D;
    const ts: number[] = [];
    for (let r = 0; r < 12; r++) {
      // The wasm backend computes when the op is called (no queue): the call is the convolution,
      // without reading the output back.
      const t0 = performance.now();
      const y = tf.conv2d(x, f, 1, 'same');
      if (r >= 2) ts.push(performance.now() - t0);
      y.dispose();
    }
    out.push(flops(s) / (Math.min(...ts) / 1000) / 1e9);
    tf.dispose([x, f]);
  }
  return out;
}

function pytorch(): number[] | string {
  const code = `
import json, sys, time
sys.path.insert(0, 'bench')
from gradients_torch import tune_malloc
tune_malloc()
import torch, torch.nn.functional as F
torch.set_num_threads(1)
out = []
for h, w, ci, co, k in json.loads(sys.argv[1]):
    x = torch.randn(1, ci, h, w); f = torch.randn(co, ci, k, k) * 0.1
    ts = []
    with torch.no_grad():
        for r in range(12):
            t0 = time.perf_counter(); F.conv2d(x, f, padding=k // 2); dt = time.perf_counter() - t0
            if r >= 2: ts.append(dt)
    out.append(2 * h * w * ci * co * k * k / min(ts) / 1e9)
print(json.dumps({'rates': out, 'torch': torch.__version__}))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', code, JSON.stringify(SHAPES.map((s) => s.slice(1)))], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) return `PyTorch not measured: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`;
  return (JSON.parse(r.stdout) as { rates: number[] }).rates;
}

const peak = await wasmPeak();
const ours = await xnnpack();
const theirs = process.argv.includes('--no-torch') ? 'PyTorch not measured (--no-torch)' : pytorch();
const g = (v: number) => v.toFixed(1);
console.log(`load average: ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}; one thread each, batch 1, the fastest of 10 runs after 2 warm-ups (this shared VM's clock varies)`);
console.log(`wasm SIMD128 ceiling (f32x4 multiply + add, 12 chains): ${g(peak)} GFLOP/s\n`);
console.log('| convolution | tfjs wasm (XNNPACK) GFLOP/s | % of the wasm ceiling | PyTorch GFLOP/s (effective) | PyTorch / wasm | 0.67x PyTorch, as a multiple of the wasm ceiling |');
console.log('|---|---|---|---|---|---|');
SHAPES.forEach((s, i) => {
  const t = typeof theirs === 'string' ? undefined : theirs[i];
  console.log(`| ${s[0]} (${s[1]}x${s[2]}x${s[3]} -> ${s[4]}, ${s[5]}x${s[5]}) | ${g(ours[i])} | ${((100 * ours[i]) / peak).toFixed(0)} % | ${t == null ? '—' : g(t)} | ${t == null ? '—' : `${(t / ours[i]).toFixed(1)}x`} | ${t == null ? '—' : `${((0.67 * t) / peak).toFixed(2)}x`} |`);
});
if (typeof theirs === 'string') console.log(`\n${theirs}`);
process.exit(0);
