/**
 * `heatcheck segment IMAGE.npy --scale S --sigma SIGMA --min-size N --out LABELS.npy`:
 * Felzenszwalb-Huttenlocher segmentation exactly as skimage.segmentation.felzenszwalb
 * (src/core/segmentation/felzenszwalb.ts). IMAGE is H x W or H x W x C, float32 or float64 in
 * either byte order; prints {"segments": n} and writes the int32 labels (H x W, numbered by first
 * pixel in raster order) to --out.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { writeNpy } from '../../core/io/npy';
import { readNpyFile } from '../npyFile';
import { countSegments, felzenszwalb, SegmentationError } from '../../core/segmentation/felzenszwalb';
import { HeatcheckError } from '../errors';
import { printJson } from '../output';

function number(name: string, text: string, integer = false): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new HeatcheckError('USAGE', `--${name} expects ${integer ? 'an integer' : 'a number'}, found "${text}"`);
  }
  return v;
}

export function register(program: Command): void {
  program
    .command('segment <image>')
    .description('Felzenszwalb segmentation of an .npy image (H x W or H x W x C, float32/float64), as skimage; JSON {"segments": n}')
    .option('--scale <S>', 'observation level: higher means larger segments (skimage default 1)', '1')
    .option('--sigma <SIGMA>', 'Gaussian pre-smoothing standard deviation (skimage default 0.8)', '0.8')
    .option('--min-size <N>', 'minimum segment size, merged in a second pass (skimage default 20)', '20')
    .option('--out <LABELS.npy>', 'where to write the int32 labels (H x W)')
    .action((file: string, opts: { scale: string; sigma: string; minSize: string; out?: string }) => {
      const scale = number('scale', opts.scale);
      const sigma = number('sigma', opts.sigma);
      const minSize = number('min-size', opts.minSize, true);
      const a = readNpyFile(file);
      if (!(a.data instanceof Float32Array || a.data instanceof Float64Array)) {
        throw new HeatcheckError('BAD_INPUT_DTYPE', `${file}: expected float32 or float64 values, found dtype '${a.dtype}'; convert the image to float first (skimage would rescale integer images by their type's range)`, { file, dtype: a.dtype });
      }
      if (a.shape.length !== 2 && a.shape.length !== 3) {
        throw new HeatcheckError('BAD_INPUT_SHAPE', `${file}: expected an image of shape (H, W) or (H, W, C), found (${a.shape.join(', ')})`, { file, shape: a.shape });
      }
      const [h, w] = a.shape;
      const c = a.shape.length === 3 ? a.shape[2] : 1;
      let labels: Int32Array;
      try {
        labels = felzenszwalb(a.data, w, h, c, { scale, sigma, minSize });
      } catch (e) {
        if (e instanceof SegmentationError) throw new HeatcheckError(e.code, `${file}: ${e.message}`, { file });
        throw e;
      }
      if (opts.out) writeFileSync(opts.out, writeNpy(labels, [h, w]));
      printJson({ segments: countSegments(labels) });
    });
}
