import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A tiny TF.js model folder (conv, global pooling, one logit; seeded weights) with the given input
 * shape and the [-1, 1] preprocessing (scale 2, offset -1), written as DIR/ID. For tests that need
 * a model's input (`heatcheck inputs`) more than its outputs.
 */
export async function tinyModel(dir: string, id: string, h: number, w: number, c: number): Promise<string> {
  const inp = tf.input({ shape: [h, w, c] });
  let x = tf.layers.conv2d({ name: 'stem_conv', filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(inp) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'head_gap' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: inp, outputs: tf.layers.dense({ name: 'logit', units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(x) as tf.SymbolicTensor });
  const md = path.join(dir, id);
  await saveModelFolder(model, md, { id, architecture: 'tiny', family: 'tiny', input: { height: h, width: w, channels: c }, preprocessing: { scale: 2, offset: -1 }, inputRange: [-1, 1], output: { kind: 'logit', index: 0 } });
  model.dispose();
  return md;
}

/** Writes a LayersModel as a model folder (model.json, one weights.bin shard, manifest.json) at `dir`. */
export async function saveModelFolder(model: tf.LayersModel, dir: string, manifest: object): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (a) => {
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] }));
    writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
}
