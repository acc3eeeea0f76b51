/**
 * Resampling between grids (SPEC 4 and 5), both on half-pixel centres: destination pixel i sits at
 * source coordinate (i + 0.5) * (srcSize / dstSize) - 0.5.
 * - nearestResize: masks; source index floor((i + 0.5) * srcSize / dstSize), clamped
 *   (torch's 'nearest-exact', PIL's NEAREST).
 * - bilinearResize: maps; coordinates below 0 clamp to 0 and the upper neighbour clamps to the last
 *   pixel (torch.nn.functional.interpolate(mode='bilinear', align_corners=False), TF's
 *   half_pixel_centers). No antialiasing when shrinking.
 */
import { MetricError } from './errors';

function check(src: ArrayLike<number>, sh: number, sw: number, dh: number, dw: number, what: string): void {
  if (src.length !== sh * sw) throw new MetricError('BAD_INPUT_SHAPE', `${what}: expected ${sh}x${sw} = ${sh * sw} values, found ${src.length}`);
  if (!(dh > 0 && dw > 0 && Number.isInteger(dh) && Number.isInteger(dw))) throw new MetricError('BAD_INPUT_SHAPE', `${what}: target size must be positive integers; found ${dh}x${dw}`);
}

export function nearestResize<T extends Uint8Array | Float32Array | Float64Array>(src: T, sh: number, sw: number, dh: number, dw: number): T {
  check(src, sh, sw, dh, dw, 'nearestResize');
  const out = new (src.constructor as { new (n: number): T })(dh * dw);
  const cols = new Int32Array(dw);
  const sx = sw / dw;
  const sy = sh / dh;
  for (let j = 0; j < dw; j++) cols[j] = Math.min(sw - 1, Math.floor((j + 0.5) * sx));
  for (let i = 0; i < dh; i++) {
    const r = Math.min(sh - 1, Math.floor((i + 0.5) * sy));
    const so = r * sw;
    const o = i * dw;
    for (let j = 0; j < dw; j++) out[o + j] = src[so + cols[j]];
  }
  return out;
}

export function bilinearResize(src: ArrayLike<number>, sh: number, sw: number, dh: number, dw: number): Float64Array {
  check(src, sh, sw, dh, dw, 'bilinearResize');
  const out = new Float64Array(dh * dw);
  const axis = (d: number, s: number) => {
    const i0 = new Int32Array(d);
    const i1 = new Int32Array(d);
    const t = new Float64Array(d);
    const scale = s / d;
    for (let i = 0; i < d; i++) {
      let x = (i + 0.5) * scale - 0.5;
      if (x < 0) x = 0;
      const f = Math.floor(x);
      i0[i] = Math.min(f, s - 1);
      i1[i] = Math.min(f + 1, s - 1);
      t[i] = x - f;
    }
    return { i0, i1, t };
  };
  const ry = axis(dh, sh);
  const rx = axis(dw, sw);
  for (let i = 0; i < dh; i++) {
    const a = ry.i0[i] * sw;
    const b = ry.i1[i] * sw;
    const ty = ry.t[i];
    for (let j = 0; j < dw; j++) {
      const c0 = rx.i0[j];
      const c1 = rx.i1[j];
      const tx = rx.t[j];
      const top = +src[a + c0] * (1 - tx) + +src[a + c1] * tx;
      const bot = +src[b + c0] * (1 - tx) + +src[b + c1] * tx;
      out[i * dw + j] = top * (1 - ty) + bot * ty;
    }
  }
  return out;
}
