import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);

/**
 * tfjs-backend-wasm's threaded SIMD build, started so that it works in Node.
 *
 * Stock tfjs starts the build's pthread workers from a `blob:` URL (the worker script and the
 * Emscripten factory as Blobs), which Node's worker_threads rejects (ERR_WORKER_PATH), so stock
 * tfjs in Node is single-threaded. Here the same Emscripten factory (wasm-out/...threaded-simd.js)
 * is created with:
 * - the pthread worker script written to a file (its text is tfjs's own, wasm-out/...worker.js) and
 *   handed to Emscripten through `locateFile`;
 * - `mainScriptUrlOrBlob` the factory's own file path, which each worker evaluates (Emscripten's Node
 *   `importScripts` reads a file path);
 * - `instantiateWasm` instantiating the binary with one import changed: tfjs caps its XNNPACK pool
 *   at emscripten_num_logical_cores() / 2 (it assumes two hyper-threads per core), read once at
 *   start-up, so asking for N threads answers 2N and the pool gets exactly N (tfjs's own cap, 8, stays).
 * The module is then wrapped in tfjs's BackendWasm exactly as tfjs's own init does, so every kernel
 * (stock and ours) runs unchanged.
 */

/** Largest pool tfjs 4.22's wasm build starts (it pre-creates 8 pthread workers). */
export const MAX_WASM_THREADS = 8;

function wasmOutDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'));
}

/**
 * Writes tfjs's pthread worker script to a file once per content (under the OS temp folder) and
 * returns its path. The text is a JS template literal in wasm-out; its `\n` escapes became real
 * newlines inside string literals, which tfjs re-escapes before making its Blob: so do we.
 */
export function pthreadWorkerFile(): string {
  const { wasmWorkerContents } = require(path.join(wasmOutDir(), 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const text = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), 'heatcheck-wasm');
  const file = path.join(dir, `tfjs-pthread-worker-${hash}.cjs`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  }
  return file;
}

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  tfjs?: Record<string, unknown>;
  PThread?: { runningWorkers: Array<{ unref(): void }> };
}
type EmscriptenFactory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;
type Receive = (instance: WebAssembly.Instance, module: WebAssembly.Module) => void;

/** Creates the threaded Emscripten module with an XNNPACK pool of `threads` threads. */
async function createThreadedModule(threads: number): Promise<EmscriptenModule> {
  const dir = wasmOutDir();
  const factoryFile = path.join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  const wasmFile = path.join(dir, 'tfjs-backend-wasm-threaded-simd.wasm');
  const factory = require(factoryFile) as EmscriptenFactory;
  const workerFile = pthreadWorkerFile();
  let abortMessage: string | null = null;
  const module = await factory({
    locateFile: (p: string) => (p.endsWith('.worker.js') ? workerFile : path.join(dir, p)),
    mainScriptUrlOrBlob: factoryFile,
    instantiateWasm: (info: { env: Record<string, unknown> }, receive: Receive) => {
      info.env.emscripten_num_logical_cores = () => 2 * threads;
      WebAssembly.instantiate(fs.readFileSync(wasmFile), info as unknown as WebAssembly.Imports).then(
        (r) => receive(r.instance, r.module),
        (e: unknown) => { abortMessage = e instanceof Error ? e.message : String(e); },
      );
      return {};
    },
    onAbort: (what: unknown) => { abortMessage = String(what); },
  });
  if (abortMessage) throw new Error(`the threaded wasm module aborted: ${abortMessage}`);
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  return module;
}

type WasmPackage = typeof import('@tensorflow/tfjs-backend-wasm');

let stockFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | null = null;

/**
 * Registers the 'wasm' backend factory for `threads` threads (1: tfjs's own single-thread SIMD
 * build, as stock; more: the threaded build started as above). Replaces the current 'wasm' backend
 * (its tensors are gone); call tf.setBackend('wasm') afterwards.
 */
export function registerWasmBackend(wasm: WasmPackage, threads: number): void {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new Error(`wasm threads must be an integer from 1 to ${MAX_WASM_THREADS}, found ${threads}`);
  }
  stockFactory ??= tf.findBackendFactory('wasm');
  if (!stockFactory) throw new Error('tfjs-backend-wasm did not register its backend');
  const wasmPriority = 2;
  if (tf.findBackend('wasm') || tf.findBackendFactory('wasm')) tf.removeBackend('wasm');
  wasm.setThreadsCount(threads);
  if (threads === 1) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    tf.registerBackend('wasm', stockFactory, wasmPriority);
    return;
  }
  tf.registerBackend('wasm', async () => {
    const module = await createThreadedModule(threads);
    const backend = new wasm.BackendWasm(module as never);
    // The constructor started XNNPACK's pool: its pthreads live as long as the backend, and
    // Emscripten ref()s a worker that runs one, which would keep Node from exiting after the work.
    for (const w of module.PThread?.runningWorkers ?? []) w.unref();
    return backend;
  }, wasmPriority);
}

/** Threads of the wasm backend now running (XNNPACK's pool; 1 when single-threaded). */
export function activeWasmThreads(wasm: WasmPackage): number {
  return wasm.getThreadsCount();
}
