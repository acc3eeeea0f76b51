import * as Comlink from 'comlink';
import type { ImportApi } from './import.worker';

let remote: Comlink.Remote<ImportApi> | null = null;

/** The main thread's handle on the import worker (created on the first import). */
export function importer(): Comlink.Remote<ImportApi> {
  if (!remote) {
    const worker = new Worker(new URL('./import.worker.ts', import.meta.url), { type: 'module', name: 'heatcheck-import' });
    remote = Comlink.wrap<ImportApi>(worker);
  }
  return remote;
}
