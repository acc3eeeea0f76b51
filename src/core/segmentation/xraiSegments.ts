/**
 * XRAI's segments (PAIR saliency v0.2 `_get_segments_felzenszwalb` and `_unpack_segs_to_masks`):
 * the image is min-max scaled to [-1, 1] and resized to 224 x 224 (bicubic, skimage resize order 3
 * with anti-aliasing), segmented by Felzenszwalb at scales [50, 100, 150, 250, 500, 1200] with
 * sigma 0.8 and min_size 150, each label map resized back to the image (nearest), every label of
 * every scale becomes a mask (labels min..max, scale by scale), and each mask is dilated by a disk
 * of radius 5.
 */
import { felzenszwalb } from './felzenszwalb';
import { dilatePixels } from './morphology';
import { normalizeToRange, resizeBicubicSkimage, resizeLabelsNearest } from './resize';

export const XRAI_SEGMENT_DEFAULTS = {
  scales: [50, 100, 150, 250, 500, 1200] as readonly number[],
  sigma: 0.8,
  minSize: 150,
  resize: [224, 224] as readonly [number, number] | null,
  valueRange: [-1, 1] as readonly [number, number],
  dilationRadius: 5,
};

export type XraiSegmentOptions = Partial<typeof XRAI_SEGMENT_DEFAULTS> & {
  /** The image's values are float32 (NumPy arithmetic in float32). Default true. */
  float32?: boolean;
};

/**
 * Label maps (one per scale, H * W, before dilation) of an interleaved [H, W, C] image.
 */
export function xraiLabelMaps(image: Float32Array | Float64Array, width: number, height: number, channels: number, options: XraiSegmentOptions = {}): Int32Array[] {
  const o = { ...XRAI_SEGMENT_DEFAULTS, ...options };
  const f32 = options.float32 ?? true;
  const norm = normalizeToRange(image, o.valueRange[0], o.valueRange[1], f32);
  const [sh, sw] = o.resize ?? [height, width];
  const seg = o.resize ? resizeBicubicSkimage(norm, height, width, channels, sh, sw, { float32: f32 }) : norm;
  return o.scales.map((scale) => {
    const labels = felzenszwalb(seg, sw, sh, channels, { scale, sigma: o.sigma, minSize: o.minSize });
    return o.resize ? resizeLabelsNearest(labels, sh, sw, height, width) : labels;
  });
}

/**
 * Masks as sorted pixel-index lists, in PAIR's order: scale by scale, label min..max (a label lost
 * in the nearest resize gives an empty mask, as `seg == l` does), each dilated by the disk.
 */
export function labelMapsToMasks(maps: Int32Array[], width: number, height: number, dilationRadius: number): Int32Array[] {
  const masks: Int32Array[] = [];
  for (const map of maps) {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < map.length; i++) { if (map[i] < lo) lo = map[i]; if (map[i] > hi) hi = map[i]; }
    const counts = new Int32Array(hi - lo + 1);
    for (let i = 0; i < map.length; i++) counts[map[i] - lo]++;
    const lists = Array.from(counts, (c) => new Int32Array(c));
    const fill = new Int32Array(hi - lo + 1);
    for (let i = 0; i < map.length; i++) { const l = map[i] - lo; lists[l][fill[l]++] = i; }
    for (const pix of lists) masks.push(dilationRadius > 0 ? dilatePixels(pix, width, height, dilationRadius) : pix);
  }
  return masks;
}

/** XRAI's segment masks of an interleaved [H, W, C] image. */
export function xraiSegments(image: Float32Array | Float64Array, width: number, height: number, channels: number, options: XraiSegmentOptions = {}): Int32Array[] {
  const radius = options.dilationRadius ?? XRAI_SEGMENT_DEFAULTS.dilationRadius;
  return labelMapsToMasks(xraiLabelMaps(image, width, height, channels, options), width, height, radius);
}
