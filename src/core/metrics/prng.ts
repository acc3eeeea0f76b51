/** Seeded uniform generator for the statistics (mulberry32). Nothing here uses Math.random. */
export { mulberry32 } from '../rng';

/** Integer in [0, n). */
export function randInt(next: () => number, n: number): number {
  return Math.floor(next() * n);
}
