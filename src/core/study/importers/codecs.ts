/**
 * The wasm codecs, loaded lazily on first use. Under Node (tests, CLI) Emscripten finds each .wasm
 * beside its script in node_modules; in the browser the worker calls setWasmLocator with the URLs
 * that Vite serves (src/worker/api/importer.ts imports them with `?url`), so nothing comes from
 * another origin.
 */
export type CodecName = 'openjpeg' | 'libjpeg' | 'charls';

/** The part of the Cornerstone codecs' Emscripten API we use (decoders share one shape). */
export interface FrameInfo { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned?: boolean }
export interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}
export interface CodecLib { [cls: string]: new () => WasmDecoder }

type Factory = (opts: Record<string, unknown>) => Promise<CodecLib>;
let locator: ((name: CodecName) => string) | null = null;
const cache = new Map<CodecName, Promise<CodecLib>>();

export function setWasmLocator(fn: (name: CodecName) => string): void {
  locator = fn;
}

async function factoryOf(name: CodecName): Promise<Factory> {
  const mod = name === 'openjpeg'
    ? await import('@cornerstonejs/codec-openjpeg/decodewasmjs')
    : name === 'libjpeg'
      ? await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')
      : await import('@cornerstonejs/codec-charls/decodewasmjs');
  const m = mod as unknown as { default?: unknown };
  // CommonJS through ESM: the factory is the default export (sometimes wrapped once more).
  const f = typeof m === 'function' ? m : typeof m.default === 'function' ? m.default : (m.default as { default?: unknown })?.default;
  return f as Factory;
}

export function loadCodec(name: CodecName): Promise<CodecLib> {
  let p = cache.get(name);
  if (!p) {
    p = factoryOf(name).then((factory) => factory({
      // The codecs log progress ("[INFO] ..."): keep it out of the console.
      print: () => {},
      printErr: () => {},
      ...(locator ? { locateFile: (file: string) => (file.endsWith('.wasm') ? locator!(name) : file) } : {}),
    }));
    p.catch(() => cache.delete(name));
    cache.set(name, p);
  }
  return p;
}

/** Runs one decoder class of a codec over a frame; the decoder's wasm memory is freed afterwards. */
/** The codec's module or wasm could not be loaded: an installation/serving problem, not the file's. */
export class CodecLoadError extends Error {
  constructor(public readonly codec: CodecName, cause: unknown) {
    super(`the ${codec} codec could not be loaded (${cause instanceof Error ? cause.message : String(cause)})`);
    this.name = 'CodecLoadError';
  }
}

export async function decodeWithCodec(name: CodecName, cls: string, frame: Uint8Array): Promise<{ info: FrameInfo; bytes: Uint8Array }> {
  let lib: CodecLib;
  try {
    lib = await loadCodec(name);
  } catch (e) {
    throw new CodecLoadError(name, e);
  }
  const dec = new lib[cls]();
  try {
    const input = dec.getEncodedBuffer(frame.length);
    input.set(frame);
    dec.decode();
    const info = dec.getFrameInfo();
    const out = dec.getDecodedBuffer();
    return { info: { ...info }, bytes: new Uint8Array(out) }; // copy out of wasm memory
  } catch (e) {
    // A codec that failed on a damaged stream may be left in a bad state: the next file gets a fresh instance.
    cache.delete(name);
    throw e;
  } finally {
    try { dec.delete(); } catch { /* the instance is gone with its module */ }
  }
}
