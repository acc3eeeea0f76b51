/**
 * Ascending sort of a Float64Array of finite numbers: an LSD radix sort on the IEEE bit patterns
 * (four 16-bit passes) for large arrays, about twice as fast as the built-in sort; the built-in
 * sort below 2048 values. -0 is stored as +0 by the caller (splitSorted), NaN is rejected there.
 */
export function sortFloat64(a: Float64Array): Float64Array {
  const n = a.length;
  if (n < 2048) return a.sort();
  let src: Uint32Array = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
  // Order-preserving keys: flip the sign bit of positives, all bits of negatives (little-endian: word 1 is high).
  for (let i = 0; i < n; i++) {
    const hi = src[2 * i + 1];
    if (hi & 0x80000000) {
      src[2 * i + 1] = ~hi >>> 0;
      src[2 * i] = ~src[2 * i] >>> 0;
    } else src[2 * i + 1] = (hi | 0x80000000) >>> 0;
  }
  let dst: Uint32Array = new Uint32Array(2 * n);
  const cnt = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass >> 1;
    const shift = (pass & 1) * 16;
    cnt.fill(0);
    for (let i = 0; i < n; i++) cnt[(src[2 * i + word] >>> shift) & 0xffff]++;
    let s = 0;
    for (let k = 0; k < 65536; k++) {
      const c = cnt[k];
      cnt[k] = s;
      s += c;
    }
    for (let i = 0; i < n; i++) {
      const d = cnt[(src[2 * i + word] >>> shift) & 0xffff]++;
      dst[2 * d] = src[2 * i];
      dst[2 * d + 1] = src[2 * i + 1];
    }
    const t = src;
    src = dst;
    dst = t;
  }
  // After four passes the sorted keys are back in the caller's buffer (src === original view).
  for (let i = 0; i < n; i++) {
    const hi = src[2 * i + 1];
    if (hi & 0x80000000) src[2 * i + 1] = hi & 0x7fffffff;
    else {
      src[2 * i + 1] = ~hi >>> 0;
      src[2 * i] = ~src[2 * i] >>> 0;
    }
  }
  return a;
}
