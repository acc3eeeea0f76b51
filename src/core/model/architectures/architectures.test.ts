import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../../platform/node/backend';
import { ARCHITECTURE_NAMES, architectureInfo, blockOf, buildArchitecture } from './index';

beforeAll(async () => {
  await initNodeBackend('wasm');
});

/**
 * DenseNet-BC parameter count worked out independently of the builder: every conv without bias,
 * every batch norm with 4 numbers per channel (gamma, beta, moving mean, moving variance), as
 * Keras and TF.js count them.
 */
function densenetParams(growth: number, blocks: number[], init: number, inChannels: number, stemK: number, classes: number): number {
  let p = stemK * stemK * inChannels * init + 4 * init;
  let c = init;
  blocks.forEach((n, b) => {
    for (let i = 0; i < n; i++) {
      p += 4 * c + c * 4 * growth; // BN1, 1x1 conv to 4k
      p += 4 * 4 * growth + 9 * 4 * growth * growth; // BN2, 3x3 conv to k
      c += growth;
    }
    if (b < blocks.length - 1) {
      p += 4 * c + c * Math.floor(c / 2);
      c = Math.floor(c / 2);
    }
  });
  p += 4 * c; // final BN
  return p + c * classes + classes;
}

describe('architectures', () => {
  it('densenet121 has the DenseNet-121 parameter count (Keras/paper: 7,037,504 without the classifier; 1024 + 1 more with the logit head)', () => {
    const m = buildArchitecture('densenet121');
    const formula = densenetParams(32, [6, 12, 24, 16], 64, 3, 7, 1);
    expect(formula).toBe(7_037_504 + 1024 + 1);
    expect(m.countParams()).toBe(formula);
    expect(m.inputs[0].shape).toEqual([null, 224, 224, 3]);
    expect(m.getLayer('head_relu').outputShape).toEqual([null, 7, 7, 1024]);
    expect(m.outputs[0].shape).toEqual([null, 1]);
    m.dispose();
  });

  it('inceptionv3 has the reference module output shapes at 299x299x3', () => {
    const m = buildArchitecture('inceptionv3');
    const shape = (n: string) => m.getLayer(n).outputShape;
    // Szegedy et al. 2016, Table 1 / Keras InceptionV3: 35x35x288 after the A modules, 17x17x768, 8x8x1280, 8x8x2048.
    expect(shape('stem_pool7')).toEqual([null, 35, 35, 192]);
    expect(shape('mixed0_concat')).toEqual([null, 35, 35, 256]);
    expect(shape('mixed2_concat')).toEqual([null, 35, 35, 288]);
    expect(shape('mixed3_concat')).toEqual([null, 17, 17, 768]);
    expect(shape('mixed7_concat')).toEqual([null, 17, 17, 768]);
    expect(shape('mixed8_concat')).toEqual([null, 8, 8, 1280]);
    expect(shape('mixed10_concat')).toEqual([null, 8, 8, 2048]);
    expect(architectureInfo('inceptionv3').gradcamLayer).toBe('mixed10_concat');
    expect(m.outputs[0].shape).toEqual([null, 1]);
    m.dispose();
  });

  it('compact models build, run at batch 2, and name every layer with a block prefix', () => {
    for (const name of ['densenet-compact', 'inception-compact']) {
      const info = architectureInfo(name);
      expect(info.inputShape).toEqual([128, 128, 1]);
      const m = buildArchitecture(name, { seed: 3 });
      const out = tf.tidy(() => (m.predict(tf.ones([2, 128, 128, 1])) as tf.Tensor).arraySync() as number[][]);
      expect(out.length).toBe(2);
      expect(Number.isFinite(out[0][0])).toBe(true);
      const cam = m.getLayer(info.gradcamLayer).outputShape as number[];
      expect(cam.length).toBe(4);
      expect(m.getLayer('logit').getConfig().activation).toBe('linear');
      const blocks = new Set(m.layers.filter((l) => l.countParams() > 0).map((l) => blockOf(l.name)));
      expect(blocks.has('stem') && blocks.has('logit')).toBe(true);
      expect(blocks.size).toBeGreaterThan(4);
      m.dispose();
    }
    expect(ARCHITECTURE_NAMES.sort()).toEqual(['densenet-compact', 'densenet121', 'inception-compact', 'inceptionv3']);
  });

  it('the same seed gives the same weights; another seed different ones', () => {
    const w = (seed: number) => {
      const m = buildArchitecture('densenet-compact', { seed });
      const v = Array.from(m.getLayer('stem_conv').getWeights()[0].dataSync().slice(0, 8));
      m.dispose();
      return v;
    };
    expect(w(5)).toEqual(w(5));
    expect(w(5)).not.toEqual(w(6));
  });

  it('unknown names fail with a code', () => {
    expect(() => buildArchitecture('resnet50')).toThrow(/unknown architecture "resnet50"/);
  });
});
