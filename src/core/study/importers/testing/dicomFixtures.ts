/**
 * Test fixtures made in the test (never patient files): DICOM Part 10 files written with dcmjs,
 * compressed frames from the codecs' own encoders (OpenJPEG, libjpeg-turbo, CharLS), and two small
 * independent encoders written here from the standards: DICOM RLE (PS3.5 Annex G, PackBits) and
 * JPEG lossless (ITU T.81 process 14, predictor 1, one fixed-length Huffman table).
 */
import dcmjs from 'dcmjs';
import { createRequire } from 'node:module';
import { encode as encodeJpegJs } from 'jpeg-js';

const require = createRequire(import.meta.url);

export interface DicomSpec {
  rows: number;
  cols: number;
  /** Stored values (before rescale), one per pixel (or 3 per pixel when samples = 3). */
  values: ArrayLike<number>;
  bitsAllocated?: 8 | 16;
  bitsStored?: number;
  signed?: boolean;
  samples?: 1 | 3;
  photometric?: string;
  transferSyntax?: string;
  /** Compressed frame (for encapsulated syntaxes); else values are written natively. */
  frame?: Uint8Array;
  slope?: number;
  intercept?: number;
  window?: [number, number] | [number[], number[]];
  patient?: { name?: string; id?: string; birthDate?: string };
  bodyPart?: string;
}

export const TS = {
  implicitLE: '1.2.840.10008.1.2',
  explicitLE: '1.2.840.10008.1.2.1',
  explicitBE: '1.2.840.10008.1.2.2',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegLossless: '1.2.840.10008.1.2.4.70',
  jpegLS: '1.2.840.10008.1.2.4.80',
  j2kLossless: '1.2.840.10008.1.2.4.90',
  rle: '1.2.840.10008.1.2.5',
  deflate: '1.2.840.10008.1.2.1.99',
};

/** Native pixel bytes: little-endian, or big-endian for Explicit VR Big Endian (dcmjs writes OW bytes as given). */
export function nativeBytes(values: ArrayLike<number>, bitsAllocated: 8 | 16, bigEndian = false): Uint8Array {
  if (bitsAllocated === 8) return Uint8Array.from(values, (v) => v & 0xff);
  const out = new Uint8Array(values.length * 2);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) dv.setUint16(2 * i, values[i] & 0xffff, !bigEndian);
  return out;
}

export function writeDicom(spec: DicomSpec): Uint8Array {
  const { DicomDict, DicomMetaDictionary } = (dcmjs as unknown as { data: { DicomDict: new (m: unknown) => { dict: unknown; write(): ArrayBuffer }; DicomMetaDictionary: { denaturalizeDataset(d: unknown): unknown } } }).data;
  const ts = spec.transferSyntax ?? TS.explicitLE;
  const bitsAllocated = spec.bitsAllocated ?? 16;
  const samples = spec.samples ?? 1;
  const uid = '1.2.826.0.1.3680043.2.1125.1.99';
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
    MediaStorageSOPInstanceUID: uid,
    TransferSyntaxUID: ts,
    ImplementationClassUID: '1.2.826.0.1.3680043.2.1125.1',
  };
  const pixelBytes = spec.frame ?? nativeBytes(spec.values, bitsAllocated, ts === TS.explicitBE);
  const ds: Record<string, unknown> = {
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
    SOPInstanceUID: uid,
    Modality: 'DX',
    Rows: spec.rows,
    Columns: spec.cols,
    BitsAllocated: bitsAllocated,
    BitsStored: spec.bitsStored ?? bitsAllocated,
    HighBit: (spec.bitsStored ?? bitsAllocated) - 1,
    PixelRepresentation: spec.signed ? 1 : 0,
    SamplesPerPixel: samples,
    PhotometricInterpretation: spec.photometric ?? (samples === 3 ? 'RGB' : 'MONOCHROME2'),
    PixelData: [pixelBytes.slice().buffer],
    _vrMap: { PixelData: spec.frame || bitsAllocated === 8 ? 'OB' : 'OW' },
  };
  if (samples === 3) ds.PlanarConfiguration = 0;
  if (spec.slope !== undefined) ds.RescaleSlope = String(spec.slope);
  if (spec.intercept !== undefined) ds.RescaleIntercept = String(spec.intercept);
  if (spec.window) { ds.WindowCenter = spec.window[0]; ds.WindowWidth = spec.window[1]; }
  if (spec.patient?.name) ds.PatientName = spec.patient.name;
  if (spec.patient?.id) ds.PatientID = spec.patient.id;
  if (spec.patient?.birthDate) ds.PatientBirthDate = spec.patient.birthDate;
  if (spec.bodyPart) ds.BodyPartExamined = spec.bodyPart;
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(ds);
  return new Uint8Array(dict.write());
}

/** DICOM RLE (PS3.5 Annex G): one PackBits segment per byte plane, most significant byte first. */
export function encodeRle(values: ArrayLike<number>, bytesPerSample: 1 | 2): Uint8Array {
  const planes: Uint8Array[] = [];
  for (let b = bytesPerSample - 1; b >= 0; b--) planes.push(Uint8Array.from(values, (v) => (v >> (8 * b)) & 0xff));
  const segs = planes.map(packBits);
  const header = new Uint8Array(64);
  const dv = new DataView(header.buffer);
  dv.setUint32(0, segs.length, true);
  let off = 64;
  segs.forEach((s, i) => { dv.setUint32(4 + 4 * i, off, true); off += s.length; });
  const out = new Uint8Array(off + (off % 2));
  out.set(header);
  let p = 64;
  for (const s of segs) { out.set(s, p); p += s.length; }
  return out;
}

function packBits(src: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < src.length) {
    let run = 1;
    while (i + run < src.length && run < 128 && src[i + run] === src[i]) run++;
    if (run >= 3) { out.push(257 - run, src[i]); i += run; continue; } // -(run-1) as a byte
    const start = i;
    let lit = 0;
    while (i < src.length && lit < 128) {
      if (i + 2 < src.length && src[i] === src[i + 1] && src[i] === src[i + 2]) break;
      i++; lit++;
    }
    out.push(lit - 1, ...src.subarray(start, start + lit));
  }
  return Uint8Array.from(out);
}

/**
 * JPEG lossless (T.81 process 14, SOF3), one component, predictor 1 (left; the first row and column
 * as T.81 H.1.2.1 says: 2^(P-1) for the first pixel, left for row 0, above for column 0), point transform 0.
 * Huffman table: SSSS categories 0..16 each coded with 5 bits (codes 0..16).
 */
export function encodeJpegLossless(values: ArrayLike<number>, rows: number, cols: number, precision: number): Uint8Array {
  const bytes: number[] = [];
  const marker = (m: number) => bytes.push(0xff, m);
  const u16 = (v: number) => bytes.push((v >> 8) & 0xff, v & 0xff);
  marker(0xd8);
  marker(0xc3); u16(11); bytes.push(precision); u16(rows); u16(cols); bytes.push(1, 1, 0x11, 0);
  // DHT: class 0 (DC/lossless), id 0; 17 codes of length 5
  marker(0xc4); u16(2 + 1 + 16 + 17); bytes.push(0x00);
  for (let l = 1; l <= 16; l++) bytes.push(l === 5 ? 17 : 0);
  for (let s = 0; s <= 16; s++) bytes.push(s);
  marker(0xda); u16(8); bytes.push(1, 1, 0x00, 1 /* Ss = predictor 1 */, 0 /* Se */, 0 /* Ah/Al */);
  let acc = 0, nbits = 0;
  const put = (v: number, n: number) => {
    for (let k = n - 1; k >= 0; k--) {
      acc = (acc << 1) | ((v >> k) & 1); nbits++;
      if (nbits === 8) { bytes.push(acc); if (acc === 0xff) bytes.push(0); acc = 0; nbits = 0; }
    }
  };
  const mod = 1 << 16;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const v = values[y * cols + x];
      const pred = y === 0 && x === 0 ? 1 << (precision - 1) : y === 0 ? values[x - 1] : x === 0 ? values[(y - 1) * cols] : values[y * cols + x - 1];
      let d = (v - pred) % mod;
      if (d >= 32768) d -= mod;
      if (d < -32767) d += mod;
      const ssss = d === 0 ? 0 : d === 32768 ? 16 : 32 - Math.clz32(Math.abs(d));
      put(ssss, 5);
      if (ssss > 0 && ssss < 16) put(d > 0 ? d : d - 1 + (1 << ssss), ssss);
    }
  }
  if (nbits > 0) put((1 << (8 - nbits)) - 1, 8 - nbits); // pad with ones
  marker(0xd9);
  return Uint8Array.from(bytes);
}

type Enc = { getDecodedBuffer(fi: object): Uint8Array; encode(): void; getEncodedBuffer(): Uint8Array; delete(): void; [k: string]: unknown };
async function encoder(pkg: string, cls: string): Promise<Enc> {
  const factory = require(pkg) as (o: object) => Promise<Record<string, new () => Enc>>;
  const lib = await factory({ print: () => {}, printErr: () => {} });
  return new lib[cls]();
}

function encodeWith(enc: Enc, values: ArrayLike<number>, rows: number, cols: number, bits: 8 | 16, components = 1): Uint8Array {
  const buf = enc.getDecodedBuffer({ width: cols, height: rows, bitsPerSample: bits, componentCount: components, isSigned: false, isUsingColorTransform: false });
  if (bits === 16) new Uint16Array(buf.buffer, buf.byteOffset, rows * cols).set(Array.from(values, (v) => v & 0xffff));
  else buf.set(Array.from({ length: values.length * components }, (_, i) => values[Math.floor(i / components)] & 0xff));
  enc.encode();
  const out = enc.getEncodedBuffer().slice();
  enc.delete();
  return out;
}

/** JPEG 2000 codestream, reversible (lossless), from OpenJPEG's encoder in @cornerstonejs/codec-openjpeg. */
export async function encodeJ2k(values: ArrayLike<number>, rows: number, cols: number, bits: 8 | 16): Promise<Uint8Array> {
  const enc = await encoder('@cornerstonejs/codec-openjpeg/wasmjs', 'J2KEncoder');
  // OpenJPEG's default 5 wavelet decompositions need at least 32 pixels a side.
  (enc.setDecompositions as (n: number) => void)(Math.max(0, Math.min(5, Math.floor(Math.log2(Math.min(rows, cols))) - 1)));
  return encodeWith(enc, values, rows, cols, bits);
}

/** JPEG-LS lossless, from CharLS's encoder. */
export async function encodeJpegLs(values: ArrayLike<number>, rows: number, cols: number, bits: 8 | 16): Promise<Uint8Array> {
  return encodeWith(await encoder('@cornerstonejs/codec-charls/wasmjs', 'JpegLSEncoder'), values, rows, cols, bits);
}

/**
 * Baseline JPEG (8-bit, lossy, quality 95) from jpeg-js's pure-JS encoder: a JFIF YCbCr stream with
 * R = G = B = value (libjpeg-turbo's own encoder in this build fails on 1-component input); write
 * the DICOM with samples 3 and photometric YBR_FULL_422.
 */
export function encodeJpegBaseline(values: ArrayLike<number>, rows: number, cols: number): Uint8Array {
  const rgba = new Uint8Array(rows * cols * 4);
  for (let i = 0; i < rows * cols; i++) rgba.set([values[i], values[i], values[i], 255], 4 * i);
  return new Uint8Array(encodeJpegJs({ width: cols, height: rows, data: rgba }, 95).data);
}
