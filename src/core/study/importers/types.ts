import type { VoiLut, VoiWindow } from '../intensity';

/** What every importer returns: one grayscale image at full resolution, plus what the file said. */
export interface DecodedImage {
  width: number;
  height: number;
  /** Row-major grayscale. Uint8 or Uint16 when the values are integers in range, else Float32 (rescaled DICOM). */
  pixels: Uint8Array | Uint16Array | Float32Array;
  /** Default window in pixel units (DICOM: the header's first centre/width, else the min-max of the values). */
  window?: VoiWindow;
  /** DICOM VOI LUT Sequence (first item), when the file has one: it takes precedence over the window. */
  voiLut?: VoiLut;
  /** MONOCHROME1: the stored values are inverted; show inverted for bone-white. */
  invert?: boolean;
  format: 'png' | 'jpeg' | 'dicom';
  /** Non-identifying facts about the file (bit depth, transfer syntax, modality, body part). */
  info: Record<string, string | number | boolean>;
  /** DICOM patient and study identifiers (PatientName, PatientID, dates, ...). Never exported unless asked for. */
  identifiers?: Record<string, string>;
}

/** Lazily loaded wasm codecs (see codecs.ts). */
export interface CodecModule {
  [name: string]: unknown;
}
