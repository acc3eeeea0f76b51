import type { GrayImage } from '../study/types';
import type { ModelManifest } from './manifest';
import { intensityOf, type IntensityRecord } from '../study/intensity';

/**
 * Area-average resize of a single-channel image (exact box filter over each output pixel's
 * footprint, fractional overlaps weighted). Used for model input (downscaling 512 -> 128 without
 * aliasing). Output Float32 in the input's units.
 */
export function resizeArea(src: ArrayLike<number>, sw: number, sh: number, dw: number, dh: number): Float32Array {
  const out = new Float32Array(dw * dh);
  const sx = sw / dw;
  const sy = sh / dh;
  // Precompute horizontal weights per output column.
  const colSpans: Array<Array<[number, number]>> = [];
  for (let x = 0; x < dw; x++) {
    const x0 = x * sx;
    const x1 = x0 + sx;
    const span: Array<[number, number]> = [];
    for (let i = Math.floor(x0); i < Math.min(sw, Math.ceil(x1)); i++) {
      const w = Math.min(x1, i + 1) - Math.max(x0, i);
      if (w > 0) span.push([i, w]);
    }
    colSpans.push(span);
  }
  const row = new Float64Array(dw);
  for (let y = 0; y < dh; y++) {
    const y0 = y * sy;
    const y1 = y0 + sy;
    row.fill(0);
    let wy = 0;
    for (let j = Math.floor(y0); j < Math.min(sh, Math.ceil(y1)); j++) {
      const w = Math.min(y1, j + 1) - Math.max(y0, j);
      if (w <= 0) continue;
      wy += w;
      const base = j * sw;
      for (let x = 0; x < dw; x++) {
        let acc = 0;
        for (const [i, wx] of colSpans[x]) acc += src[base + i] * wx;
        row[x] += acc * w;
      }
    }
    for (let x = 0; x < dw; x++) out[y * dw + x] = row[x] / (wy * sx);
  }
  return out;
}

/**
 * Image -> model input [H, W, C] (row-major, channels last) in the model's input space, and the
 * intensity transform used: intensities in [0, 1] per pixel (intensityOf: DICOM VOI window or LUT,
 * MONOCHROME1 inverted; PNG/JPEG value / (2^bits - 1)), then an area resize to the input size, then
 * x = y * scale + offset from the manifest, repeated over channels.
 * Then (x - mean[c]) / std[c] per channel where the manifest gives them (ImageNet-style models).
 */
export function modelInput(img: GrayImage, m: Pick<ModelManifest, 'input' | 'preprocessing'>): { x: Float32Array; intensity: IntensityRecord } {
  const { height, width, channels } = m.input;
  const { values, intensity } = intensityOf({ pixels: img.data, window: img.window, voiLut: img.voiLut, invert: img.invert });
  const resized = img.width === width && img.height === height ? values : resizeArea(values, img.width, img.height, width, height);
  const out = new Float32Array(height * width * channels);
  const { scale, offset, mean, std } = m.preprocessing;
  // Per-channel normalisation (torchvision's mean/std): the grey value is replicated to every channel first.
  const mu = Array.from({ length: channels }, (_, c) => (mean ? mean[mean.length === 1 ? 0 : c] : 0));
  const sd = Array.from({ length: channels }, (_, c) => (std ? std[std.length === 1 ? 0 : c] : 1));
  for (let i = 0; i < height * width; i++) {
    const v = resized[i] * scale + offset;
    for (let c = 0; c < channels; c++) out[i * channels + c] = (v - mu[c]) / sd[c];
  }
  return { x: out, intensity };
}

/** modelInput's tensor alone. */
export function preprocessImage(img: GrayImage, m: Pick<ModelManifest, 'input' | 'preprocessing'>): Float32Array {
  return modelInput(img, m).x;
}
