/**
 * NumPy .npy reading and writing (format versions 1.0, 2.0, 3.0). Pure; works on bytes.
 * Reads float32/float64/int8..int64/uint8..uint32/bool in either byte order, C or Fortran order
 * (Fortran arrays are returned in C order). Writes little-endian float32, int32 or uint8, C order.
 */
export type NpyData = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | BigInt64Array;

export interface NpyArray {
  shape: number[];
  dtype: string;
  data: NpyData;
}

export class NpyError extends Error {
  readonly code = 'BAD_INPUT_NPY';
  constructor(message: string) {
    super(message);
    this.name = 'NpyError';
  }
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function parseHeader(text: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new NpyError(`the .npy header is not understood: ${text.trim()}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => Number(s.replace(/L$/, '')));
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw new NpyError(`the .npy shape is not valid: (${shapeText})`);
  return { descr, fortran: fortran === 'True', shape };
}

const SIZES: Record<string, number> = { f4: 4, f8: 8, i1: 1, i2: 2, i4: 4, i8: 8, u1: 1, u2: 2, u4: 4, b1: 1 };

/** Parses a .npy file. Throws NpyError naming what is wrong. */
export function readNpy(bytes: Uint8Array, name = 'the file'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new NpyError(`${name} is not a NumPy .npy file (missing the \\x93NUMPY magic)`);
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let offset: number;
  if (major === 1) { headerLen = dv.getUint16(8, true); offset = 10; }
  else if (major === 2 || major === 3) { headerLen = dv.getUint32(8, true); offset = 12; }
  else throw new NpyError(`${name}: .npy format version ${major} is not supported`);
  if (offset + headerLen > bytes.length) throw new NpyError(`${name} is truncated (header)`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(offset, offset + headerLen));
  const { descr, fortran, shape } = parseHeader(header);
  const order = descr[0];
  const kind = descr.slice(1);
  const size = SIZES[kind];
  if (!size || !'<>|='.includes(order)) throw new NpyError(`${name}: dtype '${descr}' is not supported (use float32, float64 or an integer type)`);
  const little = order === '<' || order === '|' || order === '=';
  const n = shape.reduce((a, b) => a * b, 1);
  const start = offset + headerLen;
  if (start + n * size > bytes.length) throw new NpyError(`${name} is truncated: shape (${shape.join(', ')}) needs ${n * size} data bytes, found ${bytes.length - start}`);
  const out = allocate(kind, n);
  const get = getter(kind, dv);
  for (let i = 0; i < n; i++) (out as unknown as Array<number | bigint>)[i] = get(start + i * size, little);
  const data = fortran && shape.length > 1 ? fortranToC(out, shape) : out;
  return { shape, dtype: descr, data };
}

function allocate(kind: string, n: number): NpyData {
  switch (kind) {
    case 'f4': return new Float32Array(n);
    case 'f8': return new Float64Array(n);
    case 'i1': return new Int8Array(n);
    case 'i2': return new Int16Array(n);
    case 'i4': return new Int32Array(n);
    case 'i8': return new BigInt64Array(n);
    case 'u1': case 'b1': return new Uint8Array(n);
    case 'u2': return new Uint16Array(n);
    default: return new Uint32Array(n);
  }
}

function getter(kind: string, dv: DataView): (o: number, le: boolean) => number | bigint {
  switch (kind) {
    case 'f4': return (o, le) => dv.getFloat32(o, le);
    case 'f8': return (o, le) => dv.getFloat64(o, le);
    case 'i1': return (o) => dv.getInt8(o);
    case 'i2': return (o, le) => dv.getInt16(o, le);
    case 'i4': return (o, le) => dv.getInt32(o, le);
    case 'i8': return (o, le) => dv.getBigInt64(o, le);
    case 'u1': case 'b1': return (o) => dv.getUint8(o);
    case 'u2': return (o, le) => dv.getUint16(o, le);
    default: return (o, le) => dv.getUint32(o, le);
  }
}

function fortranToC<T extends NpyData>(src: T, shape: number[]): T {
  const n = src.length;
  const out = new (src.constructor as { new (n: number): T })(n);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  // Fortran strides: first axis fastest.
  const fStride = new Array<number>(rank);
  fStride[0] = 1;
  for (let a = 1; a < rank; a++) fStride[a] = fStride[a - 1] * shape[a - 1];
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let a = 0; a < rank; a++) f += idx[a] * fStride[a];
    (out as unknown as Array<number | bigint>)[c] = (src as unknown as Array<number | bigint>)[f];
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]++;
      if (idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
  return out;
}

/** Values as float64 numbers (for metrics), whatever the stored dtype. */
export function npyToFloat64(a: NpyArray): Float64Array {
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number((a.data as unknown as ArrayLike<number | bigint>)[i]);
  return out;
}

/** Writes a .npy (version 1.0) file, little-endian, C order. */
export function writeNpy(data: Float32Array | Int32Array | Uint8Array | Float64Array, shape: number[]): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new NpyError(`writeNpy: shape (${shape.join(', ')}) holds ${n} values but ${data.length} were given`);
  const descr = data instanceof Float32Array ? '<f4' : data instanceof Float64Array ? '<f8' : data instanceof Int32Array ? '<i4' : '|u1';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  const pad = (64 - (total % 64)) % 64;
  header = header + ' '.repeat(pad) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const body = new DataView(out.buffer, 10 + header.length);
  const size = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) body.setFloat32(i * size, data[i], true);
    else if (data instanceof Float64Array) body.setFloat64(i * size, data[i], true);
    else if (data instanceof Int32Array) body.setInt32(i * size, data[i], true);
    else body.setUint8(i, data[i]);
  }
  return out;
}
