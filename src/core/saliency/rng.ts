import type { Rng } from './types';
import { mulberry32 } from '../rng';

/**
 * The seeded generator every saliency method draws from (SPEC section 2: the same seed gives the
 * same map). mulberry32 for uniforms, Box-Muller for Gaussians. Nothing here uses Math.random.
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`createRng: the seed must be a finite number, found ${seed}`);
  // Fold the high bits in so seeds beyond 2^32 still differ.
  let a = (Math.trunc(seed) ^ Math.floor(Math.trunc(seed) / 4294967296) * 0x9e3779b1) >>> 0;
  return mulberry32(a);
}

/** A standard normal draw (Box-Muller; uses two uniforms per draw, so draws stay independent of caching). */
export function gaussian(rng: Rng): number {
  const u1 = 1 - rng(); // (0, 1]: log stays finite
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** n standard normal draws times `scale`, in order. */
export function gaussianArray(rng: Rng, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = gaussian(rng) * scale;
  return out;
}

/** A 32-bit integer seed derived from a seed and a string (for example a layer name). */
export function deriveSeed(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
