import * as tf from '@tensorflow/tfjs';
import type { MethodContext, ModelProbe, SaliencyOutput } from './types';
import { getMethod, isSeeded, PRESET_LABELS, resolveParams, type PresetId } from './registry';
import { createRng } from './rng';

/**
 * One saliency map for one input, as the worker and the CLI run it: resolve the preset and
 * parameters, run the method with a seeded generator, time it, read the target at the input.
 * The input is [H, W, C] in the model's input space (preprocessImage's output).
 */
export interface SaliencyRunRequest {
  method: string;
  preset?: PresetId;
  /** Overrides of the preset's parameters (keys the method knows). */
  params?: Record<string, unknown>;
  seed?: number;
}

export interface SaliencyRun {
  output: SaliencyOutput;
  method: string;
  preset: PresetId;
  presetLabel: string;
  params: Record<string, unknown>;
  seed: number;
  /** Whether the method drew from the seed. */
  seeded: boolean;
  backend: string;
  /** Wall time of the method (not of the target read). */
  ms: number;
  /** The probe's target at the input (the abnormal logit unless the probe targets the probability). */
  targetLogit: number;
  /** IG family: the target at each baseline, by baseline name. */
  baselineLogits?: Record<string, number>;
}

/** The target at one input [H, W, C]. */
export async function targetAt(probe: ModelProbe, x: tf.Tensor3D): Promise<number> {
  const t = tf.tidy(() => probe.target(x.expandDims(0) as tf.Tensor4D));
  try {
    return (await t.data())[0];
  } finally {
    t.dispose();
  }
}

export async function runSaliency(
  probe: ModelProbe,
  input: Float32Array | tf.Tensor3D,
  req: SaliencyRunRequest,
  ctx: Omit<MethodContext, 'rng'> = {},
  known?: { targetLogit?: number },
): Promise<SaliencyRun> {
  const m = getMethod(req.method);
  const preset = req.preset ?? 'paper';
  const params = resolveParams(req.method, preset, req.params ?? {});
  const seed = req.seed ?? 0;
  const [h, w, c] = probe.inputShape;
  const x = input instanceof tf.Tensor ? input : tf.tensor3d(input, [h, w, c]);
  try {
    const t0 = performance.now();
    const output = await m.fn(probe, x, params, { ...ctx, rng: createRng(seed) });
    const ms = performance.now() - t0;
    const info = output.info ?? {};
    const fromInfo = typeof info.targetAtInput === 'number' ? info.targetAtInput : undefined;
    const targetLogit = known?.targetLogit ?? fromInfo ?? (await targetAt(probe, x));
    const baselineLogits = info.targetAtBaselines as Record<string, number> | undefined;
    return {
      output,
      method: m.id,
      preset,
      presetLabel: PRESET_LABELS[preset],
      params,
      seed,
      seeded: isSeeded(m),
      backend: tf.getBackend(),
      ms,
      targetLogit,
      ...(baselineLogits ? { baselineLogits } : {}),
    };
  } finally {
    if (x !== input) x.dispose();
  }
}
