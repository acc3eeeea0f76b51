import * as tf from '@tensorflow/tfjs';
import type { SaliencyMethodFn } from './types';
import { baselineTensor, halveBatchOnOom, targetValues } from './engine';


/**
 * `occlusion` (extra, SPEC section 2): the target's drop when a square patch is replaced by the
 * baseline, f(x) - f(x with the patch set to b), averaged at each pixel over the patches that cover
 * it. Patch side: `patch` x the input's side (default 1/8), stride half a patch; the last row and
 * column of patches are aligned to the far edge so every pixel is covered. Forward passes only, in
 * batches of probe.maxBatch, built on the device. The raw map is signed (a patch can raise the
 * target); the shown map keeps the drops only, divided by the largest (as Grad-CAM's ReLU and max),
 * so no-effect regions stay at 0 rather than mid-scale.
 */
export interface OcclusionParams {
  /** Patch side as a fraction of the input's side (per axis). */
  patch: number;
  /** Stride as a fraction of the patch. */
  stride: number;
  baseline: 'black' | 'white' | number;
}

/** Start offsets of patches of `size` with `step` along `n` pixels, the last one flush with the end. */
export function patchStarts(n: number, size: number, step: number): number[] {
  const out: number[] = [];
  for (let p = 0; p + size <= n; p += step) out.push(p);
  if (out.length === 0 || out[out.length - 1] + size < n) out.push(Math.max(0, n - size));
  return out;
}

/** max(m, 0) / max(m) (all zeros when nothing is positive). */
export function positiveMax(m: ArrayLike<number>): Float32Array {
  let hi = 0;
  for (let i = 0; i < m.length; i++) if (m[i] > hi) hi = m[i];
  const out = new Float32Array(m.length);
  if (hi > 0) for (let i = 0; i < m.length; i++) out[i] = m[i] > 0 ? m[i] / hi : 0;
  return out;
}

export const occlusion: SaliencyMethodFn<OcclusionParams> = async (probe, x, params, ctx) => {
  const [h, w, c] = x.shape;
  if (!(params.patch > 0 && params.patch <= 1)) throw new RangeError(`occlusion: patch must be in (0, 1], found ${params.patch}`);
  if (!(params.stride > 0 && params.stride <= 1)) throw new RangeError(`occlusion: stride must be in (0, 1], found ${params.stride}`);
  const ph = Math.max(1, Math.round(h * params.patch));
  const pw = Math.max(1, Math.round(w * params.patch));
  const ys = patchStarts(h, ph, Math.max(1, Math.floor(ph * params.stride)));
  const xs = patchStarts(w, pw, Math.max(1, Math.floor(pw * params.stride)));
  const patches = ys.flatMap((y) => xs.map((xx) => [y, xx] as const));
  const b = baselineTensor(probe, [h, w, c], params.baseline);
  const xi = x.expandDims(0) as tf.Tensor4D;
  const drops = new Float32Array(patches.length);
  let input = NaN;
  try {
    [input] = await targetValues(probe, xi);
    let i0 = 0;
    while (i0 < patches.length) {
      const B = Math.max(1, probe.maxBatch);
      const i1 = Math.min(patches.length, i0 + B);
      const mask = new Float32Array((i1 - i0) * h * w);
      for (let i = i0; i < i1; i++) {
        const [y0, x0] = patches[i];
        const o = (i - i0) * h * w;
        for (let y = y0; y < y0 + ph; y++) mask.fill(1, o + y * w + x0, o + y * w + x0 + pw);
      }
      let t: tf.Tensor1D;
      try {
        t = tf.tidy(() => {
          const m = tf.tensor4d(mask, [i1 - i0, h, w, 1]);
          return probe.target(xi.mul(tf.scalar(1).sub(m)).add(b.mul(m)) as tf.Tensor4D);
        });
      } catch (e) {
        if (halveBatchOnOom(probe, B, e)) continue;
        throw e;
      }
      const v = await t.data();
      t.dispose();
      for (let i = i0; i < i1; i++) drops[i] = input - v[i - i0];
      i0 = i1;
      ctx.onProgress?.(i1, patches.length);
      if (ctx.checkpoint) await ctx.checkpoint();
    }
  } finally {
    b.dispose();
    xi.dispose();
  }
  const sum = new Float64Array(h * w);
  const count = new Uint16Array(h * w);
  patches.forEach(([y0, x0], i) => {
    for (let y = y0; y < y0 + ph; y++) {
      for (let xx = x0; xx < x0 + pw; xx++) {
        sum[y * w + xx] += drops[i];
        count[y * w + xx]++;
      }
    }
  });
  const raw = Float32Array.from(sum, (s, i) => (count[i] ? s / count[i] : 0));
  return {
    raw,
    rawShape: [h, w, 1],
    map: positiveMax(raw),
    width: w,
    height: h,
    info: { targetAtInput: input, patches: patches.length, patchSize: [ph, pw] },
  };
};
