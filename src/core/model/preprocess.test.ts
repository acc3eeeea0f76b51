import { describe, expect, it } from 'vitest';
import { resizeArea, preprocessImage } from './preprocess';

describe('resizeArea', () => {
  it('averages 2x2 blocks when halving', () => {
    const src = [1, 3, 5, 7, 2, 4, 6, 8, 0, 0, 10, 10, 0, 0, 10, 30];
    expect(Array.from(resizeArea(src, 4, 4, 2, 2))).toEqual([2.5, 6.5, 0, 15]);
  });
  it('weights fractional overlaps (3 -> 2)', () => {
    // Output pixel 0 covers [0, 1.5): 1*a + 0.5*b over 1.5.
    const out = resizeArea([3, 6, 9], 3, 1, 2, 1);
    expect(out[0]).toBeCloseTo((3 + 0.5 * 6) / 1.5, 6);
    expect(out[1]).toBeCloseTo((0.5 * 6 + 9) / 1.5, 6);
  });
  it('keeps a constant image constant', () => {
    const out = resizeArea(new Array(35).fill(7), 7, 5, 3, 2);
    for (const v of out) expect(v).toBeCloseTo(7, 5);
  });
});

describe('preprocessImage', () => {
  it('maps 8-bit pixels to [-1, 1] and repeats channels', () => {
    const img = { width: 2, height: 1, data: new Uint8Array([0, 255]) };
    const x = preprocessImage(img, { input: { height: 1, width: 2, channels: 3 }, preprocessing: { scale: 2, offset: -1 } });
    expect(Array.from(x)).toEqual([-1, -1, -1, 1, 1, 1]);
  });
});

describe('per-channel mean/std (torchvision models)', () => {
  it('replicates a grey pixel to 3 channels, then (v - mean[c]) / std[c] (hand-worked ImageNet values)', async () => {
    const { IMAGENET_PREPROCESSING, inputRangeOf, validateManifest } = await import('./manifest');
    const m = validateManifest({ id: 'x', input: { height: 1, width: 2, channels: 3 }, preprocessing: IMAGENET_PREPROCESSING, output: { kind: 'logit', index: 0 } });
    const out = preprocessImage({ width: 2, height: 1, data: new Uint8Array([0, 255]) } as never, m);
    // Black: -mean/std; white: (1 - mean)/std.
    const want = [-0.485 / 0.229, -0.456 / 0.224, -0.406 / 0.225, 0.515 / 0.229, 0.544 / 0.224, 0.594 / 0.225];
    want.forEach((v, i) => expect(out[i]).toBeCloseTo(v, 5));
    expect(m.inputRange[0]).toBeCloseTo(-0.485 / 0.229, 6);
    expect(m.inputRange[1]).toBeCloseTo(0.594 / 0.225, 6);
    expect(inputRangeOf({ scale: 2, offset: -1 }, 1)).toEqual([-1, 1]);
    expect(() => validateManifest({ ...m, preprocessing: { scale: 1, offset: 0, mean: [0.5, 0.5] } })).toThrow(/preprocessing\.mean" must be a list of 1 or 3 numbers/);
  });
});
