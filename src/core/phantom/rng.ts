/**
 * Seeded randomness for the phantom generator. Every draw comes from a generator built here from
 * (seed, stream, index); nothing uses Math.random, so a case is a pure function of (seed, index).
 */

/** A uniform draw in [0, 1). */
export type Uniform = () => number;

/** 32-bit integer mixing (murmur3 finaliser). */
export function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Hashes any number of integers into one 32-bit seed (order matters). */
export function hashSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    // Fold in the low and the high 32 bits so seeds beyond 2^32 still differ.
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    h = mix32(h ^ lo);
    h = mix32((h + 0x7f4a7c15) ^ hi);
  }
  return h >>> 0;
}

/** Hashes a string (for example a case id) into a 32-bit integer. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix32(h >>> 0);
}

/** mulberry32: a small, fast, well-mixed 32-bit PRNG. */
export { mulberry32 } from '../rng';
import { mulberry32 } from '../rng';

/** A generator with the helpers the phantom uses. */
export class Rng {
  readonly next: Uniform;
  private spare: number | null = null;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  static from(...parts: number[]): Rng {
    return new Rng(hashSeed(...parts));
  }
  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  sign(): 1 | -1 {
    return this.next() < 0.5 ? -1 : 1;
  }
  /** Standard normal (Box-Muller, caching the second draw). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = this.next();
    if (u < 1e-12) u = 1e-12;
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  /** Fisher-Yates permutation of 0..n-1. */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  }
}

/** Value noise in [0, 1) on an integer lattice, smooth-interpolated; deterministic by `seed`. */
export function valueNoise(x: number, y: number, seed: number): number {
  const xi = Math.floor(x);
  const yi = Math.floor(y);
  const fx = x - xi;
  const fy = y - yi;
  const sx = fx * fx * (3 - 2 * fx);
  const sy = fy * fy * (3 - 2 * fy);
  const hx0 = Math.imul(xi, 0x27d4eb2d);
  const hx1 = Math.imul(xi + 1, 0x27d4eb2d);
  const hy0 = Math.imul(yi, 0x165667b1) ^ seed;
  const hy1 = Math.imul(yi + 1, 0x165667b1) ^ seed;
  const h00 = lattice(hx0 ^ hy0);
  const h10 = lattice(hx1 ^ hy0);
  const h01 = lattice(hx0 ^ hy1);
  const h11 = lattice(hx1 ^ hy1);
  const a = h00 + (h10 - h00) * sx;
  const b = h01 + (h11 - h01) * sx;
  return a + (b - a) * sy;
}

function lattice(h: number): number {
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}
