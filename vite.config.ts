/// <reference types="vitest/config" />
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { tfjsWasmThreadsFix } from './src/core/model/kernels/wasmThreadsVitePlugin';

/**
 * The Content-Security-Policy lives in index.html (a <meta http-equiv>). The configured sync
 * server's origin (HEATCHECK_SYNC_ORIGIN, e.g. https://sync.example.org; empty: none) is the one
 * place another origin may be allowed: it fills __HEATCHECK_SYNC_ORIGIN__ in connect-src.
 */
const SYNC_ORIGIN = (process.env.HEATCHECK_SYNC_ORIGIN ?? '').trim();
if (SYNC_ORIGIN && !/^https?:\/\/[A-Za-z0-9.-]+(:\d+)?$/.test(SYNC_ORIGIN)) throw new Error(`HEATCHECK_SYNC_ORIGIN must be an origin like https://sync.example.org, not "${SYNC_ORIGIN}"`);
const fillSync = (text: string) => text.replace(/ ?__HEATCHECK_SYNC_ORIGIN__/g, SYNC_ORIGIN ? ` ${SYNC_ORIGIN}` : '');
const CSP = fillSync(/http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(readFileSync(new URL('./index.html', import.meta.url), 'utf8'))![1]);

/**
 * Build: the meta keeps the policy (sync origin filled in). Dev server: the meta is left out, since
 * Vite's hot reload runs inline scripts the policy forbids; `vite preview` serves the built app.
 */
function contentSecurityPolicy(): Plugin {
  let serve = false;
  return {
    name: 'heatcheck-csp',
    configResolved(c) { serve = c.command === 'serve' && c.mode !== 'production' && !c.isProduction; },
    transformIndexHtml(html) {
      return serve ? html.replace(/\s*<meta http-equiv="Content-Security-Policy"[^>]*>/, '') : fillSync(html);
    },
  };
}

/**
 * Cross-origin isolation, so SharedArrayBuffer exists and the wasm backend can run threads. The app
 * loads nothing from other origins, so require-corp costs nothing; a deployment must send the same
 * two headers (README, "Deploying").
 */
const CROSS_ORIGIN_ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// The app is fully static: every runtime asset (models, wasm, fonts) is served from this origin.
export default defineConfig({
  base: './',
  plugins: [react(), contentSecurityPolicy()],
  // TF.js runs in the compute worker, whose bundle has its own plugin list: the threaded wasm fix goes there
  worker: { format: 'es', plugins: () => [tfjsWasmThreadsFix()] },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    sourcemap: false,
  },
  // the same policy as a header, so that the workers (which a <meta> does not reach) are held to it
  preview: { port: 4173, strictPort: true, host: '127.0.0.1', headers: { 'Content-Security-Policy': CSP, ...CROSS_ORIGIN_ISOLATION } },
  server: { port: 5173, host: '127.0.0.1', headers: CROSS_ORIGIN_ISOLATION },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'scripts/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // vitest's default (cores - 1) but at least two files at a time: on 2 cores the default runs one
    // file, while TF.js runs one wasm thread per file and many files spend much of their time
    // waiting on Python, Chromium, Slurm or the sync server. Three on 2 cores was measured no faster
    // (the whole unit suite 445 s against 442 s with two: the waits are already overlapped).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // one wasm thread unless a test asks for more (src/platform/node/wasmThreads.test.ts): 'auto' would time a conv per test file
    env: { HEATCHECK_THREADS: '1' },
  },
});
