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
  preprocessing: { scale: number; offset: number };
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
  const range = o.inputRange ?? [o.preprocessing!.offset, o.preprocessing!.offset + o.preprocessing!.scale];
  return { family: o.architecture ?? 'unknown', architecture: o.architecture ?? 'unknown', weightsSha256: o.weightsSha256 ?? '', ...o, inputRange: range } as ModelManifest;
}
