import { fromBase64, toBase64 } from './base64';

/**
 * JSON for stored values that may hold typed arrays (saliency maps in results): a typed array
 * becomes {"$typed": "Float32Array", "base64": "..."} (little-endian bytes) and comes back as one.
 */
const TYPED = { Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array, Float32Array, Float64Array, Uint8ClampedArray } as const;
type TypedName = keyof typeof TYPED;

export function encodeValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const name = v.constructor.name as TypedName;
    if (name in TYPED) return { $typed: name, base64: toBase64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
  }
  if (v instanceof ArrayBuffer) return { $typed: 'ArrayBuffer', base64: toBase64(new Uint8Array(v)) };
  if (Array.isArray(v)) return v.map(encodeValue);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v as object).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = encodeValue(x);
  }
  return out;
}

export function decodeValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(decodeValue);
  const o = v as Record<string, unknown>;
  if (typeof o.$number === 'string' && Object.keys(o).length === 1) return Number(o.$number);
  if (typeof o.$typed === 'string' && typeof o.base64 === 'string') {
    const bytes = fromBase64(o.base64);
    if (o.$typed === 'ArrayBuffer') return bytes.slice().buffer;
    const Ctor = TYPED[o.$typed as TypedName];
    if (Ctor) {
      const copy = bytes.slice();
      return new Ctor(copy.buffer, 0, copy.byteLength / Ctor.BYTES_PER_ELEMENT);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = decodeValue(x);
  return out;
}
