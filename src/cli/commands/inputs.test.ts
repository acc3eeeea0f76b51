import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { main } from '../main';
import { readNpy } from '../../core/io/npy';
import { makeRealDicomFixtures, reference, type RealFixture } from '../../core/study/importers/testing/realDicomFixtures';
import { runCli } from '../testing/runCli';
import { tinyModel } from '../testing/tinyModel';

/**
 * The CLI on real DICOM files (made here by scripts/make_dicom_fixtures.py with pydicom, gdcmconv
 * and dcmtk): `inputs` writes what the model receives, checked against pydicom's modality + VOI
 * LUTs; `predict`, `maps` and `evaluate` run on a folder holding every transfer syntax; a broken
 * file among good ones becomes one row of errors.csv and the rest completes.
 */
let root: string;
let fx: string;
let fixtures: RealFixture[] = [];
let skip: string | undefined;

const cli = runCli;

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'heatcheck-inputs-'));
  fx = path.join(root, 'fixtures');
  ({ fixtures, skip } = makeRealDicomFixtures(fx));
  if (skip) console.warn(`[skipped] ${skip}`);
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('heatcheck inputs', () => {
  it('a windowed 10-bit MONOCHROME1 fixture: OUT/<id>.npy equals pydicom\'s intensities * scale + offset (every transfer syntax)', async (ctx) => {
    if (skip) ctx.skip();
    const study = path.join(root, 'cr10');
    const cr10 = fixtures.filter((f) => f.file.startsWith('cr10-mono1-window'));
    expect(cr10.length).toBeGreaterThanOrEqual(8);
    // A subfolder: the case id holds a '/', and so does the output path.
    for (const f of cr10) { mkdirSync(path.join(study, 'cr'), { recursive: true }); copyFileSync(path.join(fx, f.file), path.join(study, 'cr', f.file)); }
    const model = await tinyModel(root, 'cr10-native', 40, 56, 1);
    const out = path.join(root, 'inputs-cr10');
    const { code, json } = await cli(['inputs', '--study', study, '--model', model, '--out', out]);
    expect(code).toBe(0);
    expect(json).toMatchObject({ cases: cr10.length, failed: 0, shape: [40, 56, 1] });
    const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8'));
    for (const f of cr10) {
      const id = `cr/${f.file.replace(/\.dcm$/, '')}`;
      const arr = readNpy(new Uint8Array(readFileSync(path.join(out, `${id}.npy`))));
      expect(arr.shape).toEqual([40, 56, 1]);
      expect(arr.data).toBeInstanceOf(Float32Array);
      const want = Array.from(reference(fx, f, 'expected'), (y) => y * 2 - 1);
      // Input range [-1, 1] is 2 wide: 1e-3 of it.
      expect(maxAbs(arr.data as Float32Array, want), f.file).toBeLessThanOrEqual(2e-3);
      expect(index.cases.find((e: { case: string }) => e.case === id).intensity).toEqual({ source: 'header', center: 600, width: 700, fn: 'LINEAR', invert: true });
    }
    expect(readFileSync(path.join(out, 'errors.csv'), 'utf8')).toBe('file,code,message\n');
  }, 120_000);

  it('the installed CLI (node scripts/heatcheck.mjs, tsx\'s ESM loader) reads DICOM: no "parseDicom is not a function"', async (ctx) => {
    if (skip) ctx.skip();
    const model = path.join(root, 'cr10-native'); // written by the test above
    const out = path.join(root, 'inputs-cli');
    const r = spawnSync(process.execPath, ['scripts/heatcheck.mjs', 'inputs', '--study', path.join(root, 'cr10'), '--model', model, '--out', out], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/is not a function/);
    expect(r.status, r.stderr).toBe(0);
    const f = fixtures.find((x) => x.file === 'cr10-mono1-window.jpegls.dcm')!;
    const arr = readNpy(new Uint8Array(readFileSync(path.join(out, 'cr', 'cr10-mono1-window.jpegls.npy'))));
    expect(maxAbs(arr.data as Float32Array, Array.from(reference(fx, f, 'expected'), (y) => y * 2 - 1))).toBeLessThanOrEqual(2e-3);
  }, 120_000);

  it('a model with a smaller non-square input: 2x2 block means of pydicom\'s intensities, repeated over 3 channels', async (ctx) => {
    if (skip) ctx.skip();
    const f = fixtures.find((x) => x.file === 'ct12-signed-rescale-window.j2k.dcm')!; // 48 rows x 32 columns
    const study = path.join(root, 'ct12');
    mkdirSync(study, { recursive: true });
    copyFileSync(path.join(fx, f.file), path.join(study, f.file));
    const model = await tinyModel(root, 'ct12-half', 24, 16, 3);
    const out = path.join(root, 'inputs-ct12');
    expect((await cli(['inputs', '--study', study, '--model', model, '--out', out])).code).toBe(0);
    const arr = readNpy(new Uint8Array(readFileSync(path.join(out, `${f.file.replace(/\.dcm$/, '')}.npy`))));
    expect(arr.shape).toEqual([24, 16, 3]);
    const y = reference(fx, f, 'expected');
    const want: number[] = [];
    for (let r = 0; r < 24; r++) for (let c = 0; c < 16; c++) {
      const m = (y[2 * r * 32 + 2 * c] + y[2 * r * 32 + 2 * c + 1] + y[(2 * r + 1) * 32 + 2 * c] + y[(2 * r + 1) * 32 + 2 * c + 1]) / 4;
      want.push(m * 2 - 1, m * 2 - 1, m * 2 - 1);
    }
    expect(maxAbs(arr.data as Float32Array, want)).toBeLessThanOrEqual(1e-5);
  }, 60_000);
});

describe('predict, maps and evaluate on a folder of DICOMs of every transfer syntax, one file broken', () => {
  let study: string;
  let model: string;
  let good: string[];
  const broken = 'zz-broken.dcm';
  beforeAll(async () => {
    if (skip) return;
    study = path.join(root, 'all');
    mkdirSync(study, { recursive: true });
    // One file of each transfer syntax (the first fixture that has it), and a truncated JPEG 2000 file.
    const bySyntax = new Map<string, RealFixture>();
    for (const f of fixtures) if (!bySyntax.has(f.syntax)) bySyntax.set(f.syntax, f);
    good = [...bySyntax.values()].map((f) => f.file);
    for (const f of good) copyFileSync(path.join(fx, f), path.join(study, f));
    const j2k = readFileSync(path.join(fx, fixtures.find((f) => f.syntax === 'j2k-lossless')!.file));
    writeFileSync(path.join(study, broken), j2k.subarray(0, j2k.length - 200));
    writeFileSync(path.join(study, 'labels.csv'), ['image,label', ...good.map((f, i) => `${f},${i % 2}`), `${broken},1`].join('\n') + '\n');
    model = await tinyModel(root, 'tiny-16', 16, 16, 1);
  }, 60_000);

  it('predict: a row per good file, the broken one in errors.csv beside the output, exit 0; --strict exits non-zero', async (ctx) => {
    if (skip) ctx.skip();
    const outCsv = path.join(root, 'pred', 'preds.csv');
    const r = await cli(['predict', '--study', study, '--model', model, '--out', outCsv]);
    expect(r.code).toBe(0);
    const rows = readFileSync(outCsv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows.map((x) => x[0]).sort()).toEqual(good.map((f) => f.replace(/\.dcm$/, '')).sort());
    for (const x of rows) expect(Number.isFinite(Number(x[1]))).toBe(true);
    const errors = readFileSync(path.join(root, 'pred', 'errors.csv'), 'utf8').trim().split('\n');
    expect(errors.length).toBe(2);
    expect(errors[1]).toContain(broken);
    expect(errors[1]).toMatch(/BAD_INPUT_(IMAGE|DECODER)/);
    expect(errors[1]).not.toMatch(/:\s*[.)]|:\s*$/); // no decoder string with a dangling colon
    expect(r.err).toContain(`skipped ${path.join(study, broken)}`);
    expect(r.json).toMatchObject({ n: good.length, failed: 1 });
    const strict = await cli(['predict', '--study', study, '--model', model, '--out', outCsv, '--strict']);
    expect(strict.code).toBe(4);
  }, 120_000);

  it('maps: every good file mapped, index.json lists the broken one under failed, errors.csv too', async (ctx) => {
    if (skip) ctx.skip();
    const out = path.join(root, 'maps');
    const r = await cli(['maps', '--study', study, '--models', model, '--methods', 'grad', '--out', out]);
    expect(r.code).toBe(0);
    const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8'));
    expect(index.maps.map((e: { case: string }) => e.case).sort()).toEqual(good.map((f) => f.replace(/\.dcm$/, '')).sort());
    for (const e of index.maps) expect(e.intensity.source).toMatch(/header|min-max|voi-lut/);
    expect(index.failed.map((f: { file: string }) => path.basename(f.file))).toEqual([broken]);
    expect(readFileSync(path.join(out, 'errors.csv'), 'utf8')).toContain(broken);
  }, 120_000);

  it('maps over nothing readable: exit non-zero, and the folder still says why (index.json, errors.csv)', async (ctx) => {
    if (skip) ctx.skip();
    const bad = path.join(root, 'only-broken');
    mkdirSync(bad, { recursive: true });
    copyFileSync(path.join(study, broken), path.join(bad, broken));
    const out = path.join(root, 'maps-none');
    const r = await cli(['maps', '--study', bad, '--models', model, '--methods', 'grad', '--out', out]);
    expect(r.code).not.toBe(0);
    expect(readdirSync(out).sort()).toEqual(['errors.csv', 'index.json', 'plan.json']);
    expect(JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8'))).toMatchObject({ maps: [], failed: [{ file: path.join(bad, broken) }] });
  }, 60_000);

  it('evaluate: runs on the good DICOMs of every transfer syntax', async (ctx) => {
    if (skip) ctx.skip();
    const goodOnly = path.join(root, 'all-good');
    mkdirSync(goodOnly, { recursive: true });
    for (const f of good) copyFileSync(path.join(study, f), path.join(goodOnly, f));
    writeFileSync(path.join(goodOnly, 'labels.csv'), ['image,label', ...good.map((f, i) => `${f},${i % 2}`)].join('\n') + '\n');
    const out = path.join(root, 'report.json');
    const r = await cli(['evaluate', '--study', goodOnly, '--models', model, '--methods', 'grad', '--preset', 'quick', '--randomization-steps', '2', '--randomization-cases', '2', '--resamples', '10', '--out', out]);
    expect(r.code, r.err.slice(-2000)).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(r.json).toMatchObject({ cases: good.length });
  }, 300_000);
});
