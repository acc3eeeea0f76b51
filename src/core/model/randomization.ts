import * as tf from '@tensorflow/tfjs';
import { ModelError } from './manifest';
import { deriveSeed } from '../saliency/rng';

/**
 * Cascading weight randomization (SPEC section 5.2, Adebayo et al.'s sanity check), as a model
 * transformation. Weighted layers are grouped into blocks by the name prefix before the first
 * underscore (`stem_conv`, `dense2_bn` -> `stem`, `dense2`; `logit` is its own block), ordered from
 * the output back to the input. Step s re-initialises blocks 0..s of a COPY of the model:
 * conv/dense weights with the layer's own initializer (seeded per layer and weight, so step s+1
 * re-draws exactly the same values for blocks 0..s plus the next block), batch norm gamma 1,
 * beta 0, moving mean 0, moving variance 1. The trained model is never touched.
 *
 * Fallback to one step per weighted layer when the names do not describe blocks: TF.js's automatic
 * names (`conv2d_Conv2D1`), or a prefix that appears in two places that are not next to each other.
 */
export interface CascadeStep {
  step: number;
  block: string;
  layers: string[];
}

type Initializer = { apply(shape: number[], dtype?: tf.DataType): tf.Tensor };
type InitConfig = { className?: string; config?: Record<string, unknown> };

function isAutoName(layer: tf.layers.Layer): boolean {
  return new RegExp(`_${layer.getClassName()}\\d+$`).test(layer.name);
}

function weightedLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l.weights.length > 0);
}

/** The cascade's steps, from the output back to the input. */
export function cascadeSteps(model: tf.LayersModel): CascadeStep[] {
  const layers = weightedLayers(model).reverse();
  const blockOf = (l: tf.layers.Layer) => {
    const i = l.name.indexOf('_');
    return i > 0 ? l.name.slice(0, i) : l.name;
  };
  const grouped: CascadeStep[] = [];
  let fallback = layers.some(isAutoName);
  for (const l of layers) {
    if (fallback) break;
    const b = blockOf(l);
    const last = grouped[grouped.length - 1];
    if (last && last.block === b) last.layers.push(l.name);
    else if (grouped.some((g) => g.block === b)) fallback = true;
    else grouped.push({ step: grouped.length, block: b, layers: [l.name] });
  }
  if (!fallback) return grouped;
  return layers.map((l, i) => ({ step: i, block: l.name, layers: [l.name] }));
}

const FACTORIES: Record<string, (c: Record<string, unknown>) => Initializer> = {
  Zeros: () => tf.initializers.zeros(),
  Ones: () => tf.initializers.ones(),
  Constant: (c) => tf.initializers.constant(c as { value: number }),
  RandomNormal: (c) => tf.initializers.randomNormal(c),
  RandomUniform: (c) => tf.initializers.randomUniform(c),
  TruncatedNormal: (c) => tf.initializers.truncatedNormal(c),
  VarianceScaling: (c) => tf.initializers.varianceScaling(c),
  GlorotUniform: (c) => tf.initializers.glorotUniform(c),
  GlorotNormal: (c) => tf.initializers.glorotNormal(c),
  HeNormal: (c) => tf.initializers.heNormal(c),
  HeUniform: (c) => tf.initializers.heUniform(c),
  LeCunNormal: (c) => tf.initializers.leCunNormal(c),
  LeCunUniform: (c) => tf.initializers.leCunUniform(c),
  Orthogonal: (c) => tf.initializers.orthogonal(c),
  Identity: (c) => tf.initializers.identity(c as { gain?: number }),
};

/** Weight kind ('kernel', 'bias', 'gamma', ...) -> the layer config key of its initializer. */
const INIT_KEYS: Record<string, string> = {
  kernel: 'kernelInitializer',
  bias: 'biasInitializer',
  depthwise_kernel: 'depthwiseInitializer',
  pointwise_kernel: 'pointwiseInitializer',
  embeddings: 'embeddingsInitializer',
  recurrent_kernel: 'recurrentInitializer',
};

const BATCH_NORM: Record<string, number> = { gamma: 1, beta: 0, moving_mean: 0, moving_variance: 1 };

function weightKind(w: tf.LayerVariable): string {
  const name = (w as unknown as { originalName?: string }).originalName ?? w.name;
  return name.split('/').pop()!.replace(/_\d+$/, '');
}

/** Fresh values for one layer's weights, in layer.weights order. */
function freshWeights(layer: tf.layers.Layer, seed: number): tf.Tensor[] {
  const cls = layer.getClassName();
  const config = layer.getConfig() as Record<string, unknown>;
  return layer.weights.map((w) => {
    const kind = weightKind(w);
    const shape = w.shape as number[];
    if (cls === 'BatchNormalization') {
      const v = BATCH_NORM[kind];
      if (v === undefined) throw new ModelError('MODEL_RANDOMIZE', `layer "${layer.name}": unknown batch-norm weight "${kind}"`);
      return tf.fill(shape, v);
    }
    const key = INIT_KEYS[kind] ?? `${kind.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())}Initializer`;
    const init = config[key] as InitConfig | string | undefined;
    const className = typeof init === 'string' ? init.charAt(0).toUpperCase() + init.slice(1) : init?.className;
    const factory = className ? FACTORIES[className] : undefined;
    if (!factory) {
      throw new ModelError(
        'MODEL_RANDOMIZE',
        `layer "${layer.name}" (${cls}): weight "${kind}" has initializer ${className ?? 'none'} (config key ${key}), which cascading randomization does not know; ` +
          `known: ${Object.keys(FACTORIES).join(', ')}`,
      );
    }
    const cfg = { ...((typeof init === 'object' && init?.config) || {}), seed: deriveSeed(seed, `${layer.name}/${kind}`) };
    return factory(cfg).apply(shape, w.dtype);
  });
}

/** A copy of the model (same architecture and weights), independent of the original's variables. */
export function cloneModel(model: tf.LayersModel): tf.LayersModel {
  const cls = model.constructor as unknown as {
    fromConfig(cls: unknown, config: unknown, customObjects?: unknown, fastWeightInit?: boolean): tf.LayersModel;
  };
  const copy = cls.fromConfig(model.constructor, model.getConfig(), {}, true);
  for (const l of model.layers) {
    if (l.weights.length) copy.getLayer(l.name).setWeights(l.getWeights());
  }
  return copy;
}

/**
 * A NEW model whose blocks 0..upToStep (cascadeSteps order) are re-initialised; -1 gives an
 * untouched copy. Deterministic for (model, upToStep, seed).
 */
export function randomizeCascade(model: tf.LayersModel, upToStep: number, seed: number): tf.LayersModel {
  const steps = cascadeSteps(model);
  if (!Number.isInteger(upToStep) || upToStep < -1 || upToStep >= steps.length) {
    throw new ModelError('BAD_INPUT_RANDOMIZATION_STEP', `randomization step ${upToStep} is out of range: this model has steps 0..${steps.length - 1} (${steps.map((s) => s.block).join(', ')}), or -1 for none`);
  }
  const copy = cloneModel(model);
  for (const s of steps.slice(0, upToStep + 1)) {
    for (const name of s.layers) {
      const layer = copy.getLayer(name);
      const fresh = freshWeights(layer, seed);
      layer.setWeights(fresh);
      tf.dispose(fresh);
    }
  }
  return copy;
}
