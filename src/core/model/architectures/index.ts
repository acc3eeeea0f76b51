import type * as tf from '@tensorflow/tfjs';
import type { ArchitectureInfo } from './common';
import { DENSENET121, DENSENET_COMPACT, DENSENET_GRADCAM_LAYER, buildDenseNet, type DenseNetConfig } from './densenet';
import { INCEPTION_COMPACT, INCEPTION_V3, buildInception, inceptionGradcamLayer, type InceptionConfig } from './inception';

export type { ArchitectureInfo } from './common';
export { BN_EPSILON, BN_MOMENTUM } from './common';

type Entry =
  | { family: 'densenet'; config: DenseNetConfig }
  | { family: 'inception'; config: InceptionConfig };

/** The architectures by name. The compact ones are the demo models' (single channel, 128 px). */
const REGISTRY: Record<string, Entry> = {
  densenet121: { family: 'densenet', config: DENSENET121 },
  'densenet-compact': { family: 'densenet', config: DENSENET_COMPACT },
  inceptionv3: { family: 'inception', config: INCEPTION_V3 },
  'inception-compact': { family: 'inception', config: INCEPTION_COMPACT },
};

export const ARCHITECTURE_NAMES = Object.keys(REGISTRY);

export class ArchitectureError extends Error {
  readonly code = 'BAD_INPUT_ARCHITECTURE';
  constructor(message: string) {
    super(message);
    this.name = 'ArchitectureError';
  }
}

function entry(name: string): Entry {
  const e = REGISTRY[name];
  if (!e) throw new ArchitectureError(`unknown architecture "${name}"; expected one of ${ARCHITECTURE_NAMES.join(', ')}`);
  return e;
}

export function architectureInfo(name: string, opts: { inputShape?: [number, number, number] } = {}): ArchitectureInfo {
  const e = entry(name);
  return {
    name,
    family: e.family,
    inputShape: opts.inputShape ?? e.config.inputShape,
    gradcamLayer: e.family === 'densenet' ? DENSENET_GRADCAM_LAYER : inceptionGradcamLayer(e.config),
  };
}

/**
 * Builds a fresh, seeded tf.layers model by name: 'densenet121' (224x224x3), 'inceptionv3'
 * (299x299x3), 'densenet-compact', 'inception-compact' (128x128x1). The output is one linear unit
 * named `logit`. Layer names carry their block before the first underscore.
 */
export function buildArchitecture(name: string, opts: { inputShape?: [number, number, number]; seed?: number; modelName?: string } = {}): tf.LayersModel {
  const e = entry(name);
  const modelName = opts.modelName ?? name;
  if (e.family === 'densenet') return buildDenseNet(modelName, { ...e.config, inputShape: opts.inputShape ?? e.config.inputShape }, opts.seed ?? 0);
  return buildInception(modelName, { ...e.config, inputShape: opts.inputShape ?? e.config.inputShape }, opts.seed ?? 0);
}

/** The block of a layer: its name up to the first underscore (`dense2_l3_conv1` -> `dense2`). */
export function blockOf(layerName: string): string {
  const i = layerName.indexOf('_');
  return i < 0 ? layerName : layerName.slice(0, i);
}
