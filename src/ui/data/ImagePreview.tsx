import { useEffect, useRef } from 'react';
import type { ImageRecord } from '../../state/db';

/** Largest side drawn at full resolution; above it the preview is downscaled (every k-th pixel). */
const MAX_SIDE = 1024;

/**
 * A small preview of a stored image with its default window (DICOM centre/width, else the data
 * range) and MONOCHROME1 inverted: grey = round(255 * clamp((v - (c - w/2)) / w, 0, 1)).
 */
export function ImagePreview({ image }: { image: ImageRecord }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const step = Math.max(1, Math.ceil(Math.max(image.width, image.height) / MAX_SIDE));
  const w = Math.ceil(image.width / step), h = Math.ceil(image.height / step);
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    const px = image.pixels;
    let center: number, width: number;
    if (image.window) ({ center, width } = image.window);
    else {
      let min = Infinity, max = -Infinity;
      for (let i = 0; i < px.length; i++) { const v = px[i]; if (v < min) min = v; if (v > max) max = v; }
      center = (min + max) / 2;
      width = Math.max(1, max - min);
    }
    const lo = center - width / 2;
    const out = ctx.createImageData(w, h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = px[y * step * image.width + x * step];
        let g = Math.round(255 * Math.min(1, Math.max(0, (v - lo) / width)));
        if (image.invert) g = 255 - g;
        const o = 4 * (y * w + x);
        out.data[o] = out.data[o + 1] = out.data[o + 2] = g;
        out.data[o + 3] = 255;
      }
    }
    ctx.putImageData(out, 0, 0);
  }, [image, w, h, step]);
  return (
    <canvas
      ref={ref}
      width={w}
      height={h}
      className="study-preview"
      data-testid="study-preview"
      data-width={image.width}
      data-height={image.height}
      data-step={step}
      aria-label={`Preview, ${image.width} x ${image.height} pixels${image.invert ? ', inverted (MONOCHROME1)' : ''}`}
    />
  );
}
