import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { HeatcheckError } from '../errors';
import { printJson, log } from '../output';
import { generatePhantomCase } from '../../core/phantom/generate';
import { simulateReaders, READER_IDS, type ReaderBoxesById } from '../../core/phantom/readers';
import { caseFiles, studyLevelFiles } from '../../core/phantom/studyFiles';
import type { PhantomCase } from '../../core/phantom/generate';
import type { PixelBox, ReaderId } from '../../core/phantom/readers';

interface CaseMessage {
  index: number; id: string; label: 0 | 1; bodyPart: PhantomCase['bodyPart']; abnormality: PhantomCase['abnormality'];
  width: number; height: number; readers: Record<ReaderId, PixelBox[]>;
}

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
    .option('--jobs <n>', 'worker threads (default: CPU count, at most 4; 1 = in this thread)')
    .action(async (o: { out: string; count: string; seed: string; size: string; jobs?: string }) => {
      const count = intOption('count', o.count, 1);
      const seed = intOption('seed', o.seed, 0);
      const size = intOption('size', o.size, 32);
      const out = path.resolve(o.out);
      for (const d of ['images', 'truth', 'readers']) mkdirSync(path.join(out, d), { recursive: true });
      const jobs = o.jobs ? intOption('jobs', o.jobs, 1) : Math.min(4, os.availableParallelism());
      if (size > 4096) throw new HeatcheckError('USAGE_BAD_OPTION', `--size must be at most 4096, found ${size}.`);
      const meta: PhantomCase[] = new Array(count);
      const readers = { R1: {}, R2: {}, R3: {} } as ReaderBoxesById;
      const t0 = Date.now();
      let done = 0;
      const take = (m: CaseMessage) => {
        meta[m.index] = { id: m.id, label: m.label, bodyPart: m.bodyPart, abnormality: m.abnormality, width: m.width, height: m.height, image: new Uint8Array(0), truth: null };
        for (const id of READER_IDS) readers[id][m.id] = m.readers[id];
        done++;
        if (done % 100 === 0) log(`phantom: ${done}/${count} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      };
      if (jobs <= 1 || count < 8) {
        // One case at a time: write its PNGs, keep only its metadata and reader boxes.
        for (let i = 0; i < count; i++) {
          const c = generatePhantomCase(seed, i, { size });
          for (const [rel, bytes] of caseFiles(c)) writeFileSync(path.join(out, rel), bytes);
          const r = simulateReaders([c], seed);
          take({ index: i, id: c.id, label: c.label, bodyPart: c.bodyPart, abnormality: c.abnormality, width: c.width, height: c.height, readers: { R1: r.R1[c.id], R2: r.R2[c.id], R3: r.R3[c.id] } });
        }
      } else {
        // Worker threads do not inherit tsx's loader: a tiny bootstrap registers it, then loads the TypeScript worker.
        const workerUrl = new URL('./phantomWorker.ts', import.meta.url).href;
        const tsxApi = import.meta.resolve('tsx/esm/api');
        const boot = `(async () => { const { register } = await import(${JSON.stringify(tsxApi)}); register(); await import(${JSON.stringify(workerUrl)}); })().catch((e) => { console.error(e); process.exit(1); });`;
        await Promise.all(Array.from({ length: jobs }, (_, first) => new Promise<void>((resolve, reject) => {
          const w = new Worker(boot, { eval: true, workerData: { out, seed, size, count, first, stride: jobs } });
          w.on('message', take);
          w.on('error', reject);
          w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`phantom worker ${first} exited with code ${code}`))));
        })));
      }
      const abnormal = meta.reduce((s, c) => s + c.label, 0);
      // Threads finish out of order: list every reader's cases in case order.
      const ordered = { R1: {}, R2: {}, R3: {} } as ReaderBoxesById;
      for (const id of READER_IDS) for (const c of meta) ordered[id][c.id] = readers[id][c.id];
      for (const [rel, text] of studyLevelFiles(meta, ordered)) writeFileSync(path.join(out, rel), text);
      printJson({ out: o.out, count, seed, abnormal });
    });
}
