import * as tf from '@tensorflow/tfjs';

/**
 * A tf.layers model's files as a converter writes them, for fixtures of "a real user's model":
 *  - layout 'keras2': what tensorflowjs_converter --input_format keras writes for a Keras 2 .h5:
 *    modelTopology = {keras_version, backend: "tensorflow", model_config: {class_name: "Functional" (or
 *    "Sequential"), config}, training_config}, with extensionless shards `group1-shard1ofN`, and no manifest.json;
 *  - layout 'tfjs': what TF.js model.save writes: modelTopology = {class_name, config, ...}.
 * Returns file name -> bytes (pure: the caller writes them to a folder or hands them to a reader).
 */
export async function modelFolderFiles(model: tf.LayersModel, opts: { layout: 'keras2' | 'tfjs'; shards?: number; shardExtension?: string; kerasVersion?: string }): Promise<Map<string, Uint8Array>> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
  }));
  const a = artifacts! as tf.io.ModelArtifacts;
  const data = new Uint8Array(Array.isArray(a.weightData) ? await new Blob(a.weightData as ArrayBuffer[]).arrayBuffer() : (a.weightData as ArrayBuffer));
  const n = Math.max(1, opts.shards ?? 1);
  const ext = opts.shardExtension ?? '';
  const size = Math.ceil(data.byteLength / n);
  const files = new Map<string, Uint8Array>();
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `group1-shard${i + 1}of${n}${ext}`;
    paths.push(name);
    files.set(name, data.slice(i * size, Math.min(data.byteLength, (i + 1) * size)));
  }
  const topo = a.modelTopology as { class_name: string; config: unknown };
  const version = opts.kerasVersion ?? '2.13.1';
  const modelTopology = opts.layout === 'keras2'
    ? {
        keras_version: version,
        backend: 'tensorflow',
        model_config: { class_name: topo.class_name === 'Sequential' ? 'Sequential' : 'Functional', config: topo.config },
        training_config: { loss: 'binary_crossentropy', metrics: null, weighted_metrics: null, loss_weights: null, optimizer_config: { class_name: 'Adam', config: { name: 'Adam', learning_rate: 0.001 } } },
      }
    : topo;
  const modelJson = {
    format: 'layers-model',
    generatedBy: opts.layout === 'keras2' ? `keras v${version}` : 'TensorFlow.js tfjs-layers',
    convertedBy: opts.layout === 'keras2' ? 'TensorFlow.js Converter v4.22.0' : null,
    modelTopology,
    weightsManifest: [{ paths, weights: a.weightSpecs }],
  };
  files.set('model.json', new TextEncoder().encode(JSON.stringify(modelJson)));
  return files;
}
