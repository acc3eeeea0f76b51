/** Test helpers: the reference fixtures written by scripts/skimage_fixtures.py (Debian's python3-skimage). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy, type NpyArray } from '../io/npy';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

export interface FzCase { name: string; image: string; labels: string; height: number; width: number; channels: number; scale: number; sigma: number; min_size: number; segments: number }
export interface RsCase { name: string; image: string; out: string; height: number; width: number; channels: number; out_height: number; out_width: number; out_dtype: string }
export interface XsCase { name: string; image: string; labels: string; height: number; width: number; channels: number; scales: number[] }
export interface Manifest {
  skimage: string;
  felzenszwalb: FzCase[];
  resize: RsCase[];
  xrai_segments: XsCase[];
  dilation: Array<{ name: string; mask: string; out: string; radius: number }>;
  gaussian_kernels: Array<{ sigma: number; radius: number; weights_hex: string[] }>;
}

export const manifest: Manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
export const fixturePath = (name: string): string => path.join(dir, name);
export const loadNpy = (name: string): NpyArray => readNpy(new Uint8Array(readFileSync(fixturePath(name))), name);

/** Python's float.hex() back to a number. */
export function fromHex(s: string): number {
  const m = /^(-?)0x([01])\.([0-9a-f]*)p([+-]\d+)$/.exec(s);
  if (!m) throw new Error(`not a float hex: ${s}`);
  const frac = m[3].length ? parseInt(m[3], 16) / 16 ** m[3].length : 0;
  const v = (Number(m[2]) + frac) * 2 ** Number(m[4]);
  return m[1] ? -v : v;
}

/** True when two label images describe the same partition (a bijection between their labels). */
export function samePartition(x: ArrayLike<number>, y: ArrayLike<number>): boolean {
  if (x.length !== y.length) return false;
  const xy = new Map<number, number>();
  const yx = new Map<number, number>();
  for (let i = 0; i < x.length; i++) {
    const a = xy.get(x[i]);
    const b = yx.get(y[i]);
    if (a === undefined && b === undefined) { xy.set(x[i], y[i]); yx.set(y[i], x[i]); }
    else if (a !== y[i] || b !== x[i]) return false;
  }
  return true;
}
