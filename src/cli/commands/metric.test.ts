import { describe, expect, it, vi } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../main';
import { writeNpy } from '../../core/io/npy';
import { runCli } from '../testing/runCli';

const FX = path.join(__dirname, '..', '..', 'core', 'metrics', 'fixtures');
const f = (n: string) => path.join(FX, n);
// Reference values from scripts/reference_metrics.py (scikit-learn / scikit-image on the same files).
const ref = JSON.parse(readFileSync(f('reference.json'), 'utf8')).cli;

const cli = runCli;

describe('heatcheck metric (float32 and big-endian float64 .npy written by NumPy)', () => {
  it('ssim, default data range and --data-range 1', async () => {
    const a = await cli(['metric', 'ssim', f('cli_a_f4.npy'), f('cli_b_f8be.npy')]);
    expect(a.code).toBe(0);
    expect(Object.keys(a.json)).toEqual(['ssim']);
    expect(Math.abs((a.json.ssim as number) - ref.ssim)).toBeLessThan(1e-6);
    const b = await cli(['metric', 'ssim', f('cli_a_f4.npy'), f('cli_b_f8be.npy'), '--data-range', '1']);
    expect(Math.abs((b.json.ssim as number) - ref.ssimRange1)).toBeLessThan(1e-6);
  });
  it('auroc and auprc against a uint8 mask', async () => {
    const a = await cli(['metric', 'auroc', f('cli_a_f4.npy'), f('cli_mask_u1.npy')]);
    expect(Math.abs((a.json.auroc as number) - ref.auroc)).toBeLessThan(1e-9);
    const b = await cli(['metric', 'auprc', f('cli_a_f4.npy'), f('cli_mask_u1.npy')]);
    expect(Math.abs((b.json.auprc as number) - ref.auprc)).toBeLessThan(1e-9);
  });
  it('otsu', async () => {
    const a = await cli(['metric', 'otsu', f('cli_a_f4.npy')]);
    expect(Object.keys(a.json)).toEqual(['threshold']);
    expect(Math.abs((a.json.threshold as number) - ref.otsu)).toBeLessThan(1e-6);
    // skimage on the float32 array itself (computed in float32) differs by float32 rounding only.
    expect(Math.abs((a.json.threshold as number) - ref.otsuOnFloat32)).toBeLessThan(1e-6);
  });
  it('one-channel (H, W, 1) input; shape mismatch and a missing file are reported', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'heatcheck-metric-'));
    const m = new Float64Array(12).map((_, i) => i);
    writeFileSync(path.join(dir, 'm.npy'), writeNpy(m, [3, 4, 1]));
    writeFileSync(path.join(dir, 'k.npy'), writeNpy(new Uint8Array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]), [3, 4]));
    writeFileSync(path.join(dir, 'k2.npy'), writeNpy(new Uint8Array(6), [2, 3]));
    const a = await cli(['metric', 'auroc', path.join(dir, 'm.npy'), path.join(dir, 'k.npy')]);
    expect(a.json.auroc).toBe(1); // every positive scores above every negative
    const b = await cli(['metric', 'auroc', path.join(dir, 'm.npy'), path.join(dir, 'k2.npy')]);
    expect(b.code).not.toBe(0);
    expect(b.json.code).toBe('BAD_INPUT_SHAPE');
    const c = await cli(['metric', 'otsu', path.join(dir, 'absent.npy')]);
    expect(c.code).not.toBe(0);
    expect(String(c.json.message)).toMatch(/absent\.npy does not exist/);
    // An empty mask: AUROC undefined, printed as null.
    writeFileSync(path.join(dir, 'k0.npy'), writeNpy(new Uint8Array(12), [3, 4]));
    const d = await cli(['metric', 'auroc', path.join(dir, 'm.npy'), path.join(dir, 'k0.npy')]);
    expect(d.json).toEqual({ auroc: null });
  });
});
