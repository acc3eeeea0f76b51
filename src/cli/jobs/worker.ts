/**
 * Worker thread of `heatcheck maps --jobs N`: its own TF.js and wasm backend, its own models.
 * Receives one job at a time ({ job }), answers { result } or { error }; { stop } ends it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { JobRunner } from './compute';
import type { MapPlan, MapJob } from '../plan/plan';

const { plan, out } = workerData as { plan: MapPlan; out: string };
const runner = new JobRunner(plan, out);
// Quiet tfjs's "install tfjs-node" banner here too: the CLI runs on wasm by design.
const origLog = console.log;
console.log = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && (args[0].includes('tfjs-node') || args[0].startsWith('====='))) return;
  origLog(...args);
};
parentPort!.on('message', async (m: { job?: MapJob; stop?: true }) => {
  if (m.stop) {
    await runner.dispose();
    parentPort!.close();
    return;
  }
  try {
    const t0 = performance.now();
    const result = await runner.run(m.job!);
    parentPort!.postMessage({ result, wallMs: performance.now() - t0 });
  } catch (e) {
    const code = (e as { code?: unknown })?.code;
    parentPort!.postMessage({ error: { code: typeof code === 'string' ? code : 'INTERNAL', message: e instanceof Error ? e.stack ?? e.message : String(e), details: (e as { details?: unknown }).details } });
  }
});
parentPort!.postMessage({ ready: true });
