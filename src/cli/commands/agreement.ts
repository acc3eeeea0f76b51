/**
 * `heatcheck agreement --readers A,B,C [--study DIR] [--quorum Q] [--names N1,N2,N3] --out FILE`:
 * reader agreement from readers' files (VIA CSV or JSON, COCO instances, the app's reader export),
 * one reader per file, with or without the images.
 *
 * - With --study, image names are matched to the study's cases by file name (path without
 *   extension, then base name) and every case is measured on its image's grid.
 * - Without, a case is an image name (its base name without extension, so `images/a.png` in one
 *   file and `a.jpg` in another are one case) and its canvas is the image size a file gives (COCO,
 *   the app's export) or else the smallest that holds every region of the case; IoU and Dice do not
 *   depend on it, pixel-level Fleiss' kappa is then over that canvas.
 * A reader counts on a case when their file lists that image, with or without regions.
 * Writes the full JSON (src/core/annotation/studyAgreement.ts: per case and pooled) to --out and
 * prints the pooled figures on stdout.
 */
import type { Command } from 'commander';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { HeatcheckError } from '../errors';
import { printJson, log } from '../output';
import { readStudyFolder } from '../studyFolder';
import { parseRegionFile, matchImagesToCases, baseStem, RegionFileError, type RegionFile } from '../../core/annotation/formats';
import { regionsCanvas, studyReaderAgreement, type AgreementCaseInput } from '../../core/annotation';
import { MetricError } from '../../core/metrics/errors';
import type { RegionCoords } from '../../core/study/types';

/** JSON has no NaN: undefined figures print null. */
function finite(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (Array.isArray(v)) return v.map(finite);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, finite(x)]));
  return v;
}

function readerIds(files: string[], names?: string): string[] {
  const given = names ? names.split(',').map((s) => s.trim()) : [];
  if (names && given.length !== files.length) throw new HeatcheckError('USAGE', `--names gives ${given.length} name(s) for ${files.length} reader file(s); give one per file, in the same order`);
  const used = new Set<string>();
  return files.map((f, i) => {
    const base = given[i] || path.basename(f).replace(/\.[^.]+$/, '') || `R${i + 1}`;
    let id = base;
    for (let k = 2; used.has(id); k++) id = `${base}-${k}`;
    used.add(id);
    return id;
  });
}

interface CaseBuild { id: string; name: string; width?: number; height?: number; sizes: Set<string>; readers: Record<string, RegionCoords[]> }

export async function runAgreement(opts: { readers: string; study?: string; out: string; quorum: string; names?: string }): Promise<Record<string, unknown>> {
  const files = opts.readers.split(',').map((s) => s.trim()).filter(Boolean);
  if (files.length < 1) throw new HeatcheckError('USAGE', '--readers takes one or more reader files, separated by commas');
  const quorum = Number(opts.quorum);
  if (!Number.isInteger(quorum) || quorum < 1) throw new HeatcheckError('USAGE', `--quorum expects an integer >= 1, found "${opts.quorum}"`);
  const ids = readerIds(files, opts.names);
  const parsed: Array<{ id: string; file: string; f: RegionFile }> = files.map((file, i) => {
    if (!existsSync(file)) throw new HeatcheckError('NOT_FOUND_READER_FILE', `${file} does not exist; --readers takes VIA CSV/JSON, COCO JSON or Heatcheck reader export files`);
    try {
      return { id: ids[i], file, f: parseRegionFile(readFileSync(file, 'utf8'), file) };
    } catch (e) {
      if (e instanceof RegionFileError) throw new HeatcheckError(e.code, e.message, { file });
      throw e;
    }
  });
  for (const p of parsed) for (const w of p.f.warnings) log(`heatcheck: ${w}`);

  const cases = new Map<string, CaseBuild>();
  const unmatched: Array<{ reader: string; file: string; reason: string }> = [];
  if (opts.study) {
    const study = readStudyFolder(opts.study);
    const list = study.cases.map((c) => ({ id: c.id, name: c.image }));
    const byId = new Map(study.cases.map((c) => [c.id, c]));
    for (const p of parsed) {
      const m = matchImagesToCases(p.f.images, list);
      for (const u of m.unmatched) unmatched.push({ reader: p.id, ...u });
      for (const { caseId, image } of m.matched) {
        const c = cases.get(caseId) ?? { id: caseId, name: byId.get(caseId)!.image, sizes: new Set<string>(), readers: {} };
        c.readers[p.id] = image.regions;
        cases.set(caseId, c);
      }
    }
    for (const c of cases.values()) {
      const info = byId.get(c.id)!;
      const img = await study.loadImage(info);
      c.width = img.width;
      c.height = img.height;
    }
  } else {
    for (const p of parsed) {
      const seen = new Map<string, string>();
      for (const image of p.f.images) {
        const key = baseStem(image.file);
        const earlier = seen.get(key);
        if (earlier !== undefined) {
          unmatched.push({ reader: p.id, file: image.file, reason: `the same case (${key}) as ${earlier} in this file` });
          continue;
        }
        seen.set(key, image.file);
        const c = cases.get(key) ?? { id: key, name: image.file, sizes: new Set<string>(), readers: {} };
        if (image.width && image.height) c.sizes.add(`${image.width}x${image.height}`);
        c.readers[p.id] = image.regions;
        cases.set(key, c);
      }
    }
  }

  const inputs: AgreementCaseInput[] = [];
  const canvas: Record<string, 'image' | 'file' | 'regions'> = {};
  for (const c of [...cases.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    let width = c.width, height = c.height;
    if (width && height) canvas[c.id] = 'image';
    else {
      const fit = regionsCanvas(Object.values(c.readers).flat());
      const [fw, fh] = c.sizes.size === 1 ? [...c.sizes][0].split('x').map(Number) : [0, 0];
      if (fw >= fit.width && fh >= fit.height) {
        [width, height] = [fw, fh];
        canvas[c.id] = 'file';
      } else {
        ({ width, height } = fit);
        canvas[c.id] = 'regions';
      }
    }
    inputs.push({ id: c.id, width: width!, height: height!, readers: c.readers });
  }
  let result;
  try {
    result = studyReaderAgreement(inputs, quorum);
  } catch (e) {
    if (e instanceof MetricError) throw new HeatcheckError(e.code, e.message);
    throw e;
  }
  const report = {
    schema: 'heatcheck.agreement',
    version: 1,
    quorum,
    study: opts.study ?? null,
    readers: parsed.map((p) => ({ id: p.id, file: p.file, format: p.f.format, images: p.f.images.length, regions: p.f.images.reduce((s, i) => s + i.regions.length, 0), skipped: p.f.skipped })),
    definitions: {
      readerVsConsensusIoU: 'each reader vs the consensus of all readers of the case, the reader included (the seed journal paper\'s figure; optimistic); mean over (case, reader) pairs where the reader drew; an empty consensus counts as IoU 0',
      readerVsOthersIoU: 'each reader vs the consensus of the other readers (leave-one-out, quorum capped at the number of others); same pairs and rule',
      consensus: `a pixel is in when at least ${quorum} of the case's readers cover its centre (boxes and polygons, even-odd)`,
      fleissKappa: 'pixel-level Fleiss\' kappa: per case over its canvas; pooled over every pixel of every case with two or more readers',
      canvas: 'image: the study image; file: the image size the reader files give; regions: the smallest canvas from the origin holding every region of the case',
    },
    cases: result.cases.map((c) => ({
      case: c.id,
      name: cases.get(c.id)!.name,
      width: c.width,
      height: c.height,
      canvas: canvas[c.id],
      readers: c.readers,
      drew: c.drew,
      readerVsConsensusIoU: c.readerVsConsensusIoU,
      readerVsOthersIoU: c.readerVsOthersIoU,
      perReader: c.perReader,
      pairwise: c.pairwise,
      meanPairwiseIoU: c.meanPairwiseIoU,
      meanPairwiseDice: c.meanPairwiseDice,
      fleissKappa: c.fleissKappa,
    })),
    pooled: result.pooled,
    unmatched,
  };
  const json = finite(report) as Record<string, unknown>;
  writeFileSync(opts.out, JSON.stringify(json, null, 2) + '\n');
  if (unmatched.length) log(`heatcheck: ${unmatched.length} image name(s) matched no case; listed under "unmatched" in ${opts.out}`);
  return json;
}

export function register(program: Command): void {
  program
    .command('agreement')
    .description('Reader agreement from readers\' files (VIA CSV/JSON, COCO, Heatcheck reader export), with or without images; JSON per case and pooled')
    .requiredOption('--readers <FILES>', 'reader files, comma-separated, one reader per file')
    .option('--study <DIR>', 'study folder: match image names to its cases and measure on the images\' grids')
    .option('--quorum <Q>', 'consensus: pixels covered by at least Q readers', '2')
    .option('--names <NAMES>', 'reader names, comma-separated, one per file (default: the file names)')
    .requiredOption('--out <FILE>', 'where to write the JSON report')
    .action(async (opts: { readers: string; study?: string; out: string; quorum: string; names?: string }) => {
      const r = await runAgreement(opts);
      printJson({ out: opts.out, readers: (r.readers as Array<{ id: string }>).map((x) => x.id), cases: (r.cases as unknown[]).length, unmatched: (r.unmatched as unknown[]).length, pooled: r.pooled });
    });
}
