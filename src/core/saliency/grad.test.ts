import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { vanillaGradient } from './grad';
import { countingProbe, linearProbe, seededValues } from './testing';
import { createRng } from './rng';

beforeAll(async () => { await tf.setBackend('cpu'); });

describe('grad on the analytic linear probe', () => {
  it('equals w exactly (signed), in one probe call', async () => {
    const shape: [number, number, number] = [3, 4, 2];
    const w = seededValues(24, 1);
    const { probe, calls } = countingProbe(linearProbe(w, shape, 0.3));
    const x = tf.tensor3d(seededValues(24, 2), shape);
    const out = await vanillaGradient(probe, x, {}, { rng: createRng(0) });
    x.dispose();
    expect(out.rawShape).toEqual(shape);
    expect(Array.from(out.raw)).toEqual(Array.from(w));
    expect(calls.inputGradients).toEqual([1]);
    expect(out.map.length).toBe(12);
    expect(out.width).toBe(4);
    expect(out.height).toBe(3);
  });
});
