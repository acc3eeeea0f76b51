import * as Comlink from 'comlink';
import { generatePhantomCase, type PhantomCase } from '../../core/phantom/generate';
import { simulateReaders, type PixelBox, type ReaderId } from '../../core/phantom/readers';
import { pixelHash } from '../../core/study/hash';

/** One generated demo case, as it crosses from the worker (pixel buffers transferred, not copied). */
export interface DemoCase extends PhantomCase {
  /** sha256 of the image pixels (content hash). */
  hash: string;
  /** Simulated readers' boxes for this case, [x0, y0, x1, y1] pixel edges. */
  readers: Record<ReaderId, PixelBox[]>;
}

/** Makes case `index` of the phantom study `seed` at `size` px, with its hash and simulated readers. */
export async function makeDemoCase(seed: number, index: number, size: number): Promise<DemoCase> {
  const c = generatePhantomCase(seed, index, { size });
  const r = simulateReaders([c], seed);
  return {
    ...c,
    hash: await pixelHash(c.image),
    readers: { R1: r.R1[c.id], R2: r.R2[c.id], R3: r.R3[c.id] },
  };
}

/** Worker entry: the same, with the pixel buffers marked transferable. */
export async function generateDemoCase(seed: number, index: number, size: number): Promise<DemoCase> {
  const d = await makeDemoCase(seed, index, size);
  const buffers = [d.image.buffer as ArrayBuffer, ...(d.truth ? [d.truth.buffer as ArrayBuffer] : [])];
  return Comlink.transfer(d, buffers);
}
