import type { ImageRecord } from '../../state/db';
import type { WindowLevel } from './editorStore';

/** Largest side drawn at full resolution; bigger images are downscaled once for display. */
export const MAX_DISPLAY_SIDE = 2048;

/** The default window: the record's DICOM window, else the full range of the pixel type (8-bit) or data. */
export function defaultWindow(img: Pick<ImageRecord, 'pixels' | 'window'>): WindowLevel {
  if (img.window) return { ...img.window };
  if (img.pixels instanceof Uint8Array) return { center: 127.5, width: 255 };
  let lo = Infinity, hi = -Infinity;
  const p = img.pixels;
  for (let i = 0; i < p.length; i++) { const v = p[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!Number.isFinite(lo)) return { center: 127.5, width: 255 };
  return { center: (lo + hi) / 2, width: Math.max(1e-6, hi - lo) };
}

/** Display grid for an image: full size up to MAX_DISPLAY_SIDE, else an integer stride. */
export function displayStride(w: number, h: number): number {
  return Math.max(1, Math.ceil(Math.max(w, h) / MAX_DISPLAY_SIDE));
}

/**
 * Renders grayscale pixels through window/level (and invert) into RGBA, one 32-bit write per
 * pixel through a lookup table (8- and 16-bit) or a linear map (float). Returns the display size.
 */
export function renderGray(img: Pick<ImageRecord, 'pixels' | 'width' | 'height' | 'invert'>, wl: WindowLevel, invert: boolean, out?: Uint8ClampedArray): { data: Uint8ClampedArray; width: number; height: number } {
  const stride = displayStride(img.width, img.height);
  const dw = Math.ceil(img.width / stride), dh = Math.ceil(img.height / stride);
  const data = out && out.length === dw * dh * 4 ? out : new Uint8ClampedArray(dw * dh * 4);
  const px = new Uint32Array(data.buffer, data.byteOffset, dw * dh);
  const inv = Boolean(img.invert) !== invert;
  const lo = wl.center - wl.width / 2;
  const k = 255 / Math.max(1e-6, wl.width);
  const gray = (v: number) => {
    let g = (v - lo) * k;
    g = g < 0 ? 0 : g > 255 ? 255 : g;
    if (inv) g = 255 - g;
    const b = g | 0;
    return (0xff000000 | (b << 16) | (b << 8) | b) >>> 0;
  };
  const p = img.pixels;
  let lut: Uint32Array | null = null;
  if (p instanceof Uint8Array) { lut = new Uint32Array(256); for (let v = 0; v < 256; v++) lut[v] = gray(v); }
  else if (p instanceof Uint16Array) { lut = new Uint32Array(65536); for (let v = 0; v < 65536; v++) lut[v] = gray(v); }
  let o = 0;
  for (let y = 0; y < dh; y++) {
    let i = y * stride * img.width;
    if (lut) for (let x = 0; x < dw; x++, i += stride) px[o++] = lut[p[i]];
    else for (let x = 0; x < dw; x++, i += stride) px[o++] = gray(p[i]);
  }
  return { data, width: dw, height: dh };
}

/** Draws into an offscreen canvas (created once per image, reused when window/level changes). */
export function paintCanvas(canvas: HTMLCanvasElement, img: Pick<ImageRecord, 'pixels' | 'width' | 'height' | 'invert'>, wl: WindowLevel, invert: boolean): void {
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
