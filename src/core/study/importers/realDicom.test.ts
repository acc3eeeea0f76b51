import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeImageFile } from './decode';
import { intensityOf } from '../intensity';
import { makeRealDicomFixtures, reference, type RealFixture } from './testing/realDicomFixtures';

/**
 * Real DICOM files of every supported transfer syntax (pydicom + gdcmconv + dcmtk, made here),
 * decoded by the app's one decoder and mapped to [0, 1] by the app's one intensity function,
 * compared with pydicom's Modality LUT + VOI LUT (scripts/make_dicom_fixtures.py).
 */
let dir: string;
let fixtures: RealFixture[] = [];
let skip: string | undefined;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'heatcheck-realdicom-'));
  ({ fixtures, skip } = makeRealDicomFixtures(dir));
  if (skip) console.warn(`[skipped] ${skip}`);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('real DICOM fixtures against pydicom', () => {
  test('the fixtures cover every transfer syntax of the issue, bit depths 8-16, signed, MONOCHROME1, window, rescale, VOI LUT, non-square', (ctx) => {
    if (skip) ctx.skip();
    const syntaxes = new Set(fixtures.map((f) => f.syntax));
    for (const s of ['explicit-le', 'rle', 'jpeg-baseline', 'jpeg-lossless-sv1', 'jpeg-ls', 'jpeg-ls-near', 'j2k-lossless', 'j2k']) expect(syntaxes).toContain(s);
    expect(new Set(fixtures.map((f) => f.bitsStored))).toEqual(new Set([8, 10, 12, 15, 16]));
    expect(fixtures.some((f) => f.signed) && fixtures.some((f) => f.photometric === 'MONOCHROME1')).toBe(true);
    expect(fixtures.every((f) => f.rows !== f.cols)).toBe(true);
  });

  test('every fixture: modality values and [0, 1] intensities equal pydicom (lossless exactly; lossy within 1e-3 of the range)', async (ctx) => {
    if (skip) ctx.skip();
    const report: string[] = [];
    for (const f of fixtures) {
      const img = await decodeImageFile(f.file, new Uint8Array(readFileSync(path.join(dir, f.file))));
      expect([img.width, img.height], f.file).toEqual([f.cols, f.rows]);
      const values = reference(dir, f, 'values');
      const expected = reference(dir, f, 'expected');
      const { values: y } = intensityOf(img);
      const dv = maxAbs(img.pixels, values);
      const dy = maxAbs(y, expected);
      report.push(`${f.file}: values ${dv}, intensities ${dy.toExponential(2)}`);
      if (f.lossy && f.source) {
        // A lossy fixture really lost something (else this branch would test nothing new).
        expect(maxAbs(values, reference(dir, fixtures.find((x) => x.file === f.source)!, 'values')), f.file).toBeGreaterThan(0);
        // Our codec build against GDCM's decode of the same lossy stream: the same numbers up to rounding.
        expect(dy, f.file).toBeLessThanOrEqual(1e-3);
      } else {
        expect(dv, f.file).toBe(0);
        expect(dy, f.file).toBeLessThanOrEqual(1e-6);
      }
    }
    console.log(report.join('\n'));
  }, 120_000);

  test('MONOCHROME1 with a window: bone (high stored values) is bright after inversion; the window is the header\'s', async (ctx) => {
    if (skip) ctx.skip();
    const f = fixtures.find((x) => x.file === 'cr10-mono1-window.dcm')!;
    const img = await decodeImageFile(f.file, new Uint8Array(readFileSync(path.join(dir, f.file))));
    expect(img.window).toMatchObject({ center: 600, width: 700, source: 'header' });
    expect(img.invert).toBe(true);
    const { values: y, intensity } = intensityOf(img);
    expect(intensity).toEqual({ source: 'header', center: 600, width: 700, fn: 'LINEAR', invert: true });
    // The first pixel is the smallest stored value (3, below the window): white after MONOCHROME1 inversion.
    expect(y[0]).toBe(1);
    expect(y[y.length - 1]).toBe(0);
  });
});
