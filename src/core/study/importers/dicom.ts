import * as dicomParserNs from 'dicom-parser';

// dicom-parser is a UMD bundle: bundlers and vitest give its functions on the namespace, plain
// Node ESM (tsx: the CLI, the benches) under `default`. One object either way.
const dicomParser: typeof dicomParserNs = (dicomParserNs as { parseDicom?: unknown }).parseDicom ? dicomParserNs : (dicomParserNs as unknown as { default: typeof dicomParserNs }).default;
import { Decoder as LosslessDecoder } from 'jpeg-lossless-decoder-js';
import { ImportError, checkSize } from './errors';
import { decodeRleFrame, RleError } from './rle';
import { decodeWithCodec } from './codecs';
import type { DecodedImage } from './types';

export const isDicom = (b: Uint8Array) => b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d;

/** Transfer syntaxes decoded here, by UID. */
export const TRANSFER_SYNTAXES: Record<string, string> = {
  '1.2.840.10008.1.2': 'Implicit VR Little Endian',
  '1.2.840.10008.1.2.1': 'Explicit VR Little Endian',
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline (8-bit)',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended (8-bit only)',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless (process 14)',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless (process 14, SV1)',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
};

/** Patient and study identifiers kept apart from the image (never exported unless asked for). */
export const IDENTIFIER_TAGS: Record<string, string> = {
  PatientName: 'x00100010',
  PatientID: 'x00100020',
  PatientBirthDate: 'x00100030',
  PatientSex: 'x00100040',
  PatientAge: 'x00101010',
  OtherPatientIDs: 'x00101000',
  PatientAddress: 'x00101040',
  AccessionNumber: 'x00080050',
  InstitutionName: 'x00080080',
  ReferringPhysicianName: 'x00080090',
  StudyDate: 'x00080020',
  StudyTime: 'x00080030',
  StudyID: 'x00200010',
  StudyInstanceUID: 'x0020000d',
  SeriesInstanceUID: 'x0020000e',
  SOPInstanceUID: 'x00080018',
};

const T = {
  transferSyntax: 'x00020010', rows: 'x00280010', columns: 'x00280011', bitsAllocated: 'x00280100', bitsStored: 'x00280101',
  pixelRepresentation: 'x00280103', samples: 'x00280002', photometric: 'x00280004', planar: 'x00280006', frames: 'x00280008',
  slope: 'x00281053', intercept: 'x00281052', windowCenter: 'x00281050', windowWidth: 'x00281051', modality: 'x00080060',
  bodyPart: 'x00180015', pixelData: 'x7fe00010',
};

const todoConvert = 'Convert it to uncompressed DICOM (for example `dcmdjpeg` or `gdcmconv --raw`) or to PNG, then import it again.';

/**
 * Decodes the first frame of a DICOM Part 10 file to grayscale at full resolution: rescale slope and
 * intercept applied (the result is Float32 unless it stays integral in 0..65535), the file's first
 * window centre/width as the default window, MONOCHROME1 flagged `invert`.
 */
export async function decodeDicomImage(bytes: Uint8Array, file: string): Promise<DecodedImage> {
  const h = readHeader(bytes, file);
  const raw = h.frame ? await decodeCompressed(h.ts, h.frame, h.g) : h.raw!;
  return finish(h, raw);
}

/** The same without the wasm codecs (uncompressed, RLE, JPEG lossless): for synchronous callers (the CLI's loadImage). */
export function decodeDicomImageSync(bytes: Uint8Array, file: string): DecodedImage {
  const h = readHeader(bytes, file);
  if (!h.frame) return finish(h, h.raw!);
  const raw = decodeCompressedSync(h.ts, h.frame, h.g);
  if (!raw) throw new ImportError('IMPORT_UNSUPPORTED', file, `is ${TRANSFER_SYNTAXES[h.ts]}, which needs the asynchronous (wasm) decoder.`, 'Use decodeDicomImage (async) for this file.');
  return finish(h, raw);
}

interface Header { ds: dicomParserNs.DataSet; ts: string; g: Geometry; info: DecodedImage['info']; n: number; frame?: Uint8Array; raw?: Int32Array }

/** DICOM usually needs a wasm codec only for these transfer syntaxes. */
export const needsWasm = (ts: string) => /^1\.2\.840\.10008\.1\.2\.4\.(50|51|80|81|90|91)$/.test(ts);

function readHeader(bytes: Uint8Array, file: string): Header {
  if (!isDicom(bytes)) throw new ImportError('IMPORT_UNREADABLE', file, 'is not a DICOM Part 10 file (no "DICM" at byte 128).', 'Choose a PNG, JPEG or DICOM file; raw DICOM without the Part 10 header needs converting first.');
  let ds: dicomParserNs.DataSet;
  let ts = '1.2.840.10008.1.2';
  try {
    ts = dicomParser.readPart10Header(bytes).string(T.transferSyntax)?.trim() || ts;
  } catch {
    /* the full parse below reports it */
  }
  if (!(ts in TRANSFER_SYNTAXES)) {
    throw new ImportError('IMPORT_UNSUPPORTED', file, `uses transfer syntax ${ts}, which this importer does not decode (it decodes: ${Object.values(TRANSFER_SYNTAXES).join(', ')}).`, todoConvert);
  }
  try {
    ds = dicomParser.parseDicom(bytes);
  } catch (e) {
    const msg = typeof e === 'string' ? e : (e as Error)?.message ?? (e as { exception?: string })?.exception ?? String(e);
    const truncated = /buffer overread|overrun|beyond|end of|past end/i.test(msg);
    throw new ImportError(truncated ? 'IMPORT_TRUNCATED' : 'IMPORT_CORRUPT', file, `could not be parsed as DICOM (${msg}).`, truncated ? 'The file is incomplete; copy or export it again.' : 'The file is damaged; export it again from the PACS or viewer.');
  }
  const rows = ds.uint16(T.rows) ?? 0;
  const cols = ds.uint16(T.columns) ?? 0;
  const bitsAllocated = ds.uint16(T.bitsAllocated) ?? 0;
  const bitsStored = ds.uint16(T.bitsStored) ?? bitsAllocated;
  const signed = (ds.uint16(T.pixelRepresentation) ?? 0) === 1;
  const samples = ds.uint16(T.samples) ?? 1;
  const photometric = (ds.string(T.photometric) ?? 'MONOCHROME2').trim().toUpperCase();
  const planar = ds.uint16(T.planar) ?? 0;
  const pixelEl = ds.elements[T.pixelData];
  if (!pixelEl) throw new ImportError('IMPORT_UNSUPPORTED', file, 'has no pixel data (7FE0,0010): it is not an image (a report, a structured document or a presentation state?).', 'Import the image files of the study, not this one.');
  if (!rows || !cols) throw new ImportError('IMPORT_CORRUPT', file, `has no valid Rows/Columns (found ${rows}x${cols}).`, 'The file is damaged; export it again.');
  checkSize(file, cols, rows);
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw new ImportError('IMPORT_UNSUPPORTED', file, `has ${bitsAllocated} bits allocated per sample; 8 and 16 are supported.`, todoConvert);
  }
  if (bitsStored < 1 || bitsStored > bitsAllocated) throw new ImportError('IMPORT_CORRUPT', file, `says ${bitsStored} bits stored in ${bitsAllocated} allocated.`, 'The file is damaged; export it again.');
  if (samples !== 1 && samples !== 3) throw new ImportError('IMPORT_UNSUPPORTED', file, `has ${samples} samples per pixel; 1 (grey) or 3 (colour) are supported.`, todoConvert);
  if (photometric.startsWith('PALETTE')) throw new ImportError('IMPORT_UNSUPPORTED', file, 'uses a palette colour lookup table (PALETTE COLOR).', todoConvert);

  const n = rows * cols;
  const info: DecodedImage['info'] = {
    transferSyntax: ts, transferSyntaxName: TRANSFER_SYNTAXES[ts], bitsAllocated, bitsStored, signed, photometric,
  };
  const modality = ds.string(T.modality);
  if (modality) info.modality = modality;
  const bodyPart = ds.string(T.bodyPart);
  if (bodyPart) info.bodyPart = bodyPart.trim();

  // 1. raw sample values (one per pixel after colour reduction), as numbers
  const g: Geometry = { rows, cols, bitsAllocated, bitsStored, samples, signed, planar, photometric, file };
  const encapsulated = pixelEl.encapsulatedPixelData || (pixelEl.fragments?.length ?? 0) > 0 || (ts !== '1.2.840.10008.1.2' && ts !== '1.2.840.10008.1.2.1' && ts !== '1.2.840.10008.1.2.2');
  if (!encapsulated) {
    const bps = bitsAllocated / 8;
    const need = n * samples * bps;
    if (pixelEl.dataOffset + need > bytes.length || pixelEl.length < need) {
      throw new ImportError('IMPORT_TRUNCATED', file, `holds ${Math.min(pixelEl.length, bytes.length - pixelEl.dataOffset)} bytes of pixel data; ${cols}x${rows}x${samples} samples of ${bitsAllocated} bits need ${need}.`, 'The file is incomplete; copy or export it again.');
    }
    const data = bytes.subarray(pixelEl.dataOffset, pixelEl.dataOffset + need);
    return { ds, ts, g, info, n, raw: samplesFromBytes(data, n, samples, bps, ts === '1.2.840.10008.1.2.2' ? 'be' : 'le', planar, photometric) };
  }
  const frame = firstFrame(ds, pixelEl, bytes, file);
  info.compressedBytes = frame.length;
  return { ds, ts, g, info, n, frame };
}

function finish(h: Header, raw: Int32Array): DecodedImage {
  const { ds, n, info, file } = { ...h, file: h.g.file };
  const { bitsStored, signed, samples, photometric, rows, cols } = h.g;

  // 2. bits stored and sign
  if (bitsStored < 32 && !(photometric.startsWith('YBR') || samples === 3)) {
    const mask = bitsStored >= 31 ? -1 : (1 << bitsStored) - 1;
    const sign = 1 << (bitsStored - 1);
    for (let i = 0; i < n; i++) {
      let v = raw[i] & mask;
      if (signed && v & sign) v -= 1 << bitsStored;
      raw[i] = v;
    }
  }

  // 3. rescale (modality LUT)
  const slope = ds.floatString(T.slope) ?? 1;
  const intercept = ds.floatString(T.intercept) ?? 0;
  if (!Number.isFinite(slope) || !Number.isFinite(intercept)) throw new ImportError('IMPORT_CORRUPT', file, `has a rescale slope/intercept that is not a number (${ds.string(T.slope)}, ${ds.string(T.intercept)}).`, 'The file is damaged; export it again.');
  if (slope !== 1 || intercept !== 0) { info.rescaleSlope = slope; info.rescaleIntercept = intercept; }
  let min = Infinity, max = -Infinity, integral = Number.isInteger(slope) && Number.isInteger(intercept);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = raw[i] * slope + intercept;
    values[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!integral) {
    integral = true;
    for (let i = 0; i < n; i++) if (!Number.isInteger(values[i])) { integral = false; break; }
  }
  let pixels: Uint8Array | Uint16Array | Float32Array;
  if (integral && min >= 0 && max <= 255 && bitsStored <= 8) pixels = Uint8Array.from(values);
  else if (integral && min >= 0 && max <= 65535) pixels = Uint16Array.from(values);
  else pixels = Float32Array.from(values);

  // 4. window (first value of a multi-valued centre/width), else the data range
  const wc = ds.floatString(T.windowCenter, 0);
  const ww = ds.floatString(T.windowWidth, 0);
  const window = wc !== undefined && ww !== undefined && Number.isFinite(wc) && Number.isFinite(ww) && ww > 0
    ? { center: wc, width: ww }
    : { center: (min + max) / 2, width: Math.max(1, max - min) };
  const out: DecodedImage = { width: cols, height: rows, pixels, window, format: 'dicom', info };
  if (photometric === 'MONOCHROME1') out.invert = true;
  const identifiers: Record<string, string> = {};
  for (const [k, tag] of Object.entries(IDENTIFIER_TAGS)) {
    const v = ds.elements[tag] ? ds.string(tag) : undefined;
    if (v && v.trim()) identifiers[k] = v.trim();
  }
  if (Object.keys(identifiers).length) out.identifiers = identifiers;
  return out;
}

function samplesFromBytes(data: Uint8Array, n: number, samples: number, bps: number, order: 'le' | 'be', planar: number, photometric: string): Int32Array {
  const raw = new Int32Array(n);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const read = bps === 1 ? (i: number) => data[i] : order === 'le' ? (i: number) => dv.getUint16(2 * i, true) : (i: number) => dv.getUint16(2 * i, false);
  if (samples === 1) {
    for (let i = 0; i < n; i++) raw[i] = read(i);
    return raw;
  }
  const at = (p: number, c: number) => (planar === 1 ? read(c * n + p) : read(p * 3 + c));
  const ybr = photometric.startsWith('YBR');
  for (let p = 0; p < n; p++) raw[p] = ybr ? at(p, 0) : Math.round((at(p, 0) + at(p, 1) + at(p, 2)) / 3);
  return raw;
}

function firstFrame(ds: dicomParserNs.DataSet, el: dicomParserNs.Element, bytes: Uint8Array, file: string): Uint8Array {
  try {
    const fragments = el.fragments ?? [];
    if (!fragments.length) throw new Error('no fragments in the encapsulated pixel data');
    for (const f of fragments) if (f.position + f.length > bytes.length) throw new Error('a fragment runs past the end of the file');
    const frames = parseInt(ds.string(T.frames) ?? '1', 10) || 1;
    if (frames <= 1) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, fragments.length) as Uint8Array;
    const table = el.basicOffsetTable?.length ? el.basicOffsetTable : dicomParser.createJPEGBasicOffsetTable(ds, el);
    return dicomParser.readEncapsulatedImageFrame(ds, el, 0, table) as Uint8Array;
  } catch (e) {
    const msg = typeof e === 'string' ? e : (e as Error)?.message ?? String(e);
    throw new ImportError(/past the end|overread|beyond/i.test(msg) ? 'IMPORT_TRUNCATED' : 'IMPORT_CORRUPT', file, `has encapsulated pixel data that cannot be read (${msg}).`, 'The file is damaged or incomplete; export it again.');
  }
}

interface Geometry { rows: number; cols: number; bitsAllocated: number; bitsStored: number; samples: number; signed: boolean; planar: number; photometric: string; file: string }

const badData = (ts: string, g: Geometry, what: string, e?: unknown) => {
  const msg = e === undefined ? '' : ` (${typeof e === 'string' ? e : (e as Error)?.message ?? String(e)})`;
  return new ImportError('IMPORT_CORRUPT', g.file, `has ${TRANSFER_SYNTAXES[ts]} pixel data that could not be decoded: ${what}${msg}.`, 'The file is damaged or incomplete; export it again, or convert it to uncompressed DICOM.');
};

/** RLE and JPEG lossless (pure JS); null for the syntaxes that need a wasm codec. */
function decodeCompressedSync(ts: string, frame: Uint8Array, g: Geometry): Int32Array | null {
  const n = g.rows * g.cols;
  if (ts === '1.2.840.10008.1.2.5') {
    let bytes: Uint8Array;
    try {
      bytes = decodeRleFrame(frame, n, g.bitsAllocated / 8, g.samples);
    } catch (e) {
      if (e instanceof RleError) throw new ImportError(e.truncated ? 'IMPORT_TRUNCATED' : 'IMPORT_CORRUPT', g.file, `has RLE pixel data that could not be decoded: ${e.message}.`, 'The file is damaged or incomplete; export it again.');
      throw e;
    }
    return samplesFromBytes(bytes, n, g.samples, g.bitsAllocated / 8, 'le', 0, g.photometric);
  }
  if (ts === '1.2.840.10008.1.2.4.57' || ts === '1.2.840.10008.1.2.4.70') {
    let data: Uint8Array | Uint16Array | Int16Array;
    try {
      data = new LosslessDecoder().decode(frame.slice().buffer, 0, frame.length, g.bitsAllocated / 8);
    } catch (e) {
      throw badData(ts, g, 'the JPEG lossless decoder failed', e);
    }
    return toRaw({ width: g.cols, height: g.rows, components: g.samples, bits: g.bitsAllocated, data }, ts, g);
  }
  return null;
}

type Decoded = { width: number; height: number; components: number; bits: number; data: Uint8Array | Uint16Array | Int16Array };

async function decodeCompressed(ts: string, frame: Uint8Array, g: Geometry): Promise<Int32Array> {
  const sync = decodeCompressedSync(ts, frame, g);
  if (sync) return sync;
  const bad = (what: string, e?: unknown) => badData(ts, g, what, e);
  let decoded: Decoded;
  try {
    {
      const [codec, cls] = ts === '1.2.840.10008.1.2.4.90' || ts === '1.2.840.10008.1.2.4.91'
        ? (['openjpeg', 'J2KDecoder'] as const)
        : ts === '1.2.840.10008.1.2.4.80' || ts === '1.2.840.10008.1.2.4.81'
          ? (['charls', 'JpegLSDecoder'] as const)
          : (['libjpeg', 'JPEGDecoder'] as const);
      if (codec === 'libjpeg' && g.bitsAllocated !== 8) {
        throw new ImportError('IMPORT_UNSUPPORTED', g.file, `is ${TRANSFER_SYNTAXES[ts]} with ${g.bitsStored}-bit samples; only 8-bit JPEG baseline is decoded.`, todoConvert);
      }
      const { info, bytes } = await decodeWithCodec(codec, cls, frame);
      const bits = info.bitsPerSample > 8 ? 16 : 8;
      const data = bits === 16 ? new Uint16Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 2)) : bytes;
      decoded = { width: info.width, height: info.height, components: info.componentCount, bits, data };
    }
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw bad('the codec failed', e);
  }
  return toRaw(decoded, ts, g);
}

function toRaw(decoded: Decoded, ts: string, g: Geometry): Int32Array {
  const n = g.rows * g.cols;
  const bad = (what: string) => badData(ts, g, what);
  if (decoded.width !== g.cols || decoded.height !== g.rows) throw bad(`the compressed image is ${decoded.width}x${decoded.height}, the header says ${g.cols}x${g.rows}`);
  if (decoded.data.length < n * decoded.components) throw bad(`the codec returned ${decoded.data.length} samples for ${n * decoded.components}`);
  const raw = new Int32Array(n);
  const d = decoded.data;
  if (decoded.components === 1) for (let i = 0; i < n; i++) raw[i] = d[i];
  else {
    // Codecs return interleaved colour (RGB after the JPEG colour transform): use the mean.
    const c = decoded.components;
    for (let i = 0; i < n; i++) raw[i] = Math.round((d[i * c] + d[i * c + 1] + d[i * c + 2]) / 3);
  }
  return raw;
}
