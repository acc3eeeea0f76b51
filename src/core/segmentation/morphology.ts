/**
 * Binary dilation by a disk, as skimage.morphology.dilation(mask, disk(r)) computes it:
 * disk(r) = {(dy, dx): dy^2 + dx^2 <= r^2}; ndimage's grey_dilation reflects at the border, which
 * for a disk never reaches further than the clipped disk does, so out-of-image offsets are ignored.
 * A mask is a sorted list of pixel indices (raster order) of an H x W grid.
 */

/** skimage.morphology.disk(radius) as a (2r + 1)^2 row-major 0/1 array. */
export function disk(radius: number): Uint8Array {
  const n = 2 * radius + 1;
  const out = new Uint8Array(n * n);
  for (let y = -radius; y <= radius; y++) for (let x = -radius; x <= radius; x++) {
    out[(y + radius) * n + (x + radius)] = x * x + y * y <= radius * radius ? 1 : 0;
  }
  return out;
}

/** Half-widths of the disk's rows: row dy spans dx in [-hw[dy + r], hw[dy + r]]. */
function diskHalfWidths(radius: number): Int32Array {
  const hw = new Int32Array(2 * radius + 1);
  for (let dy = -radius; dy <= radius; dy++) {
    let w = 0;
    while ((w + 1) * (w + 1) + dy * dy <= radius * radius) w++;
    hw[dy + radius] = w;
  }
  return hw;
}

/**
 * Dilates the mask given by its pixel indices (any order) on an H x W grid by disk(radius).
 * Only the mask's boundary pixels (those with a 4-neighbour outside the mask) are stamped: the
 * nearest mask pixel to any point of the dilation is a boundary pixel. Returns sorted indices.
 */
export function dilatePixels(pixels: ArrayLike<number>, width: number, height: number, radius: number): Int32Array {
  if (pixels.length === 0) return new Int32Array(0);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < pixels.length; i++) {
    const p = pixels[i];
    const y = Math.floor(p / width), x = p - y * width;
    if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
  }
  // Local window: bounding box grown by the radius, clipped to the image.
  const wx0 = Math.max(0, x0 - radius), wx1 = Math.min(width - 1, x1 + radius);
  const wy0 = Math.max(0, y0 - radius), wy1 = Math.min(height - 1, y1 + radius);
  const ww = wx1 - wx0 + 1, wh = wy1 - wy0 + 1;
  const inMask = new Uint8Array(ww * wh);
  for (let i = 0; i < pixels.length; i++) {
    const p = pixels[i];
    const y = Math.floor(p / width), x = p - y * width;
    inMask[(y - wy0) * ww + (x - wx0)] = 1;
  }
  const out = inMask.slice();
  const hw = diskHalfWidths(radius);
  for (let ly = 0; ly < wh; ly++) for (let lx = 0; lx < ww; lx++) {
    const i = ly * ww + lx;
    if (!inMask[i]) continue;
    const up = ly > 0 ? inMask[i - ww] : 0;
    const down = ly < wh - 1 ? inMask[i + ww] : 0;
    const left = lx > 0 ? inMask[i - 1] : 0;
    const right = lx < ww - 1 ? inMask[i + 1] : 0;
    if (up && down && left && right) continue;
    for (let dy = -radius; dy <= radius; dy++) {
      const yy = ly + dy;
      if (yy < 0 || yy >= wh) continue;
      const h = hw[dy + radius];
      const xa = Math.max(0, lx - h), xb = Math.min(ww - 1, lx + h);
      out.fill(1, yy * ww + xa, yy * ww + xb + 1);
    }
  }
  let count = 0;
  for (let i = 0; i < out.length; i++) count += out[i];
  const res = new Int32Array(count);
  let k = 0;
  for (let ly = 0; ly < wh; ly++) for (let lx = 0; lx < ww; lx++) {
    if (out[ly * ww + lx]) res[k++] = (ly + wy0) * width + (lx + wx0);
  }
  return res;
}

/** Dilates a 0/1 mask of H x W by disk(radius); returns a new 0/1 mask. */
export function dilateMask(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const pix: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) pix.push(i);
  const out = new Uint8Array(mask.length);
  for (const p of dilatePixels(pix, width, height, radius)) out[p] = 1;
  return out;
}
