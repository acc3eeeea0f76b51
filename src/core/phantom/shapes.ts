/**
 * Projection of shapes onto the detector: each pixel's attenuation is the X-ray path length through
 * the shape times its attenuation coefficient. A bone is a tube (cortex around medulla), so its
 * chord is longest at the edges of the cortex: the bright cortical lines of a radiograph.
 */
import { valueNoise } from './rng';
import type { Shape } from './anatomy';

/** Attenuation coefficients per unit of image width. */
export const MU_TISSUE = 1.0;
export const MU_CORTEX = 13.0;
export const MU_MEDULLA = 2.6;

/** A shape placed in pixel coordinates, with its axis frame precomputed. */
export interface Placed extends Shape {
  len: number;
  ux: number; uy: number; // unit axis a -> b
  /** Flare zone length at each end, pixels. */
  zone: number;
  /** Bounding box in pixels (inclusive-exclusive). */
  x0: number; y0: number; x1: number; y1: number;
  /** 1 / image size, to make attenuation independent of resolution. */
  inv: number;
  /** Texture frequencies (cycles per pixel) for the two octaves. */
  f1: number; f2: number;
}

export function place(s: Shape, size: number, m: Similarity): Placed {
  const [ax, ay] = m.apply(s.ax, s.ay);
  const [bx, by] = m.apply(s.bx, s.by);
  const ra = s.ra * m.scale * size;
  const rb = s.rb * m.scale * size;
  const A = [ax * size, ay * size];
  const B = [bx * size, by * size];
  const len = Math.max(1e-6, Math.hypot(B[0] - A[0], B[1] - A[1]));
  const rmax = Math.max(ra, rb) * Math.max(s.flareA, s.flareB) + Math.abs(s.bow) * len + 2;
  return {
    ...s,
    ax: A[0], ay: A[1], bx: B[0], by: B[1], ra, rb,
    len,
    ux: (B[0] - A[0]) / len,
    uy: (B[1] - A[1]) / len,
    zone: Math.min(0.4 * len, 2.4 * Math.max(ra, rb)),
    x0: Math.max(0, Math.floor(Math.min(A[0], B[0]) - rmax)),
    y0: Math.max(0, Math.floor(Math.min(A[1], B[1]) - rmax)),
    x1: Math.min(size, Math.ceil(Math.max(A[0], B[0]) + rmax)),
    y1: Math.min(size, Math.ceil(Math.max(A[1], B[1]) + rmax)),
    inv: 1 / size,
    f1: 1 / (0.011 * size * m.scale),
    f2: 1 / (0.0045 * size * m.scale),
  };
}

/** Pixel -> the shape's local frame: tl along the axis from a (pixels), d across (pixels, signed). */
export function toLocal(p: Placed, x: number, y: number): [number, number] {
  const dx = x - p.ax;
  const dy = y - p.ay;
  return [dx * p.ux + dy * p.uy, -dx * p.uy + dy * p.ux];
}

/** Local frame -> pixel. */
export function fromLocal(p: Placed, tl: number, d: number): [number, number] {
  return [p.ax + tl * p.ux - d * p.uy, p.ay + tl * p.uy + d * p.ux];
}

/** Outer radius of the shape at axial position tl (clamped to the shaft), pixels. */
export function radiusAt(p: Placed, tl: number): number {
  const tc = tl < 0 ? 0 : tl > p.len ? p.len : tl;
  const t = tc / p.len;
  const r = p.ra + (p.rb - p.ra) * t;
  let ea = 0;
  let eb = 0;
  if (tc < p.zone) { ea = 1 - tc / p.zone; ea *= ea; }
  if (p.len - tc < p.zone) { eb = 1 - (p.len - tc) / p.zone; eb *= eb; }
  return r * (1 + (p.flareA - 1) * ea + (p.flareB - 1) * eb);
}

/** Attenuation of the shape at local coordinates (tl, d). */
export function attenuationLocal(p: Placed, tl: number, d: number): number {
  const len = p.len;
  const tc = tl < 0 ? 0 : tl > len ? len : tl;
  const t = tc / len;
  if (p.bow !== 0) d -= p.bow * len * 4 * t * (1 - t);
  const r = p.ra + (p.rb - p.ra) * t;
  let ea = 0;
  let eb = 0;
  if (tc < p.zone) { ea = 1 - tc / p.zone; ea *= ea; }
  if (len - tc < p.zone) { eb = 1 - (len - tc) / p.zone; eb *= eb; }
  const R = r * (1 + (p.flareA - 1) * ea + (p.flareB - 1) * eb);
  const over = tl - tc;
  const rho2 = over * over + d * d;
  const R2 = R * R;
  if (rho2 >= R2) return 0;
  const outer = 2 * Math.sqrt(R2 - rho2);
  if (p.kind === 'tissue') return MU_TISSUE * outer * p.density * p.inv;
  const ends = ea > eb ? ea : eb;
  const ct = p.cortex * r * (1 - 0.7 * ends);
  const Ri = R - ct;
  const inner = Ri > 0 && rho2 < Ri * Ri ? 2 * Math.sqrt(Ri * Ri - rho2) : 0;
  let med = 0;
  if (inner > 0) {
    // Trabecular texture: two octaves of value noise, stretched along the axis.
    const n1 = valueNoise(tl * p.f1 * 0.45, d * p.f1, p.tex);
    const n2 = valueNoise(tl * p.f2 * 0.6, d * p.f2, p.tex ^ 0x5bd1e995);
    const n = 0.55 * n1 + 0.45 * n2;
    // Epiphyses are more trabecular (denser medulla) than the shaft's marrow cavity.
    med = MU_MEDULLA * inner * (0.45 + 0.35 * ends + 0.9 * (n - 0.5) * (0.6 + 0.6 * ends));
    if (med < 0) med = 0;
  }
  return (MU_CORTEX * (outer - inner) + med) * p.density * p.inv;
}

/** A similarity transform of the canonical unit square: rotate and scale about (0.5, 0.5), mirror, shift. */
export class Similarity {
  constructor(
    readonly angle: number,
    readonly scale: number,
    readonly mirror: boolean,
    readonly tx: number,
    readonly ty: number,
  ) {}
  apply(x: number, y: number): [number, number] {
    let u = x - 0.5;
    const v = y - 0.5;
    if (this.mirror) u = -u;
    const c = Math.cos(this.angle) * this.scale;
    const s = Math.sin(this.angle) * this.scale;
    return [0.5 + c * u - s * v + this.tx, 0.5 + s * u + c * v + this.ty];
  }
}

/**
 * The pixel columns [x0, x1) of row y that can lie within `pad` pixels of the shape's capsule (its
 * axis swept by its largest radius): the renderer visits only these. Writes into `span`.
 */
export function rowSpan(p: Placed, y: number, pad: number, size: number, span: Int32Array): boolean {
  const rmax = Math.max(p.ra, p.rb) * Math.max(p.flareA, p.flareB) + Math.abs(p.bow) * p.len + pad + 1;
  const yc = y + 0.5;
  const dy = p.by - p.ay;
  let t0: number;
  let t1: number;
  if (Math.abs(dy) < 1e-9) {
    if (Math.abs(yc - p.ay) > rmax) return false;
    t0 = 0;
    t1 = 1;
  } else {
    const ta = (yc - rmax - p.ay) / dy;
    const tb = (yc + rmax - p.ay) / dy;
    t0 = Math.max(0, Math.min(ta, tb));
    t1 = Math.min(1, Math.max(ta, tb));
    if (t0 > t1) {
      // The row misses the swept axis; only the end caps can reach it.
      const te = t1 < 0 || ta < 0 && tb < 0 ? 0 : 1;
      const ey = te === 0 ? p.ay : p.by;
      if (Math.abs(yc - ey) > rmax) return false;
      t0 = t1 = te;
    }
  }
  const xa = p.ax + (p.bx - p.ax) * t0;
  const xb = p.ax + (p.bx - p.ax) * t1;
  const x0 = Math.max(0, Math.floor(Math.min(xa, xb) - rmax));
  const x1 = Math.min(size, Math.ceil(Math.max(xa, xb) + rmax));
  if (x0 >= x1) return false;
  span[0] = x0;
  span[1] = x1;
  return true;
}
