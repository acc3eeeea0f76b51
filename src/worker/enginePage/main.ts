/**
 * The saliency engine as a page, for `heatcheck maps --backend webgl|webgpu`: the CLI builds it
 * (src/cli/jobs/browserEngine.ts), serves it from 127.0.0.1 and drives it in headless Chromium
 * through `window.heatcheckEngine`. It runs the app's backend loaders and core's MapComputer, the
 * code the CLI runs on wasm, so only the backend differs. Bytes cross as base64 strings (what
 * page.evaluate carries cheaply); float arrays as their little-endian float32 bytes.
 */
import { chooseBackend, type BackendName } from '../../core/model/backends';
import { readModelFolder } from '../../core/model/modelFolder';
import { loadModelFromFiles } from '../../core/model/load';
import { MapComputer, type MapRequest } from '../../core/saliency/mapComputer';
import { browserLoaders } from '../browserBackends';

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const u = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
  return u;
}

function toBase64(u: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < u.length; i += 0x8000) bin += String.fromCharCode(...u.subarray(i, i + 0x8000));
  return btoa(bin);
}

const computer = new MapComputer();

const engine = {
  /** Activates `backend` (loader, tf.setBackend, a sanity matMul); throws what failed, in the browser's words. */
  async init(backend: BackendName): Promise<{ backend: string; adapter: string | null; software: boolean | null }> {
    const choice = await chooseBackend(browserLoaders, [backend]);
    const a = choice.attempts.find((t) => t.ok);
    return { backend: choice.active, adapter: a?.adapter ?? null, software: a?.software ?? null };
  },
  /** Builds a model from its folder's files (path -> base64), read by the same reader as the CLI's and the app's. */
  async loadModel(id: string, manifestId: string, source: string, classIndex: number | undefined, files: Record<string, string>) {
    const folder = readModelFolder(new Map(Object.entries(files).map(([k, v]) => [k, fromBase64(v)])), { source, classIndex });
    const lm = await loadModelFromFiles(folder.files, { ...folder.manifest, id: manifestId });
    computer.add(id, lm);
    return { manifest: lm.manifest, weightsHash: lm.weightsHash };
  },
  /** One map: the request with its input as base64 float32; the result with its values likewise. */
  async map(req: Omit<MapRequest, 'x'> & { x: string }) {
    const b = fromBase64(req.x);
    const r = await computer.compute({ ...req, x: new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4) });
    return { ...r, values: toBase64(new Uint8Array(r.values.buffer, r.values.byteOffset, r.values.byteLength)) };
  },
};

(globalThis as { heatcheckEngine?: typeof engine }).heatcheckEngine = engine;
export type HeatcheckEnginePage = typeof engine;
