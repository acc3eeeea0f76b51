import * as tf from '@tensorflow/tfjs';
import type { SaliencyMethodFn } from './types';
import { attribute, targetValues, type GradientPath } from './engine';
import { attributionSum, grayscaleOutput } from './postprocess';
import { withCompleteness } from './ig';
import { adaptSteps, checkAccuracyParams, completenessError, completenessWarnings, type IgAccuracyParams } from './completeness';

/**
 * `blur-ig` (extra): Blur Integrated Gradients (Xu et al. 2020), as PAIR saliency v0.2's BlurIG.
 * The path runs from the image blurred at sigma_max to the image itself: sigma_i = i * sigma_max /
 * steps (or the square root of that with `sqrt`), i = 0..steps-1. With x_i = blur(x, sigma_i) and
 * d_i = (blur(x, sigma_i + gradStep) - x_i) / gradStep (the blur's derivative in sigma),
 *   attribution = -sum_i (sigma_{i+1} - sigma_i) * d_i * grad f(x_i).
 * blur is scipy.ndimage.gaussian_filter(x, [s, s, 0], mode='constant'): a separable Gaussian
 * truncated at 4 sigma, zero outside the image, no blur across channels; sigma 0 is the identity.
 * No baseline image: the most blurred image plays that part (its target is recorded), so
 * completeness is |sum(attr) - (f(x) - f(blur(x, sigma_max)))| / |f(x) - f(blur(x, sigma_max))|;
 * steps double (the sigmas respaced) until it is within tolerance.
 */
export interface BlurIgParams extends IgAccuracyParams {
  /** Largest blur (pixels of the model input). */
  sigmaMax: number;
  steps: number;
  /** Finite-difference step of the blur derivative (PAIR: 0.01). */
  gradStep: number;
  /** Space the sigmas as sqrt(i * sigmaMax / steps) (PAIR's sqrt option). */
  sqrt: boolean;
}

/** scipy.ndimage's 1-D Gaussian: exp(-t^2 / (2 s^2)) for |t| <= int(4 s + 0.5), normalised. */
export function gaussianKernel1d(sigma: number): Float32Array {
  const r = Math.floor(4 * sigma + 0.5);
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let t = -r; t <= r; t++) sum += k[t + r] = Math.exp((-0.5 * t * t) / (sigma * sigma));
  return Float32Array.from(k, (v) => v / sum);
}

/**
 * Gaussian blur of [N, H, W, C] over H and W (zero outside), on the device. Taps farther than the
 * image extent never meet a pixel, so the kernel is cut to 2H - 1 (2W - 1) taps after normalising:
 * the result is the same and a sigma of 50 on a 128 px input costs 255 taps, not 401.
 */
export function gaussianBlur(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  if (!(sigma > 0)) return x.clone();
  const k = gaussianKernel1d(sigma);
  const r = (k.length - 1) / 2;
  if (r === 0) return x.clone();
  const [, h, w, c] = x.shape;
  return tf.tidy(() => {
    const pass = (t: tf.Tensor4D, axis: 'h' | 'w') => {
      const rr = Math.min(r, (axis === 'h' ? h : w) - 1);
      if (rr === 0) return t;
      const taps = k.subarray(r - rr, r + rr + 1);
      const data = new Float32Array(taps.length * c);
      for (let i = 0; i < taps.length; i++) data.fill(taps[i], i * c, (i + 1) * c);
      const filter = tf.tensor4d(data, axis === 'h' ? [taps.length, 1, c, 1] : [1, taps.length, c, 1]);
      return tf.depthwiseConv2d(t, filter, 1, 'same') as tf.Tensor4D;
    };
    return pass(pass(x, 'h'), 'w');
  });
}

/** sigma_0..sigma_steps of the path. */
export function blurSigmas(p: Pick<BlurIgParams, 'sigmaMax' | 'steps' | 'sqrt'>): number[] {
  return Array.from({ length: p.steps + 1 }, (_, i) => (p.sqrt ? Math.sqrt((i * p.sigmaMax) / p.steps) : (i * p.sigmaMax) / p.steps));
}

export function blurIgPath(p: BlurIgParams): GradientPath {
  if (!Number.isInteger(p.steps) || p.steps < 1) throw new RangeError(`blur IG: steps must be a positive integer, found ${p.steps}`);
  if (!(p.sigmaMax > 0)) throw new RangeError(`blur IG: sigmaMax must be positive, found ${p.sigmaMax}`);
  if (!(p.gradStep > 0)) throw new RangeError(`blur IG: gradStep must be positive, found ${p.gradStep}`);
  const s = blurSigmas(p);
  const rows = (k0: number, k1: number, f: (k: number) => tf.Tensor4D) =>
    tf.concat(Array.from({ length: k1 - k0 }, (_, j) => f(k0 + j)), 0) as tf.Tensor4D;
  return {
    rows: p.steps,
    makeRows: (xi, k0, k1) => rows(k0, k1, (k) => gaussianBlur(xi, s[k])),
    // d_k = (blur(x, s_k + gradStep) - x_k) / gradStep, with x_k the row the model saw.
    rowTerms: (xi, k0, k1, grads, xk) => {
      const scale = tf.tensor4d(Array.from({ length: k1 - k0 }, (_, j) => (s[k0 + j + 1] - s[k0 + j]) / p.gradStep), [k1 - k0, 1, 1, 1]);
      return grads.mul(rows(k0, k1, (k) => gaussianBlur(xi, s[k] + p.gradStep)).sub(xk).mul(scale)) as tf.Tensor4D;
    },
    finish: (_xi, g) => g.neg() as tf.Tensor4D,
  };
}

export const blurIntegratedGradients: SaliencyMethodFn<BlurIgParams> = async (probe, x, params, ctx) => {
  const [h, w, c] = x.shape;
  const acc = checkAccuracyParams('Blur IG', params);
  blurIgPath(params); // checks the parameters before any model call
  // Target at the input and at the most blurred image (the path's start): sigma_max whatever the steps.
  const both = tf.tidy(() => {
    const xi = x.expandDims(0) as tf.Tensor4D;
    return tf.concat([xi, gaussianBlur(xi, blurSigmas(params)[params.steps])], 0) as tf.Tensor4D;
  });
  let input: number;
  let blurred: number;
  try {
    [input, blurred] = await targetValues(probe, both);
  } finally {
    both.dispose();
  }
  const r = await adaptSteps(params.steps, acc, async (steps) => {
    const raw = await attribute(probe, x, blurIgPath({ ...params, steps }), ctx);
    return { result: raw, error: completenessError(attributionSum(raw), input, blurred) };
  });
  const warnings = completenessWarnings('Blur IG', { error: r.error, steps: r.steps, tolerance: acc.tolerance, maxSteps: acc.maxSteps, fx: input, fb: blurred, baseline: `blurred image, sigma ${params.sigmaMax}` });
  const out = grayscaleOutput(r.result, [h, w, c], { targetAtInput: input, targetAtBaselines: { [`blur ${params.sigmaMax}`]: blurred }, attributionSum: attributionSum(r.result), stepsTried: r.tried });
  return withCompleteness(out, r.error, r.steps, warnings);
};
