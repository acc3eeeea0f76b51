/**
 * `xrai`: XRAI (SPEC section 2; PAIR saliency v0.2 `XRAI.GetMaskWithDetails`).
 *
 * 1. attribution = mean of raw IG (n steps) over two baselines, black and white;
 * 2. channels reduced by max;
 * 3. segments = Felzenszwalb at scales [50, 100, 150, 250, 500, 1200], sigma 0.8, min_size 150,
 *    on the input min-max scaled to [-1, 1] and resized to 224 x 224 (skimage bicubic), labels
 *    resized back (nearest), each mask dilated by a disk of radius 5 (src/core/segmentation);
 * 4. greedy "full" selection (or "fast") over the masks (xraiSelection.ts).
 * Raw output: the XRAI map [H, W, 1]; map: min-max to [0, 1] (SPEC section 3).
 *
 * Completeness: each baseline's IG adapts its steps on its own (ig.ts); the output's
 * completenessError is the worse of the two baselines' and `steps` the larger of their steps
 * (info.stepsPerBaseline has both), with a warning for each baseline left over tolerance.
 *
 * Baselines: 'range' (default) = the probe's input range (black = its minimum, white = its
 * maximum, as SPEC and the other IG methods use); 'image' = the input's own minimum and maximum,
 * which is what PAIR's `_make_baselines` does.
 */
import type { MethodContext, SaliencyMethodFn, SaliencyOutput } from './types';
import { adaptiveIntegratedGradients, targetAtInputAndBaseline, withCompleteness } from './ig';
import type { IgAccuracyParams } from './completeness';
import { DEFAULT_IG_RULE, type IgRule } from './quadrature';
import { minMaxNormalize } from './postprocess';
import { xraiFast, xraiFull } from './xraiSelection';
import { xraiSegments } from '../segmentation/xraiSegments';

export interface XraiParams extends IgAccuracyParams {
  /** Starting IG steps per baseline (paper 100, quick 16); each baseline's steps adapt on their own. */
  steps: number;
  /** IG's quadrature rule (default DEFAULT_IG_RULE). */
  rule?: IgRule;
  /** 'full' (SPEC default) or 'fast'. */
  algorithm?: 'full' | 'fast';
  /** 'range': the probe's input range (default); 'image': the input's min and max (PAIR). */
  baselines?: 'range' | 'image';
}

/** Reduces an interleaved [H, W, C] array to [H * W] by the max over channels. */
export function maxOverChannels(a: Float32Array, c: number): Float32Array {
  if (c === 1) return a.slice();
  const n = a.length / c;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let m = a[i * c];
    for (let k = 1; k < c; k++) if (a[i * c + k] > m) m = a[i * c + k];
    out[i] = m;
  }
  return out;
}

/**
 * XRAI's segments depend on the input alone, and the same input is explained again and again
 * (several models on one case, every step of the randomization cascade, repeated runs): the last
 * few inputs' masks are kept, keyed by shape and an FNV-1a hash of the values and confirmed by an
 * exact comparison.
 */
const SEGMENT_CACHE_SIZE = 4;
const segmentCache: Array<{ key: string; data: Float32Array; masks: Int32Array[] }> = [];

function hashValues(a: Float32Array): string {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < u.length; i++) {
    h ^= u[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16);
}

/** XRAI masks of an input [H, W, C], from the cache when this input was segmented recently. */
export function cachedXraiSegments(data: Float32Array, w: number, h: number, c: number): Int32Array[] {
  const key = `${h}x${w}x${c}:${hashValues(data)}`;
  const i = segmentCache.findIndex((e) => e.key === key && e.data.length === data.length && e.data.every((v, j) => Object.is(v, data[j])));
  if (i >= 0) {
    const [hit] = segmentCache.splice(i, 1);
    segmentCache.unshift(hit);
    return hit.masks;
  }
  const masks = xraiSegments(data, w, h, c);
  segmentCache.unshift({ key, data: data.slice(), masks });
  segmentCache.length = Math.min(segmentCache.length, SEGMENT_CACHE_SIZE);
  return masks;
}

export const xrai: SaliencyMethodFn<XraiParams> = async (probe, x, params, ctx: MethodContext) => {
  const [h, w, c] = x.shape;
  const steps = params.steps;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`xrai: steps must be a positive integer, found ${String(steps)}`);
  const algorithm = params.algorithm ?? 'full';
  if (algorithm !== 'full' && algorithm !== 'fast') throw new RangeError(`xrai: algorithm must be 'full' or 'fast', found ${String(algorithm)}`);
  const xData = (await x.data()) as Float32Array;

  let black: 'black' | number = 'black';
  let white: 'white' | number = 'white';
  if ((params.baselines ?? 'range') === 'image') {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < xData.length; i++) { if (xData[i] < lo) lo = xData[i]; if (xData[i] > hi) hi = xData[i]; }
    black = lo;
    white = hi;
  }

  // Progress: the two IG runs share one bar (segmentation and selection take a moment at the end).
  let total = 0;
  const part = (k: number): Pick<MethodContext, 'checkpoint' | 'onProgress'> => ({
    checkpoint: ctx.checkpoint,
    onProgress: (done, t) => { total = t; ctx.onProgress?.(k * t + done, 2 * t + 1); },
  });
  const rule = params.rule ?? DEFAULT_IG_RULE;
  const acc = { rule, tolerance: params.tolerance, maxSteps: params.maxSteps };
  const tb = await targetAtInputAndBaseline(probe, x, black);
  const tw = await targetAtInputAndBaseline(probe, x, white);
  const rb = await adaptiveIntegratedGradients(probe, x, { steps, baseline: black, ...acc }, part(0), tb, 'XRAI (IG from the black baseline)');
  const rw = await adaptiveIntegratedGradients(probe, x, { steps, baseline: white, ...acc }, part(1), tw, 'XRAI (IG from the white baseline)');
  const igBlack = rb.raw;
  const igWhite = rw.raw;
  const attr3 = new Float32Array(igBlack.length);
  for (let i = 0; i < attr3.length; i++) attr3[i] = (igBlack[i] + igWhite[i]) / 2;
  const attr = maxOverChannels(attr3, c);
  if (ctx.checkpoint) await ctx.checkpoint();

  const masks = cachedXraiSegments(xData, w, h, c);
  const sel = algorithm === 'full' ? xraiFull(attr, masks) : xraiFast(attr, masks);
  const raw = Float32Array.from(sel.map);
  ctx.onProgress?.(2 * total + 1, 2 * total + 1);

  let attrSum = 0;
  for (let i = 0; i < attr3.length; i++) attrSum += attr3[i];
  const errors = [rb.completenessError, rw.completenessError].filter((e): e is number => e !== undefined);
  const out: SaliencyOutput = {
    raw,
    rawShape: [h, w, 1],
    map: minMaxNormalize(raw),
    width: w,
    height: h,
    info: {
      targetAtInput: tb.input,
      targetAtBaselines: { [String(black)]: tb.baseline, [String(white)]: tw.baseline },
      attributionSum: attrSum,
      segments: masks.length,
      regionsChosen: sel.order.length,
      uncoveredPixels: sel.uncovered,
      algorithm,
      baselines: [typeof black === 'number' ? black : probe.inputRange[0], typeof white === 'number' ? white : probe.inputRange[1]],
      rule,
      stepsPerBaseline: [rb.steps, rw.steps],
      completenessPerBaseline: [rb.completenessError ?? null, rw.completenessError ?? null],
    },
  };
  return withCompleteness(out, errors.length ? Math.max(...errors) : undefined, Math.max(rb.steps, rw.steps), [...rb.warnings, ...rw.warnings]);
};
