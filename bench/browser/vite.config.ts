import { defineConfig } from 'vite';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tfjsWasmThreadsFix } from '../../src/core/model/kernels/wasmThreadsVitePlugin';

const here = path.dirname(fileURLToPath(import.meta.url));
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The gradient bench page: built minified like the app, demo models from public/, served cross-origin isolated. */
export default defineConfig({
  root: here,
  base: './',
  publicDir: path.join(here, '../../public'),
  plugins: [tfjsWasmThreadsFix()],
  build: {
    outDir: path.join(here, '../../.cache/bench-browser'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8192,
  },
  preview: { host: '127.0.0.1', port: 4178, strictPort: true, headers: crossOriginIsolation },
  server: { host: '127.0.0.1', port: 4178, strictPort: true, headers: crossOriginIsolation },
});
