/**
 * Contact sheet of phantom cases: `npx tsx scripts/contact_sheet.ts OUT.png --seed S [--size PX]
 * [--tile PX] [--start I] [--truth]` writes a 6x4 grid of cases start..start+23, each tile labelled
 * with its index, label, body part and abnormality; --truth outlines the truth mask.
 */
import { writeFileSync } from 'node:fs';
import { encode } from 'fast-png';
import { generatePhantomCase } from '../src/core/phantom/generate';
import { drawText } from '../src/core/phantom/font';

const args = process.argv.slice(2);
const out = args.find((a) => !a.startsWith('--')) ?? 'contact_sheet.png';
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const seed = opt('seed', 2022);
const size = opt('size', 512);
const tile = opt('tile', 256);
const start = opt('start', 0);
const showTruth = args.includes('--truth');
const cols = 6;
const rows = 4;
const gapPx = 4;
const W = cols * tile + (cols + 1) * gapPx;
const H = rows * tile + (rows + 1) * gapPx;
const rgb = new Uint8Array(W * H * 3).fill(40);

const t0 = Date.now();
for (let k = 0; k < cols * rows; k++) {
  const c = generatePhantomCase(seed, start + k, { size });
  const ox = gapPx + (k % cols) * (tile + gapPx);
  const oy = gapPx + Math.floor(k / cols) * (tile + gapPx);
  for (let y = 0; y < tile; y++) {
    for (let x = 0; x < tile; x++) {
      // Box-filter downsample.
      const sx0 = Math.floor((x * size) / tile);
      const sx1 = Math.max(sx0 + 1, Math.floor(((x + 1) * size) / tile));
      const sy0 = Math.floor((y * size) / tile);
      const sy1 = Math.max(sy0 + 1, Math.floor(((y + 1) * size) / tile));
      let s = 0;
      let n = 0;
      let edge = false;
      for (let yy = sy0; yy < sy1; yy++) for (let xx = sx0; xx < sx1; xx++) {
        s += c.image[yy * size + xx];
        n++;
        if (showTruth && c.truth && c.truth[yy * size + xx]) {
          const l = xx > 0 ? c.truth[yy * size + xx - 1] : 0;
          const u = yy > 0 ? c.truth[(yy - 1) * size + xx] : 0;
          if (!l || !u) edge = true;
        }
      }
      const v = Math.round(s / n);
      const o = ((oy + y) * W + ox + x) * 3;
      if (edge) { rgb[o] = 255; rgb[o + 1] = 40; rgb[o + 2] = 40; } else { rgb[o] = rgb[o + 1] = rgb[o + 2] = v; }
    }
  }
  // Label strip on a dark band at the tile's bottom.
  const text = `${start + k} ${c.label} ${c.bodyPart} ${c.abnormality === 'none' ? '' : c.abnormality}`.toUpperCase();
  const band = new Uint8Array(tile * 11);
  drawText(band, tile, 11, text, 2, 2, 1, 255);
  for (let y = 0; y < 11; y++) for (let x = 0; x < tile; x++) {
    const o = ((oy + tile - 11 + y) * W + ox + x) * 3;
    const v = band[y * tile + x] ? (c.label ? 255 : 200) : 0;
    rgb[o] = v; rgb[o + 1] = c.label ? v * 0.75 : v; rgb[o + 2] = c.label ? v * 0.3 : v;
  }
}
writeFileSync(out, encode({ width: W, height: H, data: rgb, depth: 8, channels: 3 }));
process.stderr.write(`contact sheet: ${out} (seed ${seed}, cases ${start}-${start + 23}, ${Date.now() - t0} ms)\n`);
