import { useEffect, useRef } from 'react';
import type { ImageRecord } from '../../state/db';
import { defaultWindowOf, lutValue, windowValue } from '../../core/study/intensity';

/** Largest side drawn at full resolution; above it the preview is downscaled (every k-th pixel). */
const MAX_SIDE = 1024;

/**
 * A small preview of a stored image at its default window, through the same function as the
 * model's input (DICOM VOI window or LUT, else min-max or bit depth; MONOCHROME1 inverted).
 */
export function ImagePreview({ image }: { image: ImageRecord }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const step = Math.max(1, Math.ceil(Math.max(image.width, image.height) / MAX_SIDE));
  const wd = Math.ceil(image.width / step), h = Math.ceil(image.height / step);
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    const px = image.pixels;
    // The default view is the model's intensity function (core/study/intensity.ts), scaled to 0..255.
    const w = defaultWindowOf(image);
    const out = ctx.createImageData(wd, h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < wd; x++) {
        const v = px[y * step * image.width + x * step];
        const t = image.voiLut ? lutValue(v, image.voiLut) : windowValue(v, w);
        const g = Math.round(255 * (image.invert ? 1 - t : t));
        const o = 4 * (y * wd + x);
        out.data[o] = out.data[o + 1] = out.data[o + 2] = g;
        out.data[o + 3] = 255;
      }
    }
    ctx.putImageData(out, 0, 0);
  }, [image, wd, h, step]);
  return (
    <canvas
      ref={ref}
      width={wd}
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
