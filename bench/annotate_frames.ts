/**
 * Annotation workspace speed (prints figures, asserts nothing):
 * 1. frame times while dragging a box over a 2048 x 2048 image in Chromium (requestAnimationFrame
 *    deltas in the page, blinded and coordinator view), driving the built app with Playwright;
 * 2. the consensus recompute of one case (3 readers, 2048 x 2048) in Node: core consensus mask +
 *    display outline, and the full reader agreement.
 *
 *   npx tsx bench/annotate_frames.ts            (builds dist/ first when it is missing)
 *   npx tsx bench/annotate_frames.ts --build    (always rebuild)
 * Browser: HEATCHECK_CHROMIUM, else /usr/bin/chromium.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from '@playwright/test';
import { seedStudy } from '../e2e/annotateSeed';
import { caseAgreement, caseConsensus } from '../src/ui/annotate/agreement';
import type { Box } from '../src/state/db';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const SIZE = 2048;

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))];
  return { n: s.length, median: q(0.5), p95: q(0.95), max: s[s.length - 1] };
}
const f = (x: number) => x.toFixed(1);

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });
}

async function waitFor(url: string, ms = 30_000) {
  const t0 = Date.now();
  for (;;) {
    try { if ((await fetch(url)).ok) return; } catch { /* not yet */ }
    if (Date.now() - t0 > ms) throw new Error(`vite preview did not answer at ${url} within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function measureDrag(page: Page, label: string) {
  const bb = (await page.getByTestId('viewer').boundingBox())!;
  const [s, vx, vy] = (await page.getByTestId('viewer').getAttribute('data-view'))!.split(',').map(Number);
  const at = (ix: number, iy: number) => ({ x: bb.x + vx + ix * s, y: bb.y + vy + iy * s });
  // the box to drag: draw it first
  const a = at(800, 800), b = at(1100, 1050);
  await page.mouse.move(a.x, a.y); await page.mouse.down(); await page.mouse.move(b.x, b.y, { steps: 5 }); await page.mouse.up();
  await page.waitForTimeout(300);
  await page.evaluate(`(() => {
    window.__frames = []; window.__run = true;
    let last = performance.now();
    const tick = (t) => { window.__frames.push(t - last); last = t; if (window.__run) requestAnimationFrame(tick); };
    requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });
  })()`);
  const c = at(950, 925);
  await page.mouse.move(c.x, c.y);
  await page.mouse.down();
  const t0 = Date.now();
  let k = 0;
  while (Date.now() - t0 < 4000) {
    const ang = k++ / 15;
    await page.mouse.move(c.x + Math.cos(ang) * 120, c.y + Math.sin(ang) * 90);
  }
  await page.mouse.up();
  const frames = (await page.evaluate('(() => { window.__run = false; return window.__frames.slice(1); })()')) as number[];
  const st = stats(frames);
  console.log(`${label}: ${k} pointer moves in 4 s, ${st.n} frames; frame time median ${f(st.median)} ms, p95 ${f(st.p95)} ms, max ${f(st.max)} ms (~${f(1000 / st.median)} fps at the median)`);
  return st;
}

async function browserBench() {
  const executablePath = process.env.HEATCHECK_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`No Chromium at ${executablePath}; set HEATCHECK_CHROMIUM or apt-get install chromium.`);
  if (process.argv.includes('--build') || !existsSync(path.join(root, 'dist/index.html'))) {
    console.log('building dist/ (vite build)…');
    const r = spawnSync('npx', ['vite', 'build'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('vite build failed');
  }
  const port = await freePort();
  const server: ChildProcess = spawn('npx', ['vite', 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'], { cwd: root, stdio: 'ignore', detached: true });
  const browser = await chromium.launch({ executablePath });
  try {
    const base = `http://127.0.0.1:${port}/`;
    await waitFor(base);
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await page.goto(`${base}#/annotate`);
    await seedStudy(page, { n: 1, size: SIZE, studyId: 'bench2048' });
    await page.reload();
    await page.getByTestId('case-name').waitFor();
    await page.waitForTimeout(1000);
    console.log(`Chromium ${browser.version()}, viewer ${JSON.stringify(await page.getByTestId('viewer').boundingBox())}, image ${SIZE} x ${SIZE}`);
    await measureDrag(page, 'drag a box, blinded view');
    // other readers' boxes for the coordinator view
    for (const r of ['R2', 'R3']) {
      await page.getByTestId('reader-select').selectOption(r);
      await page.waitForTimeout(200);
      const bb = (await page.getByTestId('viewer').boundingBox())!;
      const [s, vx, vy] = (await page.getByTestId('viewer').getAttribute('data-view'))!.split(',').map(Number);
      const off = r === 'R2' ? 60 : -40;
      const p = (ix: number, iy: number) => ({ x: bb.x + vx + ix * s, y: bb.y + vy + iy * s });
      const a = p(850 + off, 820 + off), b = p(1150 + off, 1080 + off);
      await page.mouse.move(a.x, a.y); await page.mouse.down(); await page.mouse.move(b.x, b.y, { steps: 5 }); await page.mouse.up();
    }
    await page.getByTestId('reader-select').selectOption('R1');
    await page.getByTestId('mode-coordinator').click();
    await page.waitForTimeout(500);
    await measureDrag(page, 'drag a box, coordinator view (3 readers, consensus contour)');
    await page.getByTestId('recompute-ms').waitFor();
    console.log(`in the page after the last drag: ${await page.getByTestId('recompute-ms').textContent()}`);
  } finally {
    await browser.close();
    try { process.kill(-server.pid!); } catch { server.kill(); }
  }
}

function nodeBench() {
  const box = (id: string, x0: number, y0: number, x1: number, y1: number): Box => ({ id, x0, y0, x1, y1 });
  const readers: Record<string, Box[]> = {
    R1: [box('a', 800, 800, 1100, 1050), box('b', 200, 300, 420, 460)],
    R2: [box('c', 860, 880, 1160, 1140)],
    R3: [box('d', 760, 780, 1060, 1040), box('e', 210, 280, 400, 470)],
  };
  const cons: number[] = [], agr: number[] = [];
  for (let i = 0; i < 25; i++) {
    const c = caseConsensus(readers, SIZE, SIZE, 2);
    const a = caseAgreement(readers, SIZE, SIZE, 2);
    if (i >= 3) { cons.push(c.msConsensus); agr.push(a.ms); }
  }
  const c = stats(cons), a = stats(agr);
  console.log(`consensus recompute, 3 readers (5 boxes) on ${SIZE} x ${SIZE} (Node ${process.version}): consensus outline (core consensus + coveredRange on the boxes' edge grid) median ${c.median.toFixed(3)} ms (p95 ${c.p95.toFixed(3)}); agreement (core: pairwise IoU/Dice, Fleiss kappa, vs others; on the boxes' region, completed to the whole image) median ${f(a.median)} ms (p95 ${f(a.p95)})`);
}

nodeBench();
await browserBench();
