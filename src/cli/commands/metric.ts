/**
 * `heatcheck metric ssim|auroc|auprc|otsu`: one metric on .npy inputs (float32/float64 or integer,
 * either byte order), JSON on stdout. Values are computed in float64 (src/core/metrics).
 */
import type { Command } from 'commander';
import { npyToFloat64 } from '../../core/io/npy';
import { readNpyFile } from '../npyFile';
import { ssim } from '../../core/metrics/ssim';
import { auroc, rankingUndefinedReason } from '../../core/metrics/auroc';
import { auprc } from '../../core/metrics/auprc';
import { otsuThreshold } from '../../core/metrics/otsu';
import { MetricError } from '../../core/metrics/errors';
import { HeatcheckError } from '../errors';
import { printJson, log } from '../output';

interface Loaded {
  file: string;
  data: Float64Array;
  height: number;
  width: number;
}

/** Reads a 2-D map: (H, W), or (H, W, 1) / (1, H, W) with one channel. */
function load(file: string): Loaded {
  const a = readNpyFile(file);
  const dims = a.shape.filter((d) => d !== 1);
  const shape = a.shape.length === 2 ? a.shape : dims.length === 2 ? dims : dims.length < 2 && a.shape.length >= 2 ? [a.shape[a.shape.length - 2], a.shape[a.shape.length - 1]] : null;
  if (!shape || shape.length !== 2) {
    throw new HeatcheckError('BAD_INPUT_SHAPE', `${file}: expected a 2-D array (H, W) or one channel (H, W, 1); found shape (${a.shape.join(', ')})`, { file, shape: a.shape });
  }
  return { file, data: npyToFloat64(a), height: shape[0], width: shape[1] };
}

function sameShape(a: Loaded, b: Loaded): void {
  if (a.height !== b.height || a.width !== b.width) {
    throw new HeatcheckError('BAD_INPUT_SHAPE', `${a.file} is ${a.height}x${a.width} but ${b.file} is ${b.height}x${b.width}; resample one onto the other's grid first`, { a: [a.height, a.width], b: [b.height, b.width] });
  }
}

function run<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof MetricError) throw new HeatcheckError(e.code, e.message);
    throw e;
  }
}

function rankingInputs(mapFile: string, maskFile: string): { map: Loaded; mask: Loaded } {
  const map = load(mapFile);
  const mask = load(maskFile);
  sameShape(map, mask);
  const why = rankingUndefinedReason(mask.data);
  if (why) log(`heatcheck: ${maskFile}: ${why}; the metric is undefined (null)`);
  return { map, mask };
}

/** JSON has no NaN: an undefined metric prints null. */
const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function register(program: Command): void {
  const metric = program.command('metric').description('one metric on .npy arrays (float32/float64, any byte order); JSON on stdout');
  metric
    .command('ssim <a> <b>')
    .description('SSIM as skimage.metrics.structural_similarity (7x7 uniform window, K1 0.01, K2 0.03, sample covariance)')
    .option('--data-range <R>', 'data range R (default 2, skimage\'s value for float images)', '2')
    .action((fa: string, fb: string, opts: { dataRange: string }) => {
      const R = Number(opts.dataRange);
      if (!(R > 0)) throw new HeatcheckError('USAGE', `--data-range must be a positive number; found '${opts.dataRange}'`);
      const a = load(fa);
      const b = load(fb);
      sameShape(a, b);
      printJson({ ssim: num(run(() => ssim(a.data, b.data, a.height, a.width, { dataRange: R }))) });
    });
  metric
    .command('auroc <map> <mask>')
    .description('pixel AUROC (Mann-Whitney, ties 1/2; = sklearn roc_auc_score); mask: non-zero = positive')
    .action((fm: string, fk: string) => {
      const { map, mask } = rankingInputs(fm, fk);
      printJson({ auroc: num(run(() => auroc(map.data, mask.data))) });
    });
  metric
    .command('auprc <map> <mask>')
    .description('pixel AUPRC (trapezoidal; = sklearn auc(recall, precision) on precision_recall_curve)')
    .action((fm: string, fk: string) => {
      const { map, mask } = rankingInputs(fm, fk);
      printJson({ auprc: num(run(() => auprc(map.data, mask.data))) });
    });
  metric
    .command('otsu <map>')
    .description('Otsu threshold as skimage.filters.threshold_otsu (256 bins over [min, max], bin centre)')
    .action((fm: string) => {
      const map = load(fm);
      printJson({ threshold: num(run(() => otsuThreshold(map.data))) });
    });
}
