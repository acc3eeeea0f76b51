/** Phantom generation speed (printed, not asserted): `npx tsx bench/phantom.ts`. */
import { encode } from 'fast-png';
import { generatePhantomCase } from '../src/core/phantom/generate';

for (const size of [512, 128]) {
  const n = size === 512 ? 40 : 200;
  const t = performance.now();
  let tp = 0;
  for (let i = 0; i < n; i++) {
    const c = generatePhantomCase(5, i, { size });
    const t1 = performance.now();
    encode({ width: size, height: size, data: c.image, depth: 8, channels: 1 });
    tp += performance.now() - t1;
  }
  const per = (performance.now() - t) / n;
  console.log(`phantom ${size}px: ${per.toFixed(1)} ms/case (png encode ${(tp / n).toFixed(1)} ms) -> 1000 cases ~${(per).toFixed(0)} s`);
}
