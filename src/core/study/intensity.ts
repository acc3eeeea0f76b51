/**
 * From decoded pixel values to display/model intensities in [0, 1] (SPEC section 1, "Pixel
 * values"), the one function that both the viewer's default window and the model's input use.
 *
 * DICOM (PS3.3 C.11): the decoder has already masked the stored values to Bits Stored (signed per
 * Pixel Representation) and applied the Modality LUT (rescale slope/intercept), so `pixels` are in
 * modality units. Here the VOI transform maps them to [0, 1]:
 * - a VOI LUT Sequence when the file has one (PS3.3 C.11.2.1.1; entry / (2^bits - 1));
 * - else the header's first Window Center/Width with its VOI LUT Function (C.11.2.1.2: LINEAR by
 *   default, LINEAR_EXACT, SIGMOID);
 * - else the min-max of the image's values (linear, exact).
 * MONOCHROME1 is then inverted (1 - y) so that bone is bright.
 * PNG and JPEG: value / (2^bitdepth - 1) (8-bit: /255, 16-bit: /65535). Float images without a
 * window are taken as already in [0, 1].
 */

export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

/** A window in pixel (modality) units, and where it came from. */
export interface VoiWindow {
  center: number;
  width: number;
  /** VOI LUT Function (0028,1056); LINEAR when absent. */
  fn?: VoiFunction;
  /** header: the file's first Window Center/Width; min-max: the image's value range; bit-depth: 0..2^b-1. */
  source?: 'header' | 'min-max' | 'bit-depth';
}

/** A VOI LUT (PS3.3 C.11.2.1.1): values below firstMapped take entry 0, beyond the table the last entry. */
export interface VoiLut {
  firstMapped: number;
  /** Bits per entry (LUT Descriptor's third value): the output range is 0..2^bits-1. */
  bits: number;
  data: Uint16Array;
}

/** What an image needs for its intensities (a decoded image, a stored ImageRecord or a CLI GrayImage). */
export interface IntensityInput {
  pixels: ArrayLike<number> & { length: number };
  window?: VoiWindow;
  voiLut?: VoiLut;
  invert?: boolean;
}

/** The transform actually used, recorded with results (small, JSON-safe). */
export interface IntensityRecord {
  source: 'voi-lut' | 'header' | 'min-max' | 'bit-depth' | 'unit';
  center?: number;
  width?: number;
  fn?: VoiFunction;
  invert: boolean;
}

/** One value through a window (C.11.2.1.2 / C.11.2.1.3), in [0, 1]. */
export function windowValue(x: number, w: VoiWindow): number {
  const fn = w.fn ?? 'LINEAR';
  if (fn === 'SIGMOID') return 1 / (1 + Math.exp((-4 * (x - w.center)) / Math.max(1e-12, w.width)));
  // LINEAR: c - 0.5 and w - 1 (so that width 1 is a threshold); LINEAR_EXACT: c and w as given.
  const c = fn === 'LINEAR' ? w.center - 0.5 : w.center;
  const width = fn === 'LINEAR' ? w.width - 1 : w.width;
  if (x <= c - width / 2) return 0;
  if (x > c + width / 2) return 1;
  return (x - c) / width + 0.5;
}

/** One value through a VOI LUT, in [0, 1]. */
export function lutValue(x: number, lut: VoiLut): number {
  const i = Math.min(lut.data.length - 1, Math.max(0, Math.floor(x) - lut.firstMapped));
  return lut.data[i] / (2 ** lut.bits - 1);
}

function minMax(p: ArrayLike<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < p.length; i++) { const v = p[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
  return Number.isFinite(lo) ? [lo, hi] : [0, 0];
}

/**
 * The default window of an image: its own (DICOM), else by pixel type (8-bit 0..255, 16-bit
 * 0..65535, linear exact, so that y = v / (2^b - 1)), else (float) 0..1. VOI LUT images keep their
 * LUT (see `intensityOf`); this window is then only the starting point of the viewer's adjustments.
 */
export function defaultWindowOf(img: Pick<IntensityInput, 'pixels' | 'window'>): VoiWindow {
  if (img.window) return { ...img.window };
  if (img.pixels instanceof Uint8Array) return { center: 127.5, width: 255, fn: 'LINEAR_EXACT', source: 'bit-depth' };
  if (img.pixels instanceof Uint16Array) return { center: 32767.5, width: 65535, fn: 'LINEAR_EXACT', source: 'bit-depth' };
  return { center: 0.5, width: 1, fn: 'LINEAR_EXACT' };
}

/** The min-max window of a set of values (linear exact: y = (v - min) / (max - min)). */
export function minMaxWindow(p: ArrayLike<number>): VoiWindow {
  const [lo, hi] = minMax(p);
  return { center: (lo + hi) / 2, width: hi > lo ? hi - lo : 1, fn: 'LINEAR_EXACT', source: 'min-max' };
}

/** Describes the transform `intensityOf` applies to an image. */
export function intensityRecordOf(img: IntensityInput): IntensityRecord {
  const invert = Boolean(img.invert);
  if (img.voiLut) return { source: 'voi-lut', invert };
  const w = defaultWindowOf(img);
  const source = img.window ? (img.window.source ?? 'header') : w.source ?? 'unit';
  return { source, center: w.center, width: w.width, fn: w.fn ?? 'LINEAR', invert };
}

/**
 * Intensities in [0, 1] per pixel (row-major Float32) at the image's default VOI: the default view
 * of the image and the model's input before its own scale/offset, with the transform used.
 */
export function intensityOf(img: IntensityInput): { values: Float32Array; intensity: IntensityRecord } {
  const p = img.pixels;
  const out = new Float32Array(p.length);
  const intensity = intensityRecordOf(img);
  if (img.voiLut) {
    const lut = img.voiLut;
    for (let i = 0; i < p.length; i++) out[i] = lutValue(p[i], lut);
  } else {
    const w = defaultWindowOf(img);
    // 8- and 16-bit pixels: one table lookup per pixel (the same numbers as the direct formula).
    if (p instanceof Uint8Array || p instanceof Uint16Array) {
      const table = new Float32Array(p instanceof Uint8Array ? 256 : 65536);
      for (let v = 0; v < table.length; v++) table[v] = windowValue(v, w);
      for (let i = 0; i < p.length; i++) out[i] = table[p[i]];
    } else for (let i = 0; i < p.length; i++) out[i] = windowValue(p[i], w);
  }
  if (img.invert) for (let i = 0; i < out.length; i++) out[i] = 1 - out[i];
  return { values: out, intensity };
}
