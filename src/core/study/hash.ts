/** SHA-256 of bytes as lowercase hex, via WebCrypto (browser, worker and Node 20 alike). */
export async function sha256Hex(bytes: Uint8Array | ArrayBuffer): Promise<string> {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  // crypto.subtle wants a BufferSource backed by an ArrayBuffer (not a SharedArrayBuffer).
  const data = view.buffer instanceof ArrayBuffer ? view : new Uint8Array(view);
  const digest = await globalThis.crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
  const out = new Uint8Array(digest);
  let s = '';
  for (let i = 0; i < out.length; i++) s += out[i].toString(16).padStart(2, '0');
  return s;
}

/**
 * The content hash of a decoded image: SHA-256 of its pixel bytes (platform order, little-endian
 * everywhere we run). Two files that decode to the same pixels have the same hash; cases match
 * across exports by it.
 */
export function pixelHash(pixels: Uint8Array | Uint16Array | Float32Array): Promise<string> {
  return sha256Hex(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
}
