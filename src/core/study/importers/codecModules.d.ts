// The Cornerstone codecs ship Emscripten factories without type declarations.
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' { const f: (opts?: Record<string, unknown>) => Promise<unknown>; export default f; }
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' { const f: (opts?: Record<string, unknown>) => Promise<unknown>; export default f; }
declare module '@cornerstonejs/codec-charls/decodewasmjs' { const f: (opts?: Record<string, unknown>) => Promise<unknown>; export default f; }
declare module '@cornerstonejs/codec-openjpeg/wasmjs' { const f: (opts?: Record<string, unknown>) => Promise<unknown>; export default f; }
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs' { const f: (opts?: Record<string, unknown>) => Promise<unknown>; export default f; }
declare module '@cornerstonejs/codec-charls/wasmjs' { const f: (opts?: Record<string, unknown>) => Promise<unknown>; export default f; }
declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    constructor(buffer?: ArrayBuffer, numBytes?: number);
    decode(buffer: ArrayBuffer, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array | Int16Array;
  }
}
declare module 'dcmjs' { const dcmjs: unknown; export default dcmjs; }
