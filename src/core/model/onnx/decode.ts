import protobuf from 'protobufjs';
import { ModelError } from '../manifest';
import { ONNX_PROTO } from './schema';

/**
 * An ONNX model file (a serialized onnx.ModelProto) decoded with protobufjs's schema and wire Reader into plain objects the
 * importer reads: nodes with their attributes, initializers as typed arrays (from raw_data, the
 * typed repeated fields, or an external-data file beside the model), graph inputs and outputs with
 * their declared shapes, and the default-domain opset.
 */

/** Element types the importer reads (TensorProto.DataType numbers). */
const FLOAT = 1, UINT8 = 2, INT8 = 3, INT32 = 6, INT64 = 7, BOOL = 9, FLOAT16 = 10, DOUBLE = 11;

export interface OnnxTensor {
  name: string;
  dims: number[];
  /** Float tensors as Float32Array (float16 and double converted); integer and bool tensors as plain numbers. */
  data: Float32Array | number[];
  dtype: 'float32' | 'int';
}

export type OnnxAttr = number | string | number[] | string[] | OnnxTensor;

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, OnnxAttr>;
}

export interface OnnxValueInfo {
  name: string;
  /** Declared dimensions: a number, or null for a symbolic / unknown one. null when no shape is declared. */
  shape: Array<number | null> | null;
}

export interface OnnxModelProto {
  irVersion: number;
  /** The ai.onnx (default domain) opset version. */
  opset: number;
  producer: string;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** External-data file names the initializers read, for messages and the model-folder reader. */
  externalFiles: string[];
}

/** Resolves an external-data file named in the model (its `location`, relative to the model file). */
export type ExternalDataLookup = (location: string) => Uint8Array | null;

let modelType: protobuf.Type | null = null;
/** The onnx.ModelProto message type (for decoding, and for tests that write models). */
export function modelProtoType(): protobuf.Type {
  if (!modelType) modelType = protobuf.parse(ONNX_PROTO, { keepCase: true }).root.lookupType('onnx.ModelProto');
  return modelType;
}

const PACKABLE = new Set(['double', 'float', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64', 'bool']);

function readScalar(r: protobuf.Reader, type: string): unknown {
  switch (type) {
    case 'double': return r.double();
    case 'float': return r.float();
    case 'int32': return r.int32();
    case 'uint32': return r.uint32();
    case 'sint32': return r.sint32();
    case 'fixed32': return r.fixed32();
    case 'sfixed32': return r.sfixed32();
    case 'int64': return r.int64();
    case 'uint64': return r.uint64();
    case 'sint64': return r.sint64();
    case 'fixed64': return r.fixed64();
    case 'sfixed64': return r.sfixed64();
    case 'bool': return r.bool();
    case 'string': return r.string();
    case 'bytes': return r.bytes();
    default: throw new Error(`field type ${type} is not a scalar`);
  }
}

/**
 * One message read from the wire by walking the parsed schema's fields (field number -> name and
 * type): plain objects keyed by the .proto's field names, unknown fields skipped. protobufjs's own
 * Type.decode compiles a decoder with `new Function`, which the app's Content Security Policy (no
 * 'unsafe-eval') forbids in the browser; this reads the same wire format with its Reader only.
 */
function readMessage(type: protobuf.Type, r: protobuf.Reader, end: number): Raw {
  const out: Raw = {};
  const byId = type.fieldsById;
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    const field = byId[tag >>> 3];
    if (!field) { r.skipType(wire); continue; }
    const resolved = field.resolve().resolvedType;
    const one = (): unknown => {
      if (resolved instanceof protobuf.Type) { const len = r.uint32(); return readMessage(resolved, r, r.pos + len); }
      if (resolved instanceof protobuf.Enum) return r.int32();
      return readScalar(r, field.type);
    };
    if (field.repeated) {
      const list = (out[field.name] ??= []) as unknown[];
      if (wire === 2 && (resolved instanceof protobuf.Enum || (!resolved && PACKABLE.has(field.type)))) {
        const e = r.uint32() + r.pos;
        while (r.pos < e) list.push(resolved ? r.int32() : readScalar(r, field.type));
      } else list.push(one());
    } else out[field.name] = one();
  }
  if (r.pos !== end) throw new Error(`a ${type.name} message runs past its end`);
  return out;
}

/** int64 fields come as Long objects (protobufjs with long.js) or numbers. */
function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v);
}

type Raw = Record<string, unknown>;
const arr = <T = unknown>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (m / 1024);
  if (e === 31) return m ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + m / 1024);
}

function fromBytes(bytes: Uint8Array, dtype: number, count: number, where: string): Float32Array | number[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = { [FLOAT]: 4, [UINT8]: 1, [INT8]: 1, [INT32]: 4, [INT64]: 8, [BOOL]: 1, [FLOAT16]: 2, [DOUBLE]: 8 }[dtype];
  if (!size) throw new ModelError('BAD_INPUT_ONNX_DTYPE', `${where}: tensor element type ${dtype} is not supported (float32, float16, double, int64, int32, int8, uint8 and bool are)`);
  if (bytes.byteLength < count * size) throw new ModelError('BAD_INPUT_ONNX_TENSOR', `${where}: ${bytes.byteLength} bytes of data for ${count} elements of ${size} bytes; the data is truncated`);
  if (dtype === FLOAT) {
    if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + count * 4) as ArrayBuffer);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = dv.getFloat32(i * 4, true);
    return out;
  }
  if (dtype === FLOAT16 || dtype === DOUBLE) {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = dtype === DOUBLE ? dv.getFloat64(i * 8, true) : f16ToF32(dv.getUint16(i * 2, true));
    return out;
  }
  const out: number[] = new Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = dtype === INT64 ? Number(dv.getBigInt64(i * 8, true)) : dtype === INT32 ? dv.getInt32(i * 4, true) : dtype === INT8 ? dv.getInt8(i) : dv.getUint8(i);
  }
  return out;
}

function readTensor(t: Raw, where: string, external: ExternalDataLookup | undefined, externalFiles: Set<string>): OnnxTensor {
  const name = String(t.name ?? '');
  const dims = arr(t.dims).map(num);
  const dtype = num(t.data_type ?? 0);
  const count = dims.reduce((a, b) => a * b, 1);
  const label = `${where}: tensor "${name}"`;
  const isFloat = dtype === FLOAT || dtype === FLOAT16 || dtype === DOUBLE;
  let data: Float32Array | number[];
  if (num(t.data_location ?? 0) === 1) {
    const info = new Map(arr<Raw>(t.external_data).map((e) => [String(e.key), String(e.value)]));
    const location = info.get('location');
    if (!location) throw new ModelError('BAD_INPUT_ONNX_TENSOR', `${label} is stored externally but names no file (external_data "location")`);
    externalFiles.add(location);
    const file = external?.(location) ?? null;
    if (!file) throw new ModelError('BAD_INPUT_ONNX_EXTERNAL_DATA', `${label}: its weights are in the external-data file "${location}", which is not among the files; choose it together with the .onnx file`);
    const offset = Number(info.get('offset') ?? 0);
    const length = info.has('length') ? Number(info.get('length')) : file.byteLength - offset;
    if (offset + length > file.byteLength) throw new ModelError('BAD_INPUT_ONNX_EXTERNAL_DATA', `${label}: reads bytes ${offset}..${offset + length} of "${location}", which holds ${file.byteLength} bytes; the file is truncated or from another export`);
    data = fromBytes(file.subarray(offset, offset + length), dtype, count, label);
  } else if (t.raw_data instanceof Uint8Array && t.raw_data.byteLength > 0) {
    data = fromBytes(t.raw_data, dtype, count, label);
  } else if (dtype === FLOAT) {
    data = Float32Array.from(arr<number>(t.float_data));
  } else if (dtype === DOUBLE) {
    data = Float32Array.from(arr<number>(t.double_data));
  } else if (dtype === INT64) {
    data = arr(t.int64_data).map(num);
  } else if (dtype === FLOAT16) {
    data = Float32Array.from(arr<number>(t.int32_data), f16ToF32);
  } else if ([INT32, INT8, UINT8, BOOL].includes(dtype)) {
    data = arr(t.int32_data).map(num);
  } else {
    throw new ModelError('BAD_INPUT_ONNX_DTYPE', `${label}: element type ${dtype} is not supported (float32, float16, double, int64, int32, int8, uint8 and bool are)`);
  }
  if (data.length !== count) throw new ModelError('BAD_INPUT_ONNX_TENSOR', `${label} has shape [${dims.join(', ')}] (${count} elements) but holds ${data.length}`);
  return { name, dims, data, dtype: isFloat ? 'float32' : 'int' };
}

function readAttr(a: Raw, where: string, external: ExternalDataLookup | undefined, ext: Set<string>): OnnxAttr {
  const dec = new TextDecoder();
  switch (num(a.type ?? 0)) {
    case 1: return Number(a.f ?? 0);
    case 2: return num(a.i ?? 0);
    case 3: return dec.decode(a.s as Uint8Array);
    case 4: return readTensor(a.t as Raw, where, external, ext);
    case 6: return arr<number>(a.floats).map(Number);
    case 7: return arr(a.ints).map(num);
    case 8: return arr<Uint8Array>(a.strings).map((s) => dec.decode(s));
    default:
      // proto files older than the "type" field: the first field set decides.
      if (a.t) return readTensor(a.t as Raw, where, external, ext);
      if (arr(a.ints).length) return arr(a.ints).map(num);
      if (arr(a.floats).length) return arr<number>(a.floats).map(Number);
      if (a.s instanceof Uint8Array && a.s.byteLength) return dec.decode(a.s);
      if (a.i !== undefined && num(a.i) !== 0) return num(a.i);
      return Number(a.f ?? 0);
  }
}

function valueInfo(v: Raw): OnnxValueInfo {
  const tt = ((v.type as Raw | undefined)?.tensor_type ?? null) as Raw | null;
  const dims = (tt?.shape as Raw | undefined)?.dim;
  const shape = Array.isArray(dims)
    ? (dims as Raw[]).map((d) => (d.dim_value !== undefined && d.dim_value !== null && num(d.dim_value) > 0 ? num(d.dim_value) : null))
    : null;
  return { name: String(v.name ?? ''), shape };
}

/** Decodes an ONNX model file. `where` names it in messages; `external` finds external-data files. */
export function decodeOnnx(bytes: Uint8Array, where: string, external?: ExternalDataLookup): OnnxModelProto {
  let m: Raw;
  try {
    m = readMessage(modelProtoType(), protobuf.Reader.create(bytes), bytes.length);
  } catch (e) {
    throw new ModelError('BAD_INPUT_ONNX', `${where}: not an ONNX model (the protobuf could not be decoded: ${(e as Error).message})`);
  }
  const g = m.graph as Raw | undefined;
  if (!g || !arr(g.node).length) throw new ModelError('BAD_INPUT_ONNX', `${where}: the ONNX file holds no graph (no nodes); is it an ONNX model exported with torch.onnx.export?`);
  const opsets = arr<Raw>(m.opset_import);
  const main = opsets.find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = main ? num(main.version) : 1;
  const ext = new Set<string>();
  const initializers = new Map<string, OnnxTensor>();
  for (const t of arr<Raw>(g.initializer)) {
    const tensor = readTensor(t, where, external, ext);
    initializers.set(tensor.name, tensor);
  }
  const nodes: OnnxNode[] = arr<Raw>(g.node).map((n, i) => {
    const name = String(n.name || `${n.op_type}_${i}`);
    const attrs: Record<string, OnnxAttr> = {};
    for (const a of arr<Raw>(n.attribute)) attrs[String(a.name)] = readAttr(a, `${where}: node "${name}"`, external, ext);
    return { name, opType: String(n.op_type), domain: String(n.domain ?? ''), inputs: arr<string>(n.input).map(String), outputs: arr<string>(n.output).map(String), attrs };
  });
  // Inputs also list initializers in older exports (IR < 4): the graph's real inputs are the rest.
  const inputs = arr<Raw>(g.input).map(valueInfo).filter((v) => !initializers.has(v.name));
  return {
    irVersion: num(m.ir_version ?? 0),
    opset,
    producer: `${m.producer_name ?? ''} ${m.producer_version ?? ''}`.trim(),
    nodes,
    initializers,
    inputs,
    outputs: arr<Raw>(g.output).map(valueInfo),
    externalFiles: [...ext],
  };
}
