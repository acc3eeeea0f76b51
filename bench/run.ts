/**
 * `npm run bench`: runs every benchmark of bench/ in turn and prints their figures.
 * Benchmarks print numbers; they assert nothing. `npm run bench -- metrics saliency` runs a subset;
 * with one benchmark named, flags written `--name=value` go to it (`npm run bench -- sync --cases=200`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ALL = ['metrics', 'segmentation', 'models', 'saliency', 'igCompleteness', 'gradients', 'convCeiling', 'batchSweep', 'annotate_frames', 'import_formats', 'scale', 'pool', 'onnx', 'sync', 'methods'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = wanted.length === 1 ? process.argv.slice(2).filter((a) => a.startsWith('-')) : [];
const names = wanted.length ? wanted : ALL;

let failed = 0;
for (const name of names) {
  const file = path.join(here, `${name}.ts`);
  if (!existsSync(file)) {
    console.log(`\n## ${name}: no bench/${name}.ts`);
    continue;
  }
  console.log(`\n## ${name} (bench/${name}.ts)`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...flags], { stdio: 'inherit', cwd: path.join(here, '..') });
  console.log(`## ${name}: ${r.status === 0 ? 'done' : `exit ${r.status}`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
