import * as tf from '@tensorflow/tfjs';
import { Seeds, bn, conv, head, relu, type Tensor } from './common';

/**
 * DenseNet (Huang et al. 2017), DenseNet-BC: dense layers BN-ReLU-Conv1x1(bottleneck * growth)-
 * BN-ReLU-Conv3x3(growth) whose output is concatenated to their input; transitions BN-ReLU-
 * Conv1x1(compression * channels)-AvgPool 2x2/2; final BN-ReLU, global average pooling, `logit`.
 * Layer names: stem_*, dense<b>_l<i>_*, trans<b>_*, head_*, logit.
 */
export interface DenseNetConfig {
  growth: number;
  blocks: number[];
  initFeatures: number;
  bottleneck: number;
  compression: number;
  /** 'imagenet': ZeroPad 3, Conv 7x7/2, BN-ReLU, ZeroPad 1, MaxPool 3x3/2 (Keras' DenseNet121). 'compact': Conv 3x3/2 'same' then the same BN-ReLU-pad-pool. */
  stem: 'imagenet' | 'compact';
  inputShape: [number, number, number];
  /** Units of the head (1: the abnormal logit). */
  classes?: number;
}

export const DENSENET121: DenseNetConfig = {
  growth: 32, blocks: [6, 12, 24, 16], initFeatures: 64, bottleneck: 4, compression: 0.5, stem: 'imagenet', inputShape: [224, 224, 3],
};

/** Demo configuration: 128x128x1, 3 blocks of 6 layers, growth 16: Grad-CAM grid 8x8. */
export const DENSENET_COMPACT: DenseNetConfig = {
  growth: 16, blocks: [6, 6, 6], initFeatures: 32, bottleneck: 4, compression: 0.5, stem: 'compact', inputShape: [128, 128, 1],
};

export const DENSENET_GRADCAM_LAYER = 'head_relu';

export function buildDenseNet(name: string, cfg: DenseNetConfig, seed = 0): tf.LayersModel {
  const seeds = new Seeds(seed);
  const input = tf.input({ shape: cfg.inputShape, name: 'input' });
  let x: Tensor;
  if (cfg.stem === 'imagenet') {
    x = tf.layers.zeroPadding2d({ name: 'stem_pad1', padding: 3 }).apply(input) as Tensor;
    x = conv(x, 'stem_conv', { filters: cfg.initFeatures, kernel: 7, strides: 2, padding: 'valid' }, seeds);
  } else {
    x = conv(input, 'stem_conv', { filters: cfg.initFeatures, kernel: 3, strides: 2, padding: 'same' }, seeds);
  }
  x = bn(x, 'stem_bn');
  x = relu(x, 'stem_relu');
  x = tf.layers.zeroPadding2d({ name: 'stem_pad2', padding: 1 }).apply(x) as Tensor;
  x = tf.layers.maxPooling2d({ name: 'stem_pool', poolSize: 3, strides: 2, padding: 'valid' }).apply(x) as Tensor;
  let channels = cfg.initFeatures;
  cfg.blocks.forEach((layers, bi) => {
    const b = bi + 1;
    for (let i = 1; i <= layers; i++) {
      const p = `dense${b}_l${i}`;
      let y = relu(bn(x, `${p}_bn1`), `${p}_relu1`);
      y = conv(y, `${p}_conv1`, { filters: cfg.bottleneck * cfg.growth, kernel: 1 }, seeds);
      y = relu(bn(y, `${p}_bn2`), `${p}_relu2`);
      y = conv(y, `${p}_conv2`, { filters: cfg.growth, kernel: 3, padding: 'same' }, seeds);
      x = tf.layers.concatenate({ name: `${p}_concat`, axis: -1 }).apply([x, y]) as Tensor;
      channels += cfg.growth;
    }
    if (bi < cfg.blocks.length - 1) {
      const p = `trans${b}`;
      channels = Math.floor(channels * cfg.compression);
      x = relu(bn(x, `${p}_bn`), `${p}_relu`);
      x = conv(x, `${p}_conv`, { filters: channels, kernel: 1 }, seeds);
      x = tf.layers.averagePooling2d({ name: `${p}_pool`, poolSize: 2, strides: 2, padding: 'valid' }).apply(x) as Tensor;
    }
  });
  x = relu(bn(x, 'head_bn'), DENSENET_GRADCAM_LAYER);
  const out = head(x, seeds, cfg.classes ?? 1);
  return tf.model({ name, inputs: input, outputs: out });
}
