/**
 * DICOM RLE Lossless (transfer syntax 1.2.840.10008.1.2.5), PS3.5 Annex G.
 * A frame starts with a 64-byte header: the number of segments (1..15) and each segment's offset
 * (uint32 little-endian). Each segment is PackBits: a header byte n; 0..127 copies the next n+1
 * bytes, -1..-127 repeats the next byte 1-n times, -128 does nothing. Segments hold one byte plane
 * each, most significant byte first (16-bit: high bytes, then low bytes); colour images one plane
 * per sample. Returns the composed little-endian interleaved bytes (samplesPerPixel * bytesPerSample per pixel).
 */
export class RleError extends Error {
  constructor(message: string, public readonly truncated: boolean) {
    super(message);
  }
}

export function decodeRleFrame(frame: Uint8Array, pixels: number, bytesPerSample: number, samplesPerPixel: number): Uint8Array {
  if (frame.length < 64) throw new RleError(`the RLE header needs 64 bytes, found ${frame.length}`, true);
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const nseg = dv.getUint32(0, true);
  const expected = bytesPerSample * samplesPerPixel;
  if (nseg !== expected) throw new RleError(`the RLE header lists ${nseg} segments, expected ${expected} (${samplesPerPixel} sample(s) of ${bytesPerSample} byte(s))`, false);
  const offsets: number[] = [];
  for (let i = 0; i < nseg; i++) offsets.push(dv.getUint32(4 + 4 * i, true));
  const out = new Uint8Array(pixels * expected);
  for (let s = 0; s < nseg; s++) {
    const start = offsets[s];
    const end = s + 1 < nseg ? offsets[s + 1] : frame.length;
    if (start < 64 || start > frame.length || end < start) throw new RleError(`RLE segment ${s + 1} starts at ${start}, outside the ${frame.length}-byte frame`, start > frame.length);
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample); // MSB first -> little-endian position
    const stride = expected;
    let o = sample * bytesPerSample + byteInSample;
    let written = 0;
    let p = start;
    while (written < pixels && p < end) {
      const n = (frame[p++] << 24) >> 24;
      if (n >= 0) {
        const count = n + 1;
        if (p + count > end) throw new RleError(`RLE segment ${s + 1} ends inside a literal run`, true);
        for (let k = 0; k < count && written < pixels; k++) { out[o] = frame[p + k]; o += stride; written++; }
        p += count;
      } else if (n !== -128) {
        const count = 1 - n;
        if (p >= end) throw new RleError(`RLE segment ${s + 1} ends inside a replicate run`, true);
        const v = frame[p++];
        for (let k = 0; k < count && written < pixels; k++) { out[o] = v; o += stride; written++; }
      }
    }
    if (written < pixels) throw new RleError(`RLE segment ${s + 1} decodes to ${written} bytes, expected ${pixels}`, true);
  }
  return out;
}
