import { colorize, colormapLut, percentile, type ColormapName } from '../common/colormap';
import type { ViewTransform } from '../../state/trust';
import { gridToImageScale } from '../../core/study/grid';

/**
 * Canvas drawing for Compare: a map becomes ImageData through a 256-entry LUT (one lookup per
 * pixel), kept in a small offscreen canvas at the map's resolution, and drawn over the image with
 * the shared view transform (the browser scales it bilinearly).
 */

export interface MapLike {
  map: Float32Array;
  raw?: Float32Array;
  rawShape: [number, number, number];
  width: number;
  height: number;
  signed: boolean;
}

export interface HeatOptions {
  mode: 'post' | 'raw';
  colormap: ColormapName;
  opacity: number;
  thresholdPct: number;
}

export interface HeatLayer {
  canvas: HTMLCanvasElement;
  /** Value range drawn from the first to the last colour. */
  lo: number;
  hi: number;
  /** Colormap actually used (signed raw maps always use the diverging map). */
  colormap: ColormapName;
  signed: boolean;
  /** Pixels below this are not drawn (null: none). */
  cutoff: number | null;
}

/** The raw attribution summed over channels (signed), or null when the raw map was not kept. */
export function rawPlane(m: MapLike): Float32Array | null {
  if (!m.raw) return null;
  const [h, w, c] = m.rawShape;
  const out = new Float32Array(h * w);
  for (let i = 0; i < h * w; i++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += m.raw[i * c + k];
    out[i] = s;
  }
  return out;
}

/** Values, range and colormap for a panel, per the display options. */
export function heatValues(m: MapLike, o: HeatOptions): { values: Float32Array; width: number; height: number; lo: number; hi: number; colormap: ColormapName; signed: boolean } {
  if (o.mode === 'raw') {
    const raw = rawPlane(m);
    if (raw) {
      const [h, w] = m.rawShape;
      if (m.signed) {
        const q = percentile(raw, 99, true) || 1;
        return { values: raw, width: w, height: h, lo: -q, hi: q, colormap: 'diverging', signed: true };
      }
      let lo = Infinity;
      for (const v of raw) if (v < lo) lo = v;
      const hi = percentile(raw, 99);
      return { values: raw, width: w, height: h, lo, hi: hi > lo ? hi : lo + 1, colormap: o.colormap === 'diverging' ? 'inferno' : o.colormap, signed: false };
    }
  }
  return { values: m.map, width: m.width, height: m.height, lo: 0, hi: 1, colormap: o.colormap, signed: false };
}

export function heatLayer(m: MapLike, o: HeatOptions, reuse?: HTMLCanvasElement): HeatLayer {
  const v = heatValues(m, o);
  const cutoff = o.thresholdPct > 0 ? percentile(v.values, o.thresholdPct, v.signed) : null;
  const rgba = colorize(v.values, colormapLut(v.colormap), { lo: v.lo, hi: v.hi, opacity: o.opacity, cutoff, signed: v.signed });
  const canvas = reuse ?? document.createElement('canvas');
  canvas.width = v.width;
  canvas.height = v.height;
  canvas.getContext('2d')!.putImageData(new ImageData(rgba as unknown as Uint8ClampedArray<ArrayBuffer>, v.width, v.height), 0, 0);
  return { canvas, lo: v.lo, hi: v.hi, colormap: v.colormap, signed: v.signed, cutoff };
}

/** Image-to-panel transform: image point (cx W, cy H) at the panel centre, fitted then zoomed. */
export function panelTransform(view: ViewTransform, imgW: number, imgH: number, size: number): { k: number; tx: number; ty: number } {
  const k = (size / Math.max(imgW, imgH)) * view.scale;
  return { k, tx: size / 2 - view.cx * imgW * k, ty: size / 2 - view.cy * imgH * k };
}

export interface Overlay {
  /** Consensus outline segments [x0, y0, x1, y1] in image pixels. */
  consensus: number[][] | null;
  boxes: Array<{ color: string; box: [number, number, number, number] }>;
}

export function drawPanel(
  ctx: CanvasRenderingContext2D,
  size: number,
  dpr: number,
  view: ViewTransform,
  image: HTMLCanvasElement | null,
  imgW: number,
  imgH: number,
  heat: HTMLCanvasElement | null,
  overlay: Overlay,
): void {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, size * dpr, size * dpr);
  const { k, tx, ty } = panelTransform(view, imgW, imgH, size);
  ctx.setTransform(k * dpr, 0, 0, k * dpr, tx * dpr, ty * dpr);
  if (image) {
    ctx.imageSmoothingEnabled = k < 2;
    ctx.drawImage(image, 0, 0, imgW, imgH);
  }
  if (heat) {
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    // The map is on the model's grid: back to the image by the inverse of the input stretch (core/study/grid.ts).
    const { sx, sy } = gridToImageScale({ width: heat.width, height: heat.height }, { width: imgW, height: imgH });
    ctx.drawImage(heat, 0, 0, heat.width * sx, heat.height * sy);
  }
  ctx.lineWidth = 1.5 / k;
  for (const b of overlay.boxes) {
    ctx.strokeStyle = b.color;
    ctx.setLineDash([4 / k, 3 / k]);
    ctx.strokeRect(b.box[0], b.box[1], b.box[2] - b.box[0], b.box[3] - b.box[1]);
  }
  ctx.setLineDash([]);
  if (overlay.consensus) {
    ctx.strokeStyle = '#F0E442';
    ctx.lineWidth = 2 / k;
    ctx.beginPath();
    for (const [x0, y0, x1, y1] of overlay.consensus) {
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
    }
    ctx.stroke();
  }
}
