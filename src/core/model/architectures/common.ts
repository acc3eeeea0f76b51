import * as tf from '@tensorflow/tfjs';

/**
 * Shared pieces of the tf.layers architectures. Layer names carry their block before the first
 * underscore (`stem_conv1`, `dense2_l3_conv2`, `mixed4_b7_2_bn`, `head_relu`), so cascading
 * randomization can re-initialise one block at a time by that prefix; the output Dense is `logit`.
 *
 * The same graph is rebuilt in PyTorch by scripts/demo_models_torch.py from this model's JSON
 * topology, so only layer kinds that script understands are used here: InputLayer, Conv2D,
 * BatchNormalization, Activation(relu), ZeroPadding2D, MaxPooling2D, AveragePooling2D,
 * Concatenate, GlobalAveragePooling2D, Dense.
 */
export type Tensor = tf.SymbolicTensor;
type Initializer = ReturnType<typeof tf.initializers.glorotUniform>;

/** BatchNorm settings used by every architecture here and mirrored in the torch script. */
export const BN_EPSILON = 1e-3;
export const BN_MOMENTUM = 0.99;

/** Deterministic initializers: one seed per weighted layer, derived from the model seed and a counter. */
export class Seeds {
  private n = 0;
  constructor(private readonly base: number) {}
  next(): number {
    this.n += 1;
    return (this.base * 1009 + this.n * 7919) % 2147483647;
  }
  glorot(): Initializer {
    return tf.initializers.glorotUniform({ seed: this.next() });
  }
  heNormal(): Initializer {
    return tf.initializers.heNormal({ seed: this.next() });
  }
}

export interface ConvSpec {
  filters: number;
  kernel: number | [number, number];
  strides?: number;
  padding?: 'same' | 'valid';
}

export function conv(x: Tensor, name: string, s: ConvSpec, seeds: Seeds, useBias = false): Tensor {
  return tf.layers.conv2d({
    name,
    filters: s.filters,
    kernelSize: s.kernel,
    strides: s.strides ?? 1,
    padding: s.padding ?? 'same',
    useBias,
    kernelInitializer: seeds.heNormal(),
  }).apply(x) as Tensor;
}

export function bn(x: Tensor, name: string, scale = true): Tensor {
  return tf.layers.batchNormalization({ name, axis: -1, epsilon: BN_EPSILON, momentum: BN_MOMENTUM, scale }).apply(x) as Tensor;
}

export function relu(x: Tensor, name: string): Tensor {
  return tf.layers.activation({ name, activation: 'relu' }).apply(x) as Tensor;
}

/** Global average pooling and the single linear `logit` unit (abnormal logit; probability = sigmoid). */
export function head(x: Tensor, seeds: Seeds, units = 1): Tensor {
  const g = tf.layers.globalAveragePooling2d({ name: 'head_gap' }).apply(x) as Tensor;
  return tf.layers.dense({ name: 'logit', units, activation: 'linear', kernelInitializer: seeds.glorot() }).apply(g) as Tensor;
}

/** What the registry knows about an architecture beside the model itself. */
export interface ArchitectureInfo {
  name: string;
  family: 'densenet' | 'inception';
  inputShape: [number, number, number];
  /** The last 4-D output before global pooling (Grad-CAM's layer). */
  gradcamLayer: string;
}
