import type { TensorInfo } from '@tensorflow/tfjs';
import { KERNELS_WASM_PLAIN, KERNELS_WASM_SHARED } from './simd/kernelsWasm';

/**
 * Heatcheck's own wasm SIMD kernels (simd/kernels.c, built by scripts/build-simd-kernels.sh), run
 * directly on tfjs-backend-wasm's heap: the module imports the backend's WebAssembly.Memory, so a
 * kernel takes the tensors' heap offsets and copies nothing. Instantiated once per backend
 * (synchronously: the module is under 4 KiB). Where it cannot start (no memory object found, a
 * runtime without wasm SIMD), the fused kernels fall back to their JavaScript loops, which compute
 * the same values; `simdKernelStatus()` says which runs and why.
 */

export interface SimdKernels {
  relu_backward(dy: number, y: number, out: number, n: number): void;
  maxpool_backward(dy: number, x: number, out: number, n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number, top: number, left: number, oh: number, ow: number): void;
  copy_channels(src: number, out: number, pixels: number, channels: number, offset: number, width: number): void;
}

interface EmscriptenModuleLike {
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory };
  HEAPU8?: Uint8Array;
}

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use. */
export interface WasmBackendLike {
  wasm?: EmscriptenModuleLike;
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

const instances = new WeakMap<object, SimdKernels | null>();
let enabled = true;
let status = 'not started';

function bytes(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function start(backend: WasmBackendLike): SimdKernels | null {
  const m = backend.wasm;
  // the threaded build creates its (shared) memory in JS; the single-thread build exports it
  const memory = m?.wasmMemory ?? m?.asm?.memory;
  if (!memory || !(memory instanceof WebAssembly.Memory)) {
    status = 'JavaScript loops: the wasm backend exposes no WebAssembly.Memory';
    return null;
  }
  if (m?.HEAPU8 && m.HEAPU8.buffer !== memory.buffer) {
    status = "JavaScript loops: the wasm backend's memory is not the one its heap views read";
    return null;
  }
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  try {
    const module = new WebAssembly.Module(bytes(shared ? KERNELS_WASM_SHARED : KERNELS_WASM_PLAIN));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    status = `wasm SIMD (${shared ? 'shared' : 'plain'} memory)`;
    return instance.exports as unknown as SimdKernels;
  } catch (e) {
    status = `JavaScript loops: the SIMD kernels did not start (${e instanceof Error ? e.message : String(e)})`;
    return null;
  }
}

/** The SIMD kernels bound to this wasm backend's heap, or null (then use the JavaScript loops). */
export function simdKernelsFor(backend: unknown): SimdKernels | null {
  if (!enabled) return null;
  const b = backend as WasmBackendLike;
  if (!instances.has(b)) instances.set(b, start(b));
  return instances.get(b) ?? null;
}

/** Heap byte offset of a tensor on the wasm backend. */
export function heapOffset(backend: unknown, t: TensorInfo): number {
  const d = (backend as WasmBackendLike).dataIdMap.get(t.dataId as object);
  if (!d) throw new Error(`simdKernels: tensor ${t.dataId} is not on the wasm backend's heap`);
  return d.memoryOffset;
}

/** Turns the SIMD kernels off (the JavaScript loops run) or back on: for benchmarks and tests. */
export function setSimdKernels(on: boolean): void {
  enabled = on;
}

/** Which fused-kernel implementation runs, and why ("wasm SIMD (plain memory)", or the reason for the loops). */
export function simdKernelStatus(): string {
  return enabled ? status : 'JavaScript loops: turned off (setSimdKernels(false))';
}
