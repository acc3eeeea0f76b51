import * as dicomParserNs from 'dicom-parser';
import { Decoder as LosslessDecoder } from 'jpeg-lossless-decoder-js';
import { ImportError, checkSize, errorText, internalError, isProgramError } from './errors';
import { decodeRleFrame, RleError } from './rle';
import { CodecLoadError, decodeWithCodec } from './codecs';
import type { DecodedImage } from './types';
import { minMaxWindow, type VoiFunction, type VoiLut, type VoiWindow } from '../intensity';

/**
 * dicom-parser is a UMD/CommonJS bundle. Bundlers (Vite) expose its functions on the namespace;
 * Node's ESM loader (the CLI under tsx) exposes only `default`. Take whichever has parseDicom.
 */
type DicomParserApi = typeof dicomParserNs;
function interop<T>(ns: T, probe: keyof T): T {
  if (typeof (ns as Record<string, unknown>)[probe as string] === 'function') return ns;
  const d = (ns as { default?: unknown }).default as T | undefined;
  if (d && typeof (d as Record<string, unknown>)[probe as string] === 'function') return d;
  const dd = (d as { default?: unknown } | undefined)?.default as T | undefined;
  if (dd && typeof (dd as Record<string, unknown>)[probe as string] === 'function') return dd;
  throw new Error(`the module loader gave no ${String(probe)} for dicom-parser (an installation or bundling problem, not a file problem)`);
}
const dicomParser: DicomParserApi = interop(dicomParserNs, 'parseDicom');

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
  slope: 'x00281053', intercept: 'x00281052', windowCenter: 'x00281050', windowWidth: 'x00281051', voiFunction: 'x00281056',
  voiLutSequence: 'x00283010', lutDescriptor: 'x00283002', lutData: 'x00283006', modality: 'x00080060',
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

interface Header { ds: dicomParserNs.DataSet; littleEndian: boolean; ts: string; g: Geometry; info: DecodedImage['info']; n: number; frame?: Uint8Array; raw?: Int32Array }

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
    if (isProgramError(e)) throw internalError(file, 'DICOM reader', e);
    const msg = errorText(e);
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
    return { ds, littleEndian: ts !== '1.2.840.10008.1.2.2', ts, g, info, n, raw: samplesFromBytes(data, n, samples, bps, ts === '1.2.840.10008.1.2.2' ? 'be' : 'le', planar, photometric) };
  }
  const frame = firstFrame(ds, pixelEl, bytes, file);
  info.compressedBytes = frame.length;
  return { ds, littleEndian: true, ts, g, info, n, frame };
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

  // 4. VOI: the header's first window centre/width (with its VOI LUT Function), else the min-max
  //    of the values; a VOI LUT Sequence, when present, takes precedence (intensity.ts applies it).
  const wc = ds.floatString(T.windowCenter, 0);
  const ww = ds.floatString(T.windowWidth, 0);
  const fnName = (ds.string(T.voiFunction) ?? '').trim().toUpperCase();
  const fn: VoiFunction = fnName === 'LINEAR_EXACT' || fnName === 'SIGMOID' ? fnName : 'LINEAR';
  const usable = wc !== undefined && ww !== undefined && Number.isFinite(wc) && Number.isFinite(ww) && (fn === 'LINEAR' ? ww >= 1 : ww > 0);
  const window: VoiWindow = usable ? { center: wc!, width: ww!, fn, source: 'header' } : minMaxWindow(values);
  if (wc !== undefined && !usable) info.windowIgnored = `${ds.string(T.windowCenter)}/${ds.string(T.windowWidth)}`;
  const voiLut = readVoiLut(ds, file, h.littleEndian);
  const out: DecodedImage = { width: cols, height: rows, pixels, window, format: 'dicom', info };
  if (voiLut) out.voiLut = voiLut;
  if (photometric === 'MONOCHROME1') out.invert = true;
  const identifiers: Record<string, string> = {};
  for (const [k, tag] of Object.entries(IDENTIFIER_TAGS)) {
    const v = ds.elements[tag] ? ds.string(tag) : undefined;
    if (v && v.trim()) identifiers[k] = v.trim();
  }
  if (Object.keys(identifiers).length) out.identifiers = identifiers;
  return out;
}

/** The first item of the VOI LUT Sequence (0028,3010), when there is one. */
function readVoiLut(ds: dicomParserNs.DataSet, file: string, littleEndian: boolean): VoiLut | undefined {
  const item = ds.elements[T.voiLutSequence]?.items?.[0]?.dataSet;
  if (!item) return undefined;
  const desc = item.elements[T.lutDescriptor];
  const dataEl = item.elements[T.lutData];
  const bad = (what: string) => new ImportError('IMPORT_CORRUPT', file, `has a VOI LUT Sequence whose ${what}.`, 'Export the image again, or without its VOI LUT.');
  if (!desc || desc.length < 6 || !dataEl) throw bad('LUT Descriptor (0028,3002) or LUT Data (0028,3006) is missing');
  const entries = item.uint16(T.lutDescriptor, 0) || 65536;
  // The first mapped value is US or SS depending on the pixel representation (PS3.3 C.11.2.1.1).
  const firstU = item.uint16(T.lutDescriptor, 1) ?? 0;
  const firstMapped = (ds.uint16('x00280103') ?? 0) === 1 && firstU >= 32768 ? firstU - 65536 : firstU;
  const bits = item.uint16(T.lutDescriptor, 2) ?? 16;
  if (bits < 1 || bits > 16) throw bad(`LUT Descriptor says ${bits} bits per entry`);
  const bytesPer = bits > 8 || dataEl.length >= entries * 2 ? 2 : 1;
  if (dataEl.length < entries * bytesPer) throw bad(`LUT Data holds ${dataEl.length} bytes for ${entries} entries`);
  const dv = new DataView(item.byteArray.buffer, item.byteArray.byteOffset + dataEl.dataOffset, entries * bytesPer);
  const data = new Uint16Array(entries);
  for (let i = 0; i < entries; i++) data[i] = bytesPer === 2 ? dv.getUint16(2 * i, littleEndian) : dv.getUint8(i);
  return { firstMapped, bits, data };
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
    if (isProgramError(e)) throw internalError(file, 'DICOM reader', e);
    const msg = errorText(e);
    throw new ImportError(/past the end|overread|beyond/i.test(msg) ? 'IMPORT_TRUNCATED' : 'IMPORT_CORRUPT', file, `has encapsulated pixel data that cannot be read (${msg}).`, 'The file is damaged or incomplete; export it again.');
  }
}

interface Geometry { rows: number; cols: number; bitsAllocated: number; bitsStored: number; samples: number; signed: boolean; planar: number; photometric: string; file: string }

const badData = (ts: string, g: Geometry, what: string) =>
  new ImportError('IMPORT_CORRUPT', g.file, `has ${TRANSFER_SYNTAXES[ts]} pixel data that does not match its header: ${what}.`, 'The file is damaged or incomplete; export it again, or convert it to uncompressed DICOM.');

/** A decoder that threw: named, with its message; the file may be valid (a variant the decoder rejects). */
const decoderFailed = (ts: string, g: Geometry, decoder: string, e: unknown) => {
  if (isProgramError(e)) return internalError(g.file, `${decoder} glue`, e);
  if (e instanceof CodecLoadError) return internalError(g.file, 'installation', e);
  return new ImportError('IMPORT_DECODER', g.file, `has ${TRANSFER_SYNTAXES[ts]} pixel data that the ${decoder} could not decode (${errorText(e)}).`, 'Check that the file opens in another DICOM viewer; if it does, convert it to uncompressed DICOM (for example `gdcmconv --raw`) and import that.');
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
      throw decoderFailed(ts, g, 'JPEG lossless decoder (jpeg-lossless-decoder-js)', e);
    }
    return toRaw({ width: g.cols, height: g.rows, components: g.samples, bits: g.bitsAllocated, data }, ts, g);
  }
  return null;
}

type Decoded = { width: number; height: number; components: number; bits: number; data: Uint8Array | Uint16Array | Int16Array };

async function decodeCompressed(ts: string, frame: Uint8Array, g: Geometry): Promise<Int32Array> {
  const sync = decodeCompressedSync(ts, frame, g);
  if (sync) return sync;
  let decoded: Decoded;
  const name = ts === '1.2.840.10008.1.2.4.90' || ts === '1.2.840.10008.1.2.4.91' ? 'OpenJPEG codec' : ts === '1.2.840.10008.1.2.4.80' || ts === '1.2.840.10008.1.2.4.81' ? 'CharLS codec' : 'libjpeg-turbo codec';
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
      // A codec that gives up without throwing returns a 0x0 frame: its failure, not a size mismatch.
      if (!info.width || !info.height) throw new Error('it returned an empty frame');
      const bits = info.bitsPerSample > 8 ? 16 : 8;
      const data = bits === 16 ? new Uint16Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 2)) : bytes;
      decoded = { width: info.width, height: info.height, components: info.componentCount, bits, data };
    }
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw decoderFailed(ts, g, name, e);
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
