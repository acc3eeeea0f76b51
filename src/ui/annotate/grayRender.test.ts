import { describe, expect, test } from 'vitest';
import { defaultWindow, renderGray } from './grayRender';
import { intensityOf } from '../../core/study/intensity';

/** The viewer at its default window shows the model's intensities: grey = floor(255 * y) of intensityOf. */
describe('viewer default window = model intensity function', () => {
  const cases = {
    'DICOM LINEAR window, MONOCHROME1': { width: 4, height: 2, pixels: Uint16Array.from([3, 250, 251, 400, 599, 600, 949, 1020]), window: { center: 600, width: 700, fn: 'LINEAR' as const, source: 'header' as const }, invert: true },
    'rescaled float, min-max': { width: 3, height: 1, pixels: Float32Array.from([-12.5, 0, 87.5]), window: { center: 37.5, width: 100, fn: 'LINEAR_EXACT' as const, source: 'min-max' as const } },
    'VOI LUT': { width: 4, height: 1, pixels: Uint16Array.from([0, 1, 2, 3]), window: { center: 1.5, width: 3, fn: 'LINEAR_EXACT' as const, source: 'min-max' as const }, voiLut: { firstMapped: 0, bits: 8, data: Uint16Array.from([0, 200, 100, 255]) } },
    '16-bit PNG': { width: 2, height: 1, pixels: Uint16Array.from([1000, 60000]) },
  };
  for (const [name, img] of Object.entries(cases)) {
    test(name, () => {
      const { data } = renderGray(img, defaultWindow(img), false);
      const { values } = intensityOf(img);
      for (let i = 0; i < values.length; i++) expect(Math.abs(data[4 * i] - 255 * values[i]), `pixel ${i}`).toBeLessThan(1.0001);
    });
  }
});
