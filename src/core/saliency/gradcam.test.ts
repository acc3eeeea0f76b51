import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { gradCam } from './gradcam';
import { createRng } from './rng';
import { createTfProbe } from '../model/probe';
import { validateManifest } from '../model/manifest';

beforeAll(async () => { await tf.setBackend('cpu'); });

/**
 * A hand-built net: 4x4x1 input -> conv 2x2 stride 2, two filters, linear (A: 2x2x2) -> global
 * average pooling -> dense 2 -> 1 with weights v. y = sum_k v_k mean_ij A_ijk, so dy/dA_ijk = v_k / 4
 * and w_k = v_k / 4 everywhere: cam = ReLU(sum_k v_k / 4 * A_k).
 */
describe('Grad-CAM on a hand-built conv net', () => {
  it('matches the map worked out by hand, upsampled 2x2 -> 4x4', async () => {
    const inp = tf.input({ shape: [4, 4, 1] });
    const conv = tf.layers.conv2d({ name: 'block1_conv', filters: 2, kernelSize: 2, strides: 2, useBias: false });
    const a = conv.apply(inp) as tf.SymbolicTensor;
    const g = tf.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(a) as tf.SymbolicTensor;
    const dense = tf.layers.dense({ name: 'logit', units: 1, useBias: true });
    const model = tf.model({ inputs: inp, outputs: dense.apply(g) as tf.SymbolicTensor });
    // Filter 0 sums the 2x2 patch; filter 1 takes its top-left pixel. Kernel [kh, kw, in, out].
    conv.setWeights([tf.tensor4d([1, 1, 1, 0, 1, 0, 1, 0], [2, 2, 1, 2])]);
    const v = [1, -2];
    dense.setWeights([tf.tensor2d(v, [2, 1]), tf.tensor1d([0.7])]);
    const X = [
      [1, 2, 0, 1],
      [3, 4, 1, 0],
      [0, 0, 5, 1],
      [2, 1, 0, 3],
    ];
    // Patch sums S and top-left pixels T per 2x2 block.
    const S = [[10, 2], [3, 9]];
    const T = [[1, 0], [0, 5]];
    // cam_ij = ReLU((1 * S_ij - 2 * T_ij) / 4) = [[2, 0.5], [0.75, 0]]; max 2 -> [[1, 0.25], [0.375, 0]].
    const cam = S.map((row, i) => row.map((s, j) => Math.max(0, (v[0] * s + v[1] * T[i][j]) / 4)));
    expect(cam).toEqual([[2, 0.5], [0.75, 0]]);
    const c = [[1, 0.25], [0.375, 0]];
    // 2 -> 4 on the half-pixel grid with mirrored borders: rows/cols mix [0.75, 0.25], [0.75, 0.25], [0.25, 0.75], [0.25, 0.75].
    const M = [[0.75, 0.25], [0.75, 0.25], [0.25, 0.75], [0.25, 0.75]];
    const want: number[] = [];
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let p = 0; p < 2; p++) for (let q = 0; q < 2; q++) s += M[i][p] * c[p][q] * M[j][q];
      want.push(s);
    }

    const manifest = validateManifest({ id: 'cam', input: { height: 4, width: 4, channels: 1 }, preprocessing: { scale: 2, offset: -1 }, output: { kind: 'logit', index: 0 } });
    const probe = createTfProbe(model, manifest);
    expect(probe.defaultLayer).toBe('block1_conv');
    const x = tf.tensor3d(X.flat(), [4, 4, 1]);
    const out = await gradCam(probe, x, {}, { rng: createRng(0) });
    x.dispose();
    expect(out.rawShape).toEqual([4, 4, 1]);
    want.forEach((w, i) => expect(out.raw[i]).toBeCloseTo(w, 5));
    expect((out.info as { camMax: number }).camMax).toBeCloseTo(2, 5);
    // Post-processed: in [0, 1], the top-left (largest) at 1.
    expect(Math.max(...out.map)).toBe(1);
    expect(Math.min(...out.map)).toBe(0);
    model.dispose();
  });
});
