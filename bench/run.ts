/**
 * `npm run bench`: runs every benchmark of bench/ in turn and prints their figures.
 * Benchmarks print numbers; they assert nothing. `npm run bench -- metrics saliency` runs a subset.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ALL = ['metrics', 'segmentation', 'models', 'saliency', 'igCompleteness', 'gradients', 'batchSweep', 'annotate_frames', 'import_formats', 'scale', 'pool', 'onnx', 'sync'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
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
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit', cwd: path.join(here, '..') });
  console.log(`## ${name}: ${r.status === 0 ? 'done' : `exit ${r.status}`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
