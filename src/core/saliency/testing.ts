import * as tf from '@tensorflow/tfjs';
import type { ModelProbe } from './types';

/**
 * Probes for tests (not used by the app). An analytic linear probe, target = sum(w * x) + c, whose
 * attributions are known in closed form, and a counting wrapper that records every batch a method
 * sends, to prove batching.
 */
export function linearProbe(w: Float32Array, shape: [number, number, number], c = 0, opts: { maxBatch?: number; inputRange?: [number, number] } = {}): ModelProbe {
  const [h, wd, ch] = shape;
  const wt = () => tf.tensor4d(w, [1, h, wd, ch]);
  return {
    inputShape: shape,
    inputRange: opts.inputRange ?? [-1, 1],
    maxBatch: opts.maxBatch ?? 8,
    target: (x) => tf.tidy(() => x.mul(wt()).sum([1, 2, 3]).add(c) as tf.Tensor1D),
    inputGradients: (x) => tf.tidy(() => tf.zerosLike(x).add(wt()) as tf.Tensor4D),
    // The input itself plays the layer: activations = x, dy/dA = w.
    layerGradients: (x) => tf.tidy(() => ({ activations: x.clone(), gradients: tf.zerosLike(x).add(wt()) as tf.Tensor4D })),
  };
}

export interface CallLog {
  target: number[];
  inputGradients: number[];
  layerGradients: number[];
}

/** Wraps a probe and logs the batch size of every call. */
export function countingProbe<P extends ModelProbe>(probe: P): { probe: P; calls: CallLog } {
  const calls: CallLog = { target: [], inputGradients: [], layerGradients: [] };
  const wrapped = Object.create(probe) as P;
  Object.defineProperty(wrapped, 'maxBatch', { get: () => probe.maxBatch });
  wrapped.target = (x) => { calls.target.push(x.shape[0]); return probe.target(x); };
  wrapped.inputGradients = (x) => { calls.inputGradients.push(x.shape[0]); return probe.inputGradients(x); };
  wrapped.layerGradients = (x, l) => { calls.layerGradients.push(x.shape[0]); return probe.layerGradients(x, l); };
  return { probe: wrapped, calls };
}

/** Seeded values in [-0.5, 0.5) (an LCG), for test inputs and weights. */
export function seededValues(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** Largest |got - want| relative to the largest |want| (tests comparing maps with a reference). */
export function worstRelativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`length ${got.length} vs ${want.length}`);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  return worst / scale;
}
