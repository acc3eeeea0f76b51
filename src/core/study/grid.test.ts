import { describe, expect, test } from 'vitest';
import { gridCellToImage, gridToImageScale, imageToGrid } from './grid';
import { modelInput } from '../model/preprocess';
import { nearestResize } from '../metrics/resample';
import { rasterizeBoxes } from '../annotation/rasterise';

/**
 * A non-square image (64 wide, 32 high) on a 16 x 16 model grid: each cell is a 4 x 2 pixel block.
 * Hand-worked: cell (r, c) covers x in [4c, 4c + 4), y in [2r, 2r + 2).
 */
const W = 64, H = 32, grid = { width: 16, height: 16 }, image = { width: W, height: H };

describe('model grid <-> original image (non-square)', () => {
  test('cell rectangles and the inverse stretch, by hand', () => {
    expect(gridToImageScale(grid, image)).toEqual({ sx: 4, sy: 2 });
    expect(gridCellToImage(0, 0, grid, image)).toEqual([0, 0, 4, 2]);
    expect(gridCellToImage(3, 5, grid, image)).toEqual([20, 6, 24, 8]);
    expect(imageToGrid(22, 7, grid, image)).toEqual({ c: 5.5, r: 3.5 });
  });

  test('the model input of each cell is the mean of the image over the rectangle gridCellToImage names', () => {
    // A bright box at x 8..24, y 4..12 (pixel edges) on a gradient background.
    const px = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) px[y * W + x] = x >= 8 && x < 24 && y >= 4 && y < 12 ? 250 : (x + 2 * y) % 200;
    const { x } = modelInput({ width: W, height: H, data: px }, { input: { height: 16, width: 16, channels: 1 }, preprocessing: { scale: 1, offset: 0 } });
    for (let r = 0; r < 16; r++) for (let c = 0; c < 16; c++) {
      const [x0, y0, x1, y1] = gridCellToImage(r, c, grid, image);
      let s = 0;
      for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) s += px[yy * W + xx] / 255;
      expect(x[r * 16 + c]).toBeCloseTo(s / ((x1 - x0) * (y1 - y0)), 6);
    }
    // The box lands on cells c 2..5, r 2..5 exactly: where the overlay draws them back (x 8..24, y 4..12).
    const bright = [];
    for (let r = 0; r < 16; r++) for (let c = 0; c < 16; c++) if (x[r * 16 + c] > 0.97) bright.push([r, c]);
    expect(bright).toEqual([2, 3, 4, 5].flatMap((r) => [2, 3, 4, 5].map((c) => [r, c])));
    expect(gridCellToImage(2, 2, grid, image).slice(0, 2)).toEqual([8, 4]);
    expect(gridCellToImage(5, 5, grid, image).slice(2)).toEqual([24, 12]);
  });

  test('a reader\'s box, rasterised at the image size and taken to the grid, covers the same cells as the image content', () => {
    const mask = rasterizeBoxes([[8, 4, 24, 12]], W, H);
    const onGrid = nearestResize(mask, H, W, 16, 16);
    const cells = [];
    for (let r = 0; r < 16; r++) for (let c = 0; c < 16; c++) if (onGrid[r * 16 + c]) cells.push([r, c]);
    expect(cells).toEqual([2, 3, 4, 5].flatMap((r) => [2, 3, 4, 5].map((c) => [r, c])));
  });
});
