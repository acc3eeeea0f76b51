/**
 * Import speed by format (prints figures, asserts nothing):
 * 1. Node: the import's decode step (decodeFiles: signature, decoder, grayscale, sha256 content hash)
 *    on one JPEG, one PNG, one uncompressed DICOM and one JPEG 2000 DICOM of the same synthetic
 *    image, at 256 x 256 and 1841 x 1955; median of 5 runs after one warm-up;
 * 2. Chromium: the whole import in the built app (Data page: file chosen -> decoded in the import
 *    worker -> stored in IndexedDB -> report shown), one fresh profile per file; then the small
 *    JPEG again while the compute worker is busy timing a model (the import used to be decoded in
 *    the compute worker and waited for such calls: 12.2 s there before, 0.5 s in its own worker).
 *
 *   npx tsx bench/import_formats.ts            (builds dist/ first when it is missing)
 *   npx tsx bench/import_formats.ts --build    (always rebuild)   --node-only (skip Chromium)
 * Browser: HEATCHECK_CHROMIUM, else /usr/bin/chromium.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode as encodePng } from 'fast-png';
import { encode as encodeJpeg } from 'jpeg-js';
import { chromium } from '@playwright/test';
import { decodeFiles } from '../src/core/study/importers/batch';
import { TS, encodeJ2k, writeDicom } from '../src/core/study/importers/testing/dicomFixtures';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A radiograph-like synthetic image: a soft gradient, a bright disc, fine texture. */
function image(w: number, h: number): Uint8Array {
  const px = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const d = Math.hypot(x - w * 0.45, y - h * 0.55) / Math.min(w, h);
    px[y * w + x] = Math.min(255, 30 + (90 * y) / h + (d < 0.15 ? 100 * (1 - d / 0.15) : 0) + ((x * 7 + y * 13) % 11));
  }
  return px;
}

async function files(w: number, h: number): Promise<Array<[string, Uint8Array]>> {
  const px = image(w, h);
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0; i < px.length; i++) { rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = px[i]; rgba[4 * i + 3] = 255; }
  const jpeg = new Uint8Array(encodeJpeg({ data: rgba, width: w, height: h }, 90).data);
  const png = encodePng({ width: w, height: h, data: px, channels: 1, depth: 8 });
  const dcm = writeDicom({ rows: h, cols: w, values: Uint16Array.from(px, (v) => v * 16), bitsAllocated: 16 });
  const j2k = writeDicom({ rows: h, cols: w, values: Uint16Array.from(px, (v) => v * 16), bitsAllocated: 16, transferSyntax: TS.j2kLossless, frame: await encodeJ2k(Uint16Array.from(px, (v) => v * 16), h, w, 16) });
  return [[`img-${w}x${h}.jpg`, jpeg], [`img-${w}x${h}.png`, png], [`img-${w}x${h}.dcm`, dcm], [`img-${w}x${h}-j2k.dcm`, j2k]];
}

const f1 = (x: number) => x.toFixed(1);

async function nodeBench(all: Array<[string, Uint8Array]>) {
  console.log(`Node ${process.version}: decodeFiles (decode + grayscale + sha256), median of 5 after a warm-up`);
  for (const [name, bytes] of all) {
    const run = async () => {
      const t0 = performance.now();
      const r = await decodeFiles([{ path: name, bytes: bytes.slice() }]);
      if (r.problems.length) throw new Error(`${name}: ${r.problems[0].problem}`);
      return performance.now() - t0;
    };
    await run();
    const ts: number[] = [];
    for (let i = 0; i < 5; i++) ts.push(await run());
    ts.sort((a, b) => a - b);
    console.log(`  ${name.padEnd(26)} ${String(bytes.length).padStart(9)} bytes   median ${f1(ts[2]).padStart(7)} ms   min ${f1(ts[0]).padStart(7)} ms`);
  }
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const port = (srv.address() as net.AddressInfo).port; srv.close(() => res(port)); });
    srv.on('error', rej);
  });
}

async function browserBench(all: Array<[string, Uint8Array]>) {
  const executablePath = process.env.HEATCHECK_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`No Chromium at ${executablePath}; set HEATCHECK_CHROMIUM or apt-get install chromium.`);
  if (process.argv.includes('--build') || !existsSync(path.join(root, 'dist/index.html'))) {
    const r = spawnSync('npx', ['vite', 'build'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('vite build failed');
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'heatcheck-bench-import-'));
  const port = await freePort();
  const server: ChildProcess = spawn('npx', ['vite', 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'], { cwd: root, stdio: 'ignore', detached: true });
  const browser = await chromium.launch({ executablePath });
  try {
    const base = `http://127.0.0.1:${port}/`;
    for (let t = 0; ; t++) { try { if ((await fetch(base)).ok) break; } catch { /* not yet */ } if (t > 150) throw new Error('vite preview did not start'); await new Promise((r) => setTimeout(r, 200)); }
    console.log(`Chromium ${browser.version()}: whole import on the Data page (choose file -> report), fresh profile each, default backend`);
    for (const [name, bytes] of all) {
      const file = path.join(dir, name);
      writeFileSync(file, bytes);
      const ctx = await browser.newContext();
      await ctx.addInitScript(() => localStorage.setItem('heatcheck.welcomeSeen', '1'));
      const page = await ctx.newPage();
      await page.goto(`${base}#/data`);
      await page.getByTestId('backend-badge').and(page.locator('[data-backend]:not([data-backend=""])')).waitFor({ timeout: 60_000 });
      const t0 = Date.now();
      await page.getByTestId('import-files').setInputFiles(file);
      await page.getByTestId('import-report').waitFor({ timeout: 120_000 });
      const ms = Date.now() - t0;
      const added = await page.getByTestId('import-added').textContent();
      console.log(`  ${name.padEnd(26)} ${String(bytes.length).padStart(9)} bytes   ${String(ms).padStart(6)} ms   (${added} added, backend ${await page.getByTestId('backend-badge').getAttribute('data-backend')})`);
      await ctx.close();
    }
    {
      const [name, bytes] = all[0];
      const file = path.join(dir, name);
      writeFileSync(file, bytes);
      const ctx = await browser.newContext();
      await ctx.addInitScript(() => localStorage.setItem('heatcheck.welcomeSeen', '1'));
      const page = await ctx.newPage();
      await page.goto(`${base}?backend=wasm#/data`);
      await page.locator('[data-testid="backend-badge"][data-backend="wasm"]').waitFor({ timeout: 60_000 });
      await page.waitForTimeout(8000); // the demo study is generated in the compute worker first
      await page.evaluate(() => { void (window as unknown as { __heatcheck: { probeTiming(id: string, reps: number, batch: number): Promise<unknown> } }).__heatcheck.probeTiming('densenet-compact-s1', 15, 8); });
      await page.waitForTimeout(500);
      const t0 = Date.now();
      await page.getByTestId('import-files').setInputFiles(file);
      await page.getByTestId('import-report').waitFor({ timeout: 180_000 });
      console.log(`  ${name.padEnd(26)} while the compute worker times a model: ${Date.now() - t0} ms`);
      await ctx.close();
    }
  } finally {
    await browser.close();
    if (server.pid) process.kill(-server.pid);
    rmSync(dir, { recursive: true, force: true });
  }
}

const all = [...(await files(256, 256)), ...(await files(1841, 1955))];
await nodeBench(all);
if (!process.argv.includes('--node-only')) await browserBench(all);
