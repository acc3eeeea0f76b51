import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { HeatcheckError } from '../errors';
import { log } from '../output';
import { readModelDirFiles } from '../modelDir';
import type { MapEngine } from './compute';
import type { PlanModel } from '../plan/plan';
import type { MapRequest, MapResult } from '../../core/saliency/mapComputer';
import type { ModelManifest } from '../../core/model/manifest';

/** Backends that run in headless Chromium rather than in Node. */
export const BROWSER_BACKENDS = ['webgl', 'webgpu'] as const;
export type BrowserBackend = (typeof BROWSER_BACKENDS)[number];
export const isBrowserBackend = (b: string): b is BrowserBackend => (BROWSER_BACKENDS as readonly string[]).includes(b);

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PAGE_SRC = path.join(ROOT, 'src/worker/enginePage');
/** Where the engine page is built (on demand, when missing or older than its sources). */
export const ENGINE_PAGE_DIR = path.join(ROOT, '.cache/engine-page');
const STAMP = path.join(ENGINE_PAGE_DIR, '.built');

/**
 * Chromium: HEATCHECK_CHROMIUM (or PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH), then Debian's
 * /usr/bin/chromium, then Playwright's own download (undefined: Playwright finds it). The same
 * lookup as playwright.config.ts.
 */
export function findChromium(): string | undefined {
  const fromEnv = process.env.HEATCHECK_CHROMIUM ?? process.env.PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new HeatcheckError('NOT_FOUND_CHROMIUM', `HEATCHECK_CHROMIUM points to ${fromEnv}, which does not exist`);
    return fromEnv;
  }
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(p)) return p;
  return undefined;
}

/** The newest modification time (ms) of the files under `dir` (sources of the page). */
function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestMtime(p));
    else if (e.isFile() && !/\.test\.tsx?$/.test(e.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Builds the engine page with Vite (minified, like the app) unless a build newer than every source
 * it may bundle (src/core, src/worker, the lock file) is there. Takes a minute or so the first time.
 */
export async function ensureEnginePage(): Promise<string> {
  const sources = Math.max(newestMtime(path.join(ROOT, 'src/core')), newestMtime(path.join(ROOT, 'src/worker')), statSync(path.join(ROOT, 'package-lock.json')).mtimeMs);
  if (existsSync(STAMP) && statSync(STAMP).mtimeMs >= sources) return ENGINE_PAGE_DIR;
  log(`maps: building the engine page for the browser backends into ${path.relative(process.cwd(), ENGINE_PAGE_DIR) || ENGINE_PAGE_DIR}`);
  const { build } = await import('vite');
  await build({
    configFile: false,
    root: PAGE_SRC,
    base: './',
    logLevel: 'warn',
    publicDir: false,
    worker: { format: 'es' },
    build: { outDir: ENGINE_PAGE_DIR, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 8192, sourcemap: false },
  });
  writeFileSync(STAMP, new Date().toISOString() + '\n');
  return ENGINE_PAGE_DIR;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json' };

/** Serves `dir` on 127.0.0.1 at a free port (the page and its chunks; nothing else leaves the machine). */
function serve(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    const file = path.resolve(dir, rel);
    if (!file.startsWith(dir + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

type EnginePage = { heatcheckEngine: import('../../worker/enginePage/main').HeatcheckEnginePage };

/**
 * Maps computed in headless Chromium on WebGL or WebGPU: the engine page (src/worker/enginePage)
 * runs core's MapComputer, the code JobRunner runs on wasm in Node. Model files and model inputs
 * go to the page, maps come back; the CLI writes them as it does wasm's. One page, one job at a time.
 * Chromium's flags: --enable-unsafe-webgpu for webgpu, plus HEATCHECK_CHROMIUM_ARGS (space-separated).
 */
export class BrowserEngine implements MapEngine {
  private constructor(
    private readonly browser: import('playwright-core').Browser,
    private readonly page: import('playwright-core').Page,
    private readonly server: Server,
    readonly backend: BrowserBackend,
    /** What the backend runs on, as Chromium names it (a GPU, or SwiftShader). */
    readonly adapter: string | null,
  ) {}

  static async start(backend: BrowserBackend): Promise<BrowserEngine> {
    const executablePath = findChromium();
    const dir = await ensureEnginePage();
    const { chromium } = await import('playwright-core');
    const extra = (process.env.HEATCHECK_CHROMIUM_ARGS ?? '').split(/\s+/).filter(Boolean);
    const args = [...(backend === 'webgpu' ? ['--enable-unsafe-webgpu'] : []), ...extra];
    let browser: import('playwright-core').Browser;
    try {
      browser = await chromium.launch({ executablePath, headless: true, args });
    } catch (e) {
      throw new HeatcheckError('BACKEND_FAILED', `--backend ${backend}: Chromium (${executablePath ?? "Playwright's own"}) did not start: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}. Set HEATCHECK_CHROMIUM=/path/to/chromium.`);
    }
    const server = await serve(dir);
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`);
      await page.waitForFunction(() => 'heatcheckEngine' in globalThis, undefined, { timeout: 60_000 }).catch(() => {
        throw new Error(`the engine page did not load${pageErrors.length ? ` (${pageErrors.join('; ')})` : ''}`);
      });
      let info: { backend: string; adapter: string | null; software: boolean | null };
      try {
        info = await page.evaluate((b) => (globalThis as unknown as EnginePage).heatcheckEngine.init(b), backend);
      } catch (e) {
        const said = (e instanceof Error ? e.message : String(e)).replace(/^page\.evaluate: (Error: )?/, '').split('\n')[0];
        throw new HeatcheckError('BACKEND_FAILED', `--backend ${backend}: Chromium (${executablePath ?? "Playwright's own"}, flags: ${args.join(' ') || 'none'}) could not start it: ${said}`);
      }
      log(`maps: ${backend} in Chromium ${browser.version()} on ${info.adapter ?? 'an unnamed adapter'}${info.software ? ' (software: a GPU emulated on the CPU)' : ''}`);
      return new BrowserEngine(browser, page, server, backend, info.adapter);
    } catch (e) {
      await browser.close();
      server.close();
      throw e;
    }
  }

  async load(pm: PlanModel, classIndex: number | undefined): Promise<{ manifest: ModelManifest; weightsHash: string }> {
    const { files, id } = readModelDirFiles(pm.dir, { classIndex });
    const b64: Record<string, string> = {};
    for (const [k, v] of files) b64[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
    return this.inPage(`building model ${pm.dir}`, () => this.page.evaluate(([mid, manifestId, source, ci, fs]) => (globalThis as unknown as EnginePage).heatcheckEngine.loadModel(mid, manifestId, source, ci ?? undefined, fs), [pm.id, id, pm.dir, classIndex ?? null, b64] as const));
  }

  /** What the page threw (or that Chromium went away), as an error that names the backend and the step. */
  private async inPage<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      const said = (e instanceof Error ? e.message : String(e)).replace(/^page\.evaluate: (Error: )?/, '').split('\n')[0];
      throw new HeatcheckError('BACKEND_FAILED', `--backend ${this.backend} in Chromium, ${what}: ${said}`);
    }
  }

  async compute(req: MapRequest): Promise<MapResult> {
    const x = Buffer.from(req.x.buffer, req.x.byteOffset, req.x.byteLength).toString('base64');
    const r = await this.inPage(`computing ${req.method} with model ${req.model}`, () => this.page.evaluate((q) => (globalThis as unknown as EnginePage).heatcheckEngine.map(q), { ...req, x }));
    const bytes = Buffer.from(r.values, 'base64');
    const values = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(values.buffer).set(bytes);
    return { ...r, values };
  }

  async dispose(): Promise<void> {
    await this.browser.close();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
