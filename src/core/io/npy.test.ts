import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readNpy, writeNpy, npyToFloat64, NpyError } from './npy';

const fx = (n: string) => new Uint8Array(readFileSync(path.join(__dirname, 'fixtures', n)));

describe('readNpy on files NumPy wrote (scripts/make_npy_fixtures.py)', () => {
  it('float32 C order', () => {
    const a = readNpy(fx('f4.npy'));
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(a.data as Float32Array)).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25]);
  });
  it('big-endian float64', () => {
    const a = readNpy(fx('f8be.npy'));
    expect(a.dtype).toBe('>f8');
    expect(Array.from(a.data as Float64Array)).toEqual([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]);
  });
  it('Fortran order comes back in C order', () => {
    const a = readNpy(fx('fort.npy'));
    expect(a.shape).toEqual([2, 3, 4]);
    expect(Array.from(a.data as Int32Array)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });
  it('uint8 and int64', () => {
    expect(Array.from(readNpy(fx('u1.npy')).data as Uint8Array)).toEqual([0, 255, 7, 9]);
    expect(Array.from(npyToFloat64(readNpy(fx('i8.npy'))))).toEqual([1, -2, 3]);
  });
  it('rejects non-npy and truncated files with a clear error', () => {
    expect(() => readNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'x.npy')).toThrow(/x.npy is not a NumPy/);
    const t = fx('f4.npy');
    expect(() => readNpy(t.subarray(0, t.length - 4), 't.npy')).toThrow(NpyError);
    expect(() => readNpy(t.subarray(0, t.length - 4), 't.npy')).toThrow(/truncated/);
  });
});

describe('writeNpy', () => {
  it('round-trips through readNpy', () => {
    const d = new Float32Array([1.5, -2, 3.25, 0]);
    const a = readNpy(writeNpy(d, [2, 2]));
    expect(a.shape).toEqual([2, 2]);
    expect(Array.from(a.data as Float32Array)).toEqual([1.5, -2, 3.25, 0]);
    expect(readNpy(writeNpy(new Int32Array([7, -7, 1]), [3])).shape).toEqual([3]);
  });
  it('is read by NumPy itself', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'npy-'));
    const file = path.join(dir, 'w.npy');
    writeFileSync(file, writeNpy(new Float32Array([0.5, 1, 2, 4, 8, 16]), [3, 2]));
    let out: string;
    try {
      out = execFileSync('/usr/bin/python3', ['-c', `import numpy as np; a = np.load('${file}'); print(a.dtype, a.shape, a.sum())`]).toString().trim();
    } catch {
      return; // NumPy not installed here: the fixture tests above still check the format.
    }
    expect(out).toBe('float32 (3, 2) 31.5');
  });
});
