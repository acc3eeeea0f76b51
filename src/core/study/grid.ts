/**
 * How the model's input grid maps to the original image (SPEC terms).
 *
 * The image (W x H pixels) is resized to the model's input grid (w x h) by an area average over
 * each cell's footprint, each axis on its own (no letterbox, no crop; a non-square image is
 * stretched to the grid's aspect ratio). Grid cell (row r, column c) is therefore the image
 * rectangle, in pixel edges,
 *     x in [c * W / w, (c + 1) * W / w),   y in [r * H / h, (r + 1) * H / h),
 * and a map on the grid goes back to the image by the inverse stretch: scale x by W / w and y by
 * H / h (the Compare overlay draws the w x h map over the image's full W x H extent, with
 * bilinear smoothing; cell centres land on ((c + 0.5) W / w, (r + 0.5) H / h)). Masks go the other
 * way (image -> grid) by nearest neighbour at the cell centre: grid cell (r, c) takes the image
 * pixel (floor((c + 0.5) W / w), floor((r + 0.5) H / h)) (metrics/resample.ts nearestResize).
 * Exported consensus masks stay at the original image size; exported maps (`maps` .npy) are on the grid.
 */
export interface Size { width: number; height: number }

/** Image pixels per grid cell along each axis: image = grid * (sx, sy). */
export function gridToImageScale(grid: Size, image: Size): { sx: number; sy: number } {
  return { sx: image.width / grid.width, sy: image.height / grid.height };
}

/** The image rectangle [x0, y0, x1, y1] (pixel edges) that grid cell (r, c) covers. */
export function gridCellToImage(r: number, c: number, grid: Size, image: Size): [number, number, number, number] {
  const { sx, sy } = gridToImageScale(grid, image);
  return [c * sx, r * sy, (c + 1) * sx, (r + 1) * sy];
}

/** The grid position (continuous, in cells) of an image point (in pixels). */
export function imageToGrid(x: number, y: number, grid: Size, image: Size): { c: number; r: number } {
  const { sx, sy } = gridToImageScale(grid, image);
  return { c: x / sx, r: y / sy };
}
