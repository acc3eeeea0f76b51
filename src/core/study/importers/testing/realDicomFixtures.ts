/**
 * Real DICOM fixtures for tests, made at test time (never downloaded, never committed):
 * scripts/make_dicom_fixtures.py writes them with pydicom and converts them with GDCM's gdcmconv and
 * DCMTK, with each file's expected intensities from pydicom (apply_modality_lut + apply_voi_lut).
 * Node-only (tests and e2e setup).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readNpy, npyToFloat64 } from '../../../io/npy';

export interface RealFixture {
  file: string;
  transferSyntax: string;
  syntax: string;
  lossy: boolean;
  source: string | null;
  tool: string;
  rows: number;
  cols: number;
  bitsStored: number;
  signed: boolean;
  photometric: string;
}

/** Debian's python3 with pydicom and numpy (the pyenv shim on PATH may lack them). */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const SCRIPT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../../../scripts/make_dicom_fixtures.py');

/**
 * Writes the fixtures into `dir`. Returns them, or `skip` with the reason when the tools are absent
 * (python3-pydicom, python3-numpy, libgdcm-tools, dcmtk: .ci/run installs them).
 */
export function makeRealDicomFixtures(dir: string): { fixtures: RealFixture[]; skip?: string } {
  const r = spawnSync(PYTHON, [SCRIPT, dir], { encoding: 'utf8' });
  if (r.error || r.status === 3 || /No module named/.test(r.stderr ?? '')) {
    return { fixtures: [], skip: `DICOM fixtures need python3-pydicom, python3-numpy, libgdcm-tools and dcmtk (${(r.error?.message ?? r.stderr ?? '').trim().split('\n').pop()})` };
  }
  if (r.status !== 0) throw new Error(`scripts/make_dicom_fixtures.py failed (exit ${r.status}): ${r.stderr}`);
  const listing = JSON.parse(readFileSync(path.join(dir, 'fixtures.json'), 'utf8')) as { fixtures: RealFixture[] };
  return { fixtures: listing.fixtures };
}

/** The pydicom reference of a fixture: intensities in [0, 1] ('expected') or modality values ('values'), row-major. */
export function reference(dir: string, f: RealFixture, kind: 'expected' | 'values'): Float64Array {
  const name = f.file.replace(/\.dcm$/, '');
  return npyToFloat64(readNpy(new Uint8Array(readFileSync(path.join(dir, `${name}.${kind}.npy`)))));
}
