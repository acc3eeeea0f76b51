import { describe, expect, test } from 'vitest';
import { intensityOf, windowValue, lutValue, defaultWindowOf } from './intensity';
import { modelInput } from '../model/preprocess';

/** Hand-worked cases of PS3.3 C.11.2.1.2 (LINEAR), C.11.2.1.3 (LINEAR_EXACT, SIGMOID) and C.11.2.1.1 (VOI LUT). */
describe('intensity transform', () => {
  test('LINEAR window c=600, w=700: 0 at or below 250, 1 above 949.5, (x - 599.5)/699 + 0.5 between', () => {
    const w = { center: 600, width: 700 };
    expect(windowValue(250, w)).toBe(0);
    expect(windowValue(251, w)).toBeCloseTo((251 - 599.5) / 699 + 0.5, 12);
    expect(windowValue(599.5, w)).toBe(0.5);
    expect(windowValue(949, w)).toBeCloseTo((949 - 599.5) / 699 + 0.5, 12);
    expect(windowValue(950, w)).toBe(1);
  });
  test('LINEAR_EXACT and SIGMOID', () => {
    expect(windowValue(25, { center: 50, width: 100, fn: 'LINEAR_EXACT' })).toBe(0.25);
    expect(windowValue(50, { center: 50, width: 100, fn: 'SIGMOID' })).toBe(0.5);
    expect(windowValue(75, { center: 50, width: 100, fn: 'SIGMOID' })).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
  });
  test('VOI LUT: below the first mapped value entry 0, beyond the table the last entry, / (2^bits - 1)', () => {
    const lut = { firstMapped: 10, bits: 8, data: Uint16Array.from([0, 51, 255]) };
    expect([lutValue(3, lut), lutValue(10, lut), lutValue(11, lut), lutValue(12, lut), lutValue(99, lut)]).toEqual([0, 0, 0.2, 1, 1]);
  });
  test('PNG/JPEG: value / (2^bits - 1); MONOCHROME1 inverts after the VOI', () => {
    expect(Array.from(intensityOf({ pixels: Uint8Array.from([0, 51, 255]) }).values)).toEqual([0, Math.fround(0.2), 1]);
    expect(Array.from(intensityOf({ pixels: Uint16Array.from([0, 13107, 65535]) }).values)).toEqual([0, Math.fround(0.2), 1]);
    const y = intensityOf({ pixels: Float32Array.from([0, 25, 100]), window: { center: 50, width: 100, fn: 'LINEAR_EXACT', source: 'min-max' }, invert: true });
    expect(Array.from(y.values)).toEqual([1, 0.75, 0]);
    expect(y.intensity).toEqual({ source: 'min-max', center: 50, width: 100, fn: 'LINEAR_EXACT', invert: true });
  });
  test('the old bug: a 10-bit image in 16-bit storage is not divided by 65535 (its full 10-bit range reaches [-1, 1])', () => {
    // Stored 0..1023 with a header window covering it: the model sees the full input range, not -1..-0.97.
    const pixels = Uint16Array.from([0, 1023]);
    const { x } = modelInput({ width: 2, height: 1, data: pixels, window: { center: 512, width: 1024 } }, { input: { height: 1, width: 2, channels: 1 }, preprocessing: { scale: 2, offset: -1 } });
    expect(x[0]).toBeCloseTo(-1, 6);
    expect(x[1]).toBeCloseTo(1, 6);
  });
  test('default windows by pixel type', () => {
    expect(defaultWindowOf({ pixels: new Uint8Array(1) })).toMatchObject({ center: 127.5, width: 255, fn: 'LINEAR_EXACT' });
    expect(defaultWindowOf({ pixels: new Uint16Array(1) })).toMatchObject({ center: 32767.5, width: 65535, fn: 'LINEAR_EXACT' });
  });
});
