/**
 * Word-at-a-time helpers for binary masks held in Uint8Array (one byte per pixel). Four pixels are
 * processed per 32-bit word; any non-zero byte counts as "in". Used by consensus and the overlap
 * metrics so a 2048x2048 case stays within a frame.
 */

/** A Uint32 view over the mask when it is 4-byte aligned; otherwise null (callers fall back). */
export function words(m: Uint8Array): Uint32Array | null {
  if (m.byteOffset % 4 !== 0) return null;
  return new Uint32Array(m.buffer, m.byteOffset, m.length >>> 2);
}

/** Each byte of x becomes 1 if it was non-zero, else 0. */
export function nonZeroBytes(x: number): number {
  let t = x | (x >>> 4);
  t |= t >>> 2;
  t |= t >>> 1;
  return t & 0x01010101;
}

/** Sum of the four bytes of x, each 0 or 1. */
export function byteSum01(x: number): number {
  return Math.imul(x, 0x01010101) >>> 24;
}
