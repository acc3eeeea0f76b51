import type { Plugin } from 'vite';

/**
 * Build-time fix that lets tfjs-backend-wasm's threaded build run inside a minified bundle
 * (for vite.config.ts; not used at run time).
 *
 * tfjs starts its pthread workers with `mainScriptUrlOrBlob = Blob("var WasmBackendModuleThreadedSimd = "
 * + factory.toString())`: the worker re-evaluates the *source text* of the Emscripten factory. That
 * inner function refers to `_scriptDir`, a variable of the IIFE around it. Unminified, the worker
 * never touches it; minified, the bundler renames it (to `e`) and rewrites the guards, and every
 * worker dies with "ReferenceError: e is not defined", so tf.setBackend('wasm') never resolves.
 * Declaring `_scriptDir` inside the factory makes the function self-contained: the minifier then
 * renames a local, and the stringified source works in the worker too.
 */
export function tfjsWasmThreadsFix(): Plugin {
  const anchor = 'function(WasmBackendModuleThreadedSimd) {';
  return {
    name: 'heatcheck-tfjs-wasm-threads-fix',
    enforce: 'pre',
    transform(code, id) {
      if (!/tfjs-backend-wasm-threaded-simd\.js$/.test(id.split('?')[0])) return null;
      if (!code.includes(anchor)) {
        this.warn(`tfjs-backend-wasm's threaded factory changed shape (no "${anchor}"); WASM threads may fail in minified builds (src/core/model/kernels/wasmThreadsVitePlugin.ts)`);
        return null;
      }
      return {
        code: code.replace(anchor, `${anchor}\nvar _scriptDir = typeof document !== 'undefined' && document.currentScript ? document.currentScript.src : undefined;`),
        map: null,
      };
    },
  };
}
