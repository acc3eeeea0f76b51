import * as tf from '@tensorflow/tfjs';
import type { MethodContext, ModelProbe } from './types';
import { gaussianArray } from './rng';
import { quadrature, type IgRule } from './quadrature';

/**
 * The batched gradient engine shared by grad, ig, sg and sig (and XRAI through IG).
 *
 * A *path* expands one attributed input x_s into R model inputs ("rows"): the input itself for the
 * plain gradient, the n interpolants b + a_k (x_s - b) for IG. The engine flattens the rows of all
 * S inputs (S noisy copies for SmoothGrad, 1 otherwise), sends them to the probe in chunks of
 * probe.maxBatch (a chunk may span two inputs), sums each input's row gradients on the device and
 * hands the finished attribution of each input to a reducer. Rows are built with tf ops; nothing is
 * read back until the caller reads the final tensor.
 */
export interface GradientPath {
  /** Model inputs per attributed input. */
  readonly rows: number;
  /** Rows k0..k1-1 for xi ([1, H, W, C]): [k1 - k0, H, W, C]. Called inside tf.tidy. */
  makeRows(xi: tf.Tensor4D, k0: number, k1: number): tf.Tensor4D;
  /** The attribution of xi ([1, H, W, C]) from the sum of its rows' gradients. Called inside tf.tidy. */
  finish(xi: tf.Tensor4D, gradSum: tf.Tensor4D): tf.Tensor4D;
  /**
   * Optional: each row's term before the sum, from its gradient and the row itself (rows k0..k1-1,
   * both [k1 - k0, H, W, C]); default the gradient. Blur IG weighs each row by its own blur
   * derivative. Inside tf.tidy.
   */
  rowTerms?(xi: tf.Tensor4D, k0: number, k1: number, grads: tf.Tensor4D, rows: tf.Tensor4D): tf.Tensor4D;
}

export const gradientPath: GradientPath = {
  rows: 1,
  makeRows: (xi) => xi,
  finish: (_xi, g) => g,
};

/** alphas = linspace(0, 1, n), both ends included (n = 1: just 0, as NumPy). */
export function linspaceAlphas(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let k = 0; k < n; k++) a[k] = n === 1 ? 0 : k / (n - 1);
  return a;
}

/**
 * IG's path: rows b + a_k (x - b) at the nodes of `rule` (quadrature.ts); attribution
 * (x - b) * sum_k w_k grad_k. With `pair` (the default here, PAIR's rule) that is
 * (x - b) * (1/n) * sum_k grad_k over linspace(0, 1, n). `baseline` [1, H, W, C] is owned by the caller.
 */
export function integratedGradientsPath(baseline: tf.Tensor4D, steps: number, rule: IgRule = 'pair'): GradientPath {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`integrated gradients: steps must be a positive integer, found ${steps}`);
  if (rule === 'pair') {
    const alphas = linspaceAlphas(steps);
    return {
      rows: steps,
      makeRows: (xi, k0, k1) => {
        const a = tf.tensor4d(alphas.subarray(k0, k1), [k1 - k0, 1, 1, 1]);
        return baseline.add(a.mul(xi.sub(baseline))) as tf.Tensor4D;
      },
      finish: (xi, g) => xi.sub(baseline).mul(g).div(steps) as tf.Tensor4D,
    };
  }
  return weightedIntegratedGradientsPath(baseline, quadrature(rule, steps));
}

/**
 * IG's path at given nodes a_k in [0, 1] with weights w_k: rows b + a_k (x - b), attribution
 * (x - b) * sum_k w_k grad_k (any rule, or the new nodes of a refined trapezoid).
 */
export function weightedIntegratedGradientsPath(baseline: tf.Tensor4D, q: { nodes: ArrayLike<number>; weights: ArrayLike<number> }): GradientPath {
  const steps = q.nodes.length;
  if (steps < 1 || q.weights.length !== steps) throw new RangeError(`integrated gradients: ${steps} nodes and ${q.weights.length} weights`);
  const nodes = Float32Array.from(q.nodes);
  const weights = Float32Array.from(q.weights);
  return {
    rows: steps,
    makeRows: (xi, k0, k1) => {
      const a = tf.tensor4d(nodes.subarray(k0, k1), [k1 - k0, 1, 1, 1]);
      return baseline.add(a.mul(xi.sub(baseline))) as tf.Tensor4D;
    },
    // Each row's gradient times its weight, before the engine sums the rows.
    rowTerms: (_xi, k0, k1, grads) => grads.mul(tf.tensor4d(weights.subarray(k0, k1), [k1 - k0, 1, 1, 1])) as tf.Tensor4D,
    finish: (xi, g) => xi.sub(baseline).mul(g) as tf.Tensor4D,
  };
}

/** Is this error the backend running out of memory? */
export function isOutOfMemory(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return /out of memory|OOM|Failed to allocate|allocation failed|Cannot allocate|memory access out of bounds|RangeError: Array buffer allocation/i.test(m);
}

type Settable = ModelProbe & { setMaxBatch?: (n: number) => void };

/**
 * After a failed batch of B: when the backend ran out of memory and the probe's batch can shrink,
 * halves it and says to retry (true); otherwise the caller rethrows.
 */
export function halveBatchOnOom(probe: ModelProbe, B: number, e: unknown): boolean {
  const p = probe as Settable;
  if (!isOutOfMemory(e) || B <= 1 || typeof p.setMaxBatch !== 'function') return false;
  p.setMaxBatch(Math.floor(B / 2));
  return true;
}

/**
 * Runs `path` for S inputs (input(s) makes input s, [1, H, W, C]; the engine disposes it) and calls
 * onSample(s, attribution) in order of s; onSample must dispose (or keep) the attribution.
 * Progress counts rows; ctx.checkpoint is awaited after every chunk.
 */
export async function runPath(
  probe: ModelProbe,
  samples: number,
  input: (s: number) => tf.Tensor4D,
  path: GradientPath,
  ctx: Pick<MethodContext, 'checkpoint' | 'onProgress'>,
  onSample: (s: number, attribution: tf.Tensor4D) => void,
): Promise<void> {
  const R = path.rows;
  const total = samples * R;
  const inputs = new Map<number, tf.Tensor4D>();
  const accs = new Map<number, tf.Tensor4D>();
  const get = (s: number) => {
    let t = inputs.get(s);
    if (!t) {
      t = input(s);
      inputs.set(s, t);
    }
    return t;
  };
  try {
    let r0 = 0;
    while (r0 < total) {
      const B = Math.max(1, probe.maxBatch);
      const r1 = Math.min(total, r0 + B);
      const segs: Array<{ s: number; k0: number; k1: number }> = [];
      for (let s = Math.floor(r0 / R); s <= Math.floor((r1 - 1) / R); s++) {
        segs.push({ s, k0: Math.max(0, r0 - s * R), k1: Math.min(R, r1 - s * R) });
      }
      for (const g of segs) get(g.s);
      let grads: tf.Tensor4D;
      // The model inputs are kept past the gradient only when the path's rowTerms reads them.
      let batchRows: tf.Tensor4D | null = null;
      try {
        const out = tf.tidy(() => {
          const parts = segs.map((g) => path.makeRows(inputs.get(g.s)!, g.k0, g.k1));
          const batch = parts.length === 1 ? parts[0] : (tf.concat(parts, 0) as tf.Tensor4D);
          const gr = probe.inputGradients(batch);
          return path.rowTerms ? { gr, batch } : { gr };
        });
        grads = out.gr;
        batchRows = (out as { batch?: tf.Tensor4D }).batch ?? null;
      } catch (e) {
        if (halveBatchOnOom(probe, B, e)) continue;
        throw e;
      }
      let offset = 0;
      for (const g of segs) {
        const len = g.k1 - g.k0;
        const prev = accs.get(g.s);
        const next = tf.tidy(() => {
          const gs = grads.slice([offset, 0, 0, 0], [len, -1, -1, -1]) as tf.Tensor4D;
          const terms = path.rowTerms && batchRows ? path.rowTerms(inputs.get(g.s)!, g.k0, g.k1, gs, batchRows.slice([offset, 0, 0, 0], [len, -1, -1, -1]) as tf.Tensor4D) : gs;
          const part = terms.sum(0, true) as tf.Tensor4D;
          return prev ? (prev.add(part) as tf.Tensor4D) : part;
        });
        prev?.dispose();
        accs.set(g.s, next);
        offset += len;
        if (g.k1 === R) {
          const xi = inputs.get(g.s)!;
          const attribution = tf.tidy(() => path.finish(xi, next));
          if (attribution !== next) next.dispose();
          accs.delete(g.s);
          xi.dispose();
          inputs.delete(g.s);
          onSample(g.s, attribution);
        }
      }
      grads.dispose();
      // (a path whose makeRows hands back the input itself must not lose it here)
      if (batchRows && ![...inputs.values()].includes(batchRows)) batchRows.dispose();
      r0 = r1;
      ctx.onProgress?.(r1, total);
      if (ctx.checkpoint) await ctx.checkpoint();
    }
  } finally {
    for (const t of inputs.values()) t.dispose();
    for (const t of accs.values()) t.dispose();
  }
}

export interface NoiseOptions {
  samples: number;
  /** Noise standard deviation as a fraction of max(x) - min(x) (PAIR's stdev_spread). */
  noise: number;
  /** Square each sample's attribution before averaging (PAIR's magnitude=True). */
  square: boolean;
  rng: () => number;
  /**
   * Unit normal draws of each sample ([H * W * C] each), used instead of drawing from rng: Smooth IG
   * draws them once so that a rerun with more steps explains the same noisy inputs.
   */
  draws?: Float32Array[];
}

/** Per-sample facts `attribute` can record: each sample's attribution sum (before squaring) and the target at its input. */
export interface SampleRecord {
  sums: number[];
  targets: number[];
}

/**
 * Attribution of one input [H, W, C] along `path`: plain, or SmoothGrad around it when `noise` is
 * given (mean over samples of the (squared) attribution at x + eps, eps ~ N(0, sigma^2) from rng,
 * sigma = noise * (max(x) - min(x))). Returns the raw map read back, [H, W, C] row-major.
 */
export async function attribute(
  probe: ModelProbe,
  x: tf.Tensor3D,
  path: GradientPath,
  ctx: Pick<MethodContext, 'checkpoint' | 'onProgress'>,
  noise?: NoiseOptions,
  record?: SampleRecord,
): Promise<Float32Array> {
  const [h, w, c] = x.shape;
  const samples = noise ? noise.samples : 1;
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`smoothing: samples must be a positive integer, found ${samples}`);
  if (noise?.draws && noise.draws.length < samples) throw new RangeError(`smoothing: ${noise.draws.length} noise draws for ${samples} samples`);
  // sigma = noise * (max(x) - min(x)), kept on the device.
  const sigma = noise ? tf.tidy(() => x.max().sub(x.min()).mul(noise.noise)) : null;
  // With `record`: each sample's target at its input and its attribution sum, read back at the end.
  const targets: tf.Tensor[] = [];
  const sums: tf.Tensor[] = [];
  const input = (s: number): tf.Tensor4D => {
    const xi = tf.tidy(() => {
      const x1 = x.expandDims(0) as tf.Tensor4D;
      if (!noise || !sigma) return x1;
      // Unit normals from the seeded generator in sample order: the same seed gives the same map.
      const eps = noise.draws ? noise.draws[s] : gaussianArray(noise.rng, h * w * c);
      return x1.add(tf.tensor4d(eps, [1, h, w, c]).mul(sigma)) as tf.Tensor4D;
    });
    if (record) targets[s] = probe.target(xi);
    return xi;
  };
  let total: tf.Tensor4D | null = null;
  try {
    await runPath(probe, samples, input, path, ctx, (s, a) => {
      if (record) sums[s] = a.sum();
      const prev: tf.Tensor4D | null = total;
      total = tf.tidy(() => {
        const v = noise?.square ? a.square() : a;
        return (prev ? prev.add(v) : v.clone()) as tf.Tensor4D;
      });
      prev?.dispose();
      a.dispose();
    });
    const t = total as tf.Tensor4D | null;
    if (!t) throw new Error('attribute: no sample was computed');
    const mean = samples === 1 ? t : tf.tidy(() => t.div(samples) as tf.Tensor4D);
    const out = (await mean.data()) as Float32Array;
    if (mean !== t) mean.dispose();
    if (record) {
      for (let s = 0; s < samples; s++) {
        record.sums[s] = (await sums[s].data())[0];
        record.targets[s] = (await targets[s].data())[0];
      }
    }
    return out;
  } finally {
    (total as tf.Tensor4D | null)?.dispose();
    sigma?.dispose();
    for (const t of [...targets, ...sums]) t?.dispose();
  }
}

/** A baseline given as 'black' (input-range minimum), 'white' (maximum) or a number: [1, H, W, C]. */
export function baselineTensor(probe: ModelProbe, shape: readonly [number, number, number], baseline: 'black' | 'white' | number): tf.Tensor4D {
  const v = baseline === 'black' ? probe.inputRange[0] : baseline === 'white' ? probe.inputRange[1] : baseline;
  if (!Number.isFinite(v)) throw new RangeError(`baseline must be 'black', 'white' or a finite number, found ${String(baseline)}`);
  return tf.fill([1, shape[0], shape[1], shape[2]], v) as tf.Tensor4D;
}

/** The probe's target at a few inputs ([k, H, W, C], owned by the caller), read back. */
export async function targetValues(probe: ModelProbe, xs: tf.Tensor4D): Promise<number[]> {
  const t = probe.target(xs);
  try {
    return Array.from(await t.data());
  } finally {
    t.dispose();
  }
}
