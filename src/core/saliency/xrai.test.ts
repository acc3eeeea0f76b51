import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { maxOverChannels, xrai } from './xrai';
import { linearProbe } from './testing';
import { createRng } from './rng';

beforeAll(async () => { await tf.setBackend('cpu'); });

// A 40 x 40 one-channel image in [-1, 1]: a bright disc (value 0.9, radius 7 around (11, 12)),
// a dark square (-0.6, rows 24-35, columns 20-35) and a faint gradient elsewhere.
const H = 40, W = 40;
const inDisc = (y: number, x: number) => (y - 11) ** 2 + (x - 12) ** 2 <= 49;
const inSquare = (y: number, x: number) => y >= 24 && y <= 35 && x >= 20 && x <= 35;
function scene(): { x: Float32Array; w: Float32Array } {
  const x = new Float32Array(H * W);
  const w = new Float32Array(H * W);
  for (let y = 0; y < H; y++) for (let c = 0; c < W; c++) {
    const i = y * W + c;
    x[i] = inDisc(y, c) ? 0.9 : inSquare(y, c) ? -0.6 : 0.002 * (y + c);
    // The largest positive weights sit on the disc.
    w[i] = inDisc(y, c) ? 1 : 0.2;
  }
  return { x, w };
}

/**
 * The first region XRAI adds holds the largest value of the map. Every mask is dilated by 5 pixels,
 * so the first region may be a ring segment at the disc's edge rather than its core; it must still
 * lie on the disc: some of its pixels are disc pixels and none is further than 7 + 5 + 1 from the
 * disc's centre.
 */
function firstRegionIsOnTheDisc(raw: Float32Array, map: Float32Array): void {
  const max = Math.max(...raw);
  let onDisc = 0, far = 0;
  raw.forEach((v, i) => {
    if (v !== max) return;
    const y = Math.floor(i / W), x = i % W;
    if (inDisc(y, x)) onDisc++;
    if ((y - 11) ** 2 + (x - 12) ** 2 > 13 ** 2) far++;
    expect(map[i]).toBe(1);
  });
  expect(onDisc).toBeGreaterThan(0);
  expect(far).toBe(0);
}

describe('xrai on the analytic linear probe (target = sum(w * x))', () => {
  it('ranks the region holding the largest positive weights first', async () => {
    // For a linear model IG is exact: IG_b = (x - b) * w, so the mean over the baselines -1 and 1
    // is x * w: 0.9 on the disc, -0.12 on the square, about 0 elsewhere.
    const { x, w } = scene();
    const probe = linearProbe(w, [H, W, 1], 0, { inputRange: [-1, 1] });
    const xt = tf.tensor3d(x, [H, W, 1]);
    const before = tf.memory().numTensors;
    const out = await xrai(probe, xt, { steps: 4 }, { rng: createRng(1) });
    expect(tf.memory().numTensors).toBe(before);
    xt.dispose();
    expect(out.rawShape).toEqual([H, W, 1]);
    expect(out.raw.length).toBe(H * W);
    firstRegionIsOnTheDisc(out.raw, out.map);
    // Its gain is a mean of x * w over a dilated region around the disc: positive, at most 0.9.
    const max = Math.max(...out.raw);
    expect(max).toBeGreaterThan(0.2);
    expect(max).toBeLessThanOrEqual(0.9 + 1e-6);
    // The disc's centre outranks the background, which outranks the dark square (negative attribution).
    expect(out.raw[11 * W + 12]).toBeGreaterThan(out.raw[5 * W + 35]);
    expect(out.raw[30 * W + 28]).toBeLessThan(out.raw[5 * W + 35]);
    // Completeness of the mean attribution: sum(x * w).
    let sxw = 0;
    for (let i = 0; i < H * W; i++) sxw += x[i] * w[i];
    expect(out.info?.attributionSum as number).toBeCloseTo(sxw, 2);
    expect(out.info?.segments as number).toBeGreaterThan(6);
    for (const v of out.map) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
  });

  it('the fast variant and image baselines also put the disc first', async () => {
    const { x, w } = scene();
    const probe = linearProbe(w, [H, W, 1], 0, { inputRange: [-1, 1] });
    const xt = tf.tensor3d(x, [H, W, 1]);
    const out = await xrai(probe, xt, { steps: 2, algorithm: 'fast', baselines: 'image' }, { rng: createRng(1) });
    xt.dispose();
    firstRegionIsOnTheDisc(out.raw, out.map);
    expect(out.info?.baselines).toEqual([Math.fround(-0.6), Math.fround(0.9)]);
  });

  it('maxOverChannels reduces [H, W, C] by the channel maximum', () => {
    expect(Array.from(maxOverChannels(new Float32Array([1, -2, 3, -4, -5, -6]), 3))).toEqual([3, -4]);
  });
});
