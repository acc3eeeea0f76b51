import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HeatcheckError } from '../errors';
import { printJson, log } from '../output';
import { generatePhantomCase, PhantomError } from '../../core/phantom/generate';
import { simulateReaders, READER_IDS, type ReaderBoxesById } from '../../core/phantom/readers';
import { caseFiles, studyLevelFiles } from '../../core/phantom/studyFiles';
import type { PhantomCase } from '../../core/phantom/generate';

function intOption(name: string, raw: string, min: number): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new HeatcheckError('USAGE_BAD_OPTION', `--${name} must be an integer >= ${min}, found "${raw}".`);
  return v;
}

export function register(program: Command): void {
  program
    .command('phantom')
    .description('write a synthetic radiograph study folder: cases.csv, images/, truth/, readers/R1-R3.json')
    .requiredOption('--out <dir>', 'output folder (created)')
    .requiredOption('--count <n>', 'number of cases')
    .requiredOption('--seed <s>', 'integer seed')
    .option('--size <px>', 'image side in pixels', '512')
    .action((o: { out: string; count: string; seed: string; size: string }) => {
      const count = intOption('count', o.count, 1);
      const seed = intOption('seed', o.seed, 0);
      const size = intOption('size', o.size, 32);
      const out = path.resolve(o.out);
      for (const d of ['images', 'truth', 'readers']) mkdirSync(path.join(out, d), { recursive: true });
      // One case at a time: write its PNGs, keep only its metadata and reader boxes.
      const meta: PhantomCase[] = [];
      const readers = { R1: {}, R2: {}, R3: {} } as ReaderBoxesById;
      let abnormal = 0;
      const t0 = Date.now();
      for (let i = 0; i < count; i++) {
        let c: PhantomCase;
        try {
          c = generatePhantomCase(seed, i, { size });
        } catch (e) {
          if (e instanceof PhantomError) throw new HeatcheckError('BAD_INPUT_PHANTOM', e.message);
          throw e;
        }
        for (const [rel, bytes] of caseFiles(c)) writeFileSync(path.join(out, rel), bytes);
        const r = simulateReaders([c], seed);
        for (const id of READER_IDS) readers[id][c.id] = r[id][c.id];
        abnormal += c.label;
        meta.push({ ...c, image: new Uint8Array(0), truth: null });
        if ((i + 1) % 100 === 0) log(`phantom: ${i + 1}/${count} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      }
      for (const [rel, text] of studyLevelFiles(meta, readers)) writeFileSync(path.join(out, rel), text);
      printJson({ out: o.out, count, seed, abnormal });
    });
}
