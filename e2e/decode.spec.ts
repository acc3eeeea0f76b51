import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, expect, openApp } from './fixtures';
import { makeRealDicomFixtures, type RealFixture } from '../src/core/study/importers/testing/realDicomFixtures';
import { decodeFiles } from '../src/core/study/importers/batch';

/**
 * Node vs Chromium: the same real DICOM files (every transfer syntax, made here by
 * scripts/make_dicom_fixtures.py with pydicom, gdcmconv and dcmtk) decoded by the import's worker in
 * Chromium (window.__heatcheck.decodeImportBatch, the Data page's path, wasm codecs served by the
 * app) and by the same core code in Node (the CLI's path): identical pixel arrays, windows and flags.
 */
let dir: string;
let fixtures: RealFixture[] = [];
let skip: string | undefined;
test.beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'heatcheck-e2e-decode-'));
  ({ fixtures, skip } = makeRealDicomFixtures(dir));
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Summary { path: string; width: number; height: number; hash: string; pixels: number[]; type: string; window: unknown; invert: boolean; voiLut: boolean }

test('decodes every fixture to the same pixels in Chromium\'s worker as in Node', async ({ page, watch }) => {
  void watch;
  test.skip(!!skip, skip);
  test.setTimeout(300_000);
  const files = fixtures.map((f) => ({ path: f.file, bytes: new Uint8Array(readFileSync(path.join(dir, f.file))) }));

  const node = await decodeFiles(files);
  expect(node.problems).toEqual([]);
  const nodeSummary: Summary[] = node.decoded.map((d) => ({ path: d.path, width: d.width, height: d.height, hash: d.hash, pixels: Array.from(d.pixels), type: d.pixels.constructor.name, window: d.window ?? null, invert: !!d.invert, voiLut: !!d.voiLut }));

  await openApp(page, { backend: 'wasm' });
  const b64 = files.map((f) => ({ path: f.path, b64: Buffer.from(f.bytes).toString('base64') }));
  const browser = await page.evaluate(async (list) => {
    const input = list.map((f) => ({ path: f.path, bytes: Uint8Array.from(atob(f.b64), (ch) => ch.charCodeAt(0)) }));
    const r = await (window.__heatcheck!.decodeImportBatch as (x: unknown) => Promise<{ decoded: Array<{ path: string; width: number; height: number; hash: string; pixels: Uint8Array | Uint16Array | Float32Array; window?: unknown; invert?: boolean; voiLut?: unknown }>; problems: unknown[] }>)(input);
    return {
      problems: r.problems,
      decoded: r.decoded.map((d) => ({ path: d.path, width: d.width, height: d.height, hash: d.hash, pixels: Array.from(d.pixels), type: d.pixels.constructor.name, window: d.window ?? null, invert: !!d.invert, voiLut: !!d.voiLut })),
    };
  }, b64);
  expect(browser.problems).toEqual([]);
  expect(browser.decoded.length).toBe(fixtures.length);
  for (let i = 0; i < nodeSummary.length; i++) {
    expect(browser.decoded[i], nodeSummary[i].path).toEqual(nodeSummary[i]);
  }
  // Every transfer syntax was in the set.
  expect(new Set(fixtures.map((f) => f.syntax)).size).toBeGreaterThanOrEqual(8);
});
