import * as tf from '@tensorflow/tfjs';
import type { ModelProbe } from '../saliency/types';

export interface ProbeTiming {
  /** The batch timed. */
  maxBatch: number;
  /** ms per example of one forward pass (the target). */
  forwardMs: number;
  /** ms per example of one input-gradient pass. */
  gradientMs: number;
  ratio: number;
}

/**
 * Bench figures of a probe: ms per example of the target and of the input gradients on a seeded
 * random batch in the input range, after one warm-up call each. `batch`: the probe's own batch by
 * default, or a smaller one where a full batch takes minutes (SwiftShader WebGL/WebGPU).
 */
export async function timeProbe(probe: ModelProbe, opts: { reps?: number; batch?: number } = {}): Promise<ProbeTiming> {
  const reps = opts.reps ?? 3;
  const [h, w, c] = probe.inputShape;
  const B = Math.max(1, Math.floor(opts.batch ?? probe.maxBatch));
  const x = tf.randomUniform([B, h, w, c], probe.inputRange[0], probe.inputRange[1], 'float32', 1) as tf.Tensor4D;
  const time = async (f: () => tf.Tensor) => {
    const warm = f();
    await warm.data();
    warm.dispose();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) {
      const r = f();
      await r.data();
      r.dispose();
    }
    return (performance.now() - t0) / reps / B;
  };
  try {
    const forwardMs = await time(() => probe.target(x));
    const gradientMs = await time(() => probe.inputGradients(x));
    return { maxBatch: B, forwardMs, gradientMs, ratio: gradientMs / forwardMs };
  } finally {
    x.dispose();
  }
}
