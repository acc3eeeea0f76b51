import { defaultWindowOf, lutValue, windowValue } from '../../core/study/intensity';
import type { ImageRecord } from '../../state/db';
import type { WindowLevel } from './editorStore';

/** Largest side drawn at full resolution; bigger images are downscaled once for display. */
export const MAX_DISPLAY_SIDE = 2048;

/**
 * The default window: core's defaultWindowOf, the same one the model's input uses (DICOM header
 * window or min-max of the values; 8-bit 0..255; 16-bit 0..65535).
 */
export function defaultWindow(img: Pick<ImageRecord, 'pixels' | 'window'>): WindowLevel {
  const w = defaultWindowOf(img);
  return { center: w.center, width: w.width };
}

/** Display grid for an image: full size up to MAX_DISPLAY_SIDE, else an integer stride. */
export function displayStride(w: number, h: number): number {
  return Math.max(1, Math.ceil(Math.max(w, h) / MAX_DISPLAY_SIDE));
}

/**
 * Renders grayscale pixels through window/level (and invert) into RGBA, one 32-bit write per
 * pixel through a lookup table (8- and 16-bit) or a linear map (float). Returns the display size.
 */
export function renderGray(img: Pick<ImageRecord, 'pixels' | 'width' | 'height' | 'invert' | 'window' | 'voiLut'>, wl: WindowLevel, invert: boolean, out?: Uint8ClampedArray): { data: Uint8ClampedArray; width: number; height: number } {
  const stride = displayStride(img.width, img.height);
  const dw = Math.ceil(img.width / stride), dh = Math.ceil(img.height / stride);
  const data = out && out.length === dw * dh * 4 ? out : new Uint8ClampedArray(dw * dh * 4);
  const px = new Uint32Array(data.buffer, data.byteOffset, dw * dh);
  const inv = Boolean(img.invert) !== invert;
  // The same value -> [0, 1] function as the model's input (core/study/intensity.ts): the window's
  // VOI LUT Function, and at the default window a VOI LUT when the file has one.
  const def = defaultWindowOf(img);
  const w = { center: wl.center, width: Math.max(1e-6, wl.width), fn: def.fn };
  const lut = img.voiLut && wl.center === def.center && wl.width === def.width ? img.voiLut : null;
  const gray = (v: number) => {
    let g = 255 * (lut ? lutValue(v, lut) : windowValue(v, w));
    if (inv) g = 255 - g;
    const b = g | 0;
    return (0xff000000 | (b << 16) | (b << 8) | b) >>> 0;
  };
  const p = img.pixels;
  let table: Uint32Array | null = null;
  if (p instanceof Uint8Array) { table = new Uint32Array(256); for (let v = 0; v < 256; v++) table[v] = gray(v); }
  else if (p instanceof Uint16Array) { table = new Uint32Array(65536); for (let v = 0; v < 65536; v++) table[v] = gray(v); }
  let o = 0;
  for (let y = 0; y < dh; y++) {
    let i = y * stride * img.width;
    if (table) for (let x = 0; x < dw; x++, i += stride) px[o++] = table[p[i]];
    else for (let x = 0; x < dw; x++, i += stride) px[o++] = gray(p[i]);
  }
  return { data, width: dw, height: dh };
}

/** Draws into an offscreen canvas (created once per image, reused when window/level changes). */
export function paintCanvas(canvas: HTMLCanvasElement, img: Pick<ImageRecord, 'pixels' | 'width' | 'height' | 'invert' | 'window' | 'voiLut'>, wl: WindowLevel, invert: boolean): void {
  const stride = displayStride(img.width, img.height);
  const dw = Math.ceil(img.width / stride), dh = Math.ceil(img.height / stride);
  if (canvas.width !== dw || canvas.height !== dh) { canvas.width = dw; canvas.height = dh; }
  const ctx = canvas.getContext('2d')!;
  const imageData = ctx.createImageData(dw, dh);
  renderGray(img, wl, invert, imageData.data);
  ctx.putImageData(imageData, 0, 0);
}

/** Smallest and largest pixel value (8-bit images: 0..255). */
export function pixelRange(img: Pick<ImageRecord, 'pixels'>): { lo: number; hi: number } {
  if (img.pixels instanceof Uint8Array) return { lo: 0, hi: 255 };
  let lo = Infinity, hi = -Infinity;
  const p = img.pixels;
  for (let i = 0; i < p.length; i++) { const v = p[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
  return Number.isFinite(lo) ? { lo, hi: Math.max(hi, lo + 1) } : { lo: 0, hi: 255 };
}
