/** Worker thread for `heatcheck phantom --jobs N`: makes cases i = first, first + stride, ... and writes their PNGs. */
import { parentPort, workerData } from 'node:worker_threads';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { generatePhantomCase } from '../../core/phantom/generate';
import { simulateReaders } from '../../core/phantom/readers';
import { caseFiles } from '../../core/phantom/studyFiles';

const { out, seed, size, count, first, stride } = workerData as { out: string; seed: number; size: number; count: number; first: number; stride: number };
for (let i = first; i < count; i += stride) {
  const c = generatePhantomCase(seed, i, { size });
  for (const [rel, bytes] of caseFiles(c)) writeFileSync(path.join(out, rel), bytes);
  const r = simulateReaders([c], seed);
  parentPort!.postMessage({ index: i, id: c.id, label: c.label, bodyPart: c.bodyPart, abnormality: c.abnormality, width: c.width, height: c.height, readers: { R1: r.R1[c.id], R2: r.R2[c.id], R3: r.R3[c.id] } });
}
