import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chooseBackend, probeBackends, type BackendLoader, type BackendName, type BackendChoice } from '../../core/model/backends';

const require = createRequire(import.meta.url);

/** Backends usable in Node: wasm (default, SIMD single-thread) and cpu. No network: wasm files come from node_modules. */
export const nodeLoaders: Partial<Record<BackendName, BackendLoader>> = {
  wasm: async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasm.setWasmPaths(dir + path.sep);
    void pathToFileURL;
  },
  cpu: async () => {},
};

let choice: BackendChoice | null = null;

export async function initNodeBackend(backend: BackendName | 'auto' = 'wasm'): Promise<BackendChoice> {
  if (choice && (backend === 'auto' || choice.active === backend)) return choice;
  choice = await chooseBackend(nodeLoaders, backend === 'auto' ? ['wasm', 'cpu'] : [backend]);
  return choice;
}

export function probeNodeBackends() {
  return probeBackends(nodeLoaders);
}
