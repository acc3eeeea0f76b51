/**
 * manifest.json beside a TF.js LayersModel (public/models/<id>/manifest.json, or written by the
 * model import form). It says how to feed the model and which output means "abnormal".
 */
export interface ModelManifest {
  id: string;
  name?: string;
  /** Architecture name, e.g. 'densenet-compact', 'inception-compact', 'densenet121', 'inceptionv3'. */
  architecture: string;
  /** Family for reproducibility pairing: models of one family and different seeds test repeatability. */
  family: string;
  seed?: number;
  input: { height: number; width: number; channels: number };
  /**
   * Input space: x = (pixel / maxPixel) * scale + offset, after resizing the image to the input
   * size with preprocessImage (area average). The demo models: scale 2, offset -1, so x in [-1, 1].
   */
  preprocessing: {
    scale: number;
    offset: number;
    /**
     * Per-channel normalisation after scale and offset, as torchvision models expect:
     * x_c = (v * scale + offset - mean[c]) / std[c] (one value, or one per input channel).
     * ImageNet: scale 1, offset 0, mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225].
     */
    mean?: number[];
    std?: number[];
  };
  /** [min, max] of the input space (black and white baselines). */
  inputRange: [number, number];
  /** Which output is "abnormal": a single logit or sigmoid unit (index 0), or a softmax index. */
  output: {
    kind: 'logit' | 'sigmoid' | 'softmax';
    index: number;
    /**
     * 'predicted': explain the class the model predicts for each image (a softmax model imported
     * without a chosen class); `index` is then only the fallback where one class must be fixed.
     */
    explain?: 'predicted';
  };
  /** Layer name for Grad-CAM (default: the last layer with a spatial output larger than 1x1 that cuts the model; see topology.ts). */
  gradcamLayer?: string;
  training?: { setSeed: number; setSize: number; epochs?: number; seconds?: number; framework?: string };
  heldOutTest?: { seed: number; size: number; auroc: number };
  /** sha256 of the concatenated weight shards, hex. */
  weightsSha256: string;
  [extra: string]: unknown;
}

export class ModelError extends Error {
  constructor(public readonly code: string, message: string) {
    super(message);
    this.name = 'ModelError';
  }
}

/** Checks a manifest's fields; throws ModelError naming the file and the field. */
export function validateManifest(m: unknown, file = 'manifest.json'): ModelManifest {
  const o = m as Partial<ModelManifest>;
  const fail = (what: string) => { throw new ModelError('BAD_INPUT_MANIFEST', `${file}: ${what}`); };
  if (!o || typeof o !== 'object') fail('is not a JSON object');
  if (typeof o.id !== 'string' || !o.id) fail('needs "id" (a string)');
  if (!o.input || ![o.input.height, o.input.width, o.input.channels].every((v) => Number.isInteger(v) && (v as number) > 0)) fail('needs "input": {height, width, channels} as positive integers');
  if (!o.preprocessing || typeof o.preprocessing.scale !== 'number' || typeof o.preprocessing.offset !== 'number') fail('needs "preprocessing": {scale, offset} as numbers');
  if (!o.output || !['logit', 'sigmoid', 'softmax'].includes(o.output.kind as string) || !Number.isInteger(o.output.index)) fail('needs "output": {kind: "logit" | "sigmoid" | "softmax", index}');
  const pre = o.preprocessing!;
  for (const k of ['mean', 'std'] as const) {
    const v = pre[k];
    if (v === undefined) continue;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x)) || (v.length !== 1 && v.length !== o.input!.channels)) fail(`"preprocessing.${k}" must be a list of 1 or ${o.input!.channels} numbers (one per input channel)`);
    if (k === 'std' && v.some((x) => x <= 0)) fail('"preprocessing.std" values must be positive');
  }
  const range = o.inputRange ?? inputRangeOf(pre, o.input!.channels);
  return { family: o.architecture ?? 'unknown', architecture: o.architecture ?? 'unknown', weightsSha256: o.weightsSha256 ?? '', ...o, inputRange: range } as ModelManifest;
}

/** The ImageNet normalisation torchvision models are trained with (pixels in [0, 1], then per channel). */
export const IMAGENET_PREPROCESSING = { scale: 1, offset: 0, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/**
 * [min, max] of the input space for pixels in [0, 1]. With per-channel mean/std the black and white
 * images differ per channel; the range spans all channels (the lowest black, the highest white).
 */
export function inputRangeOf(p: ModelManifest['preprocessing'], channels: number): [number, number] {
  const lo = Math.min(p.offset, p.offset + p.scale), hi = Math.max(p.offset, p.offset + p.scale);
  if (!p.mean && !p.std) return [lo, hi];
  const at = (a: number[] | undefined, c: number, d: number) => (a ? a[a.length === 1 ? 0 : c] : d);
  const ends = Array.from({ length: channels }, (_, c) => [(lo - at(p.mean, c, 0)) / at(p.std, c, 1), (hi - at(p.mean, c, 0)) / at(p.std, c, 1)]);
  return [Math.min(...ends.map((e) => e[0])), Math.max(...ends.map((e) => e[1]))];
}
