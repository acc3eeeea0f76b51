import { compute, newJobId } from '../../worker/client';
import { appPool } from '../../state/scheduler';
import type { ComputeMapRequest } from '../../worker/api/saliency';
import type { ImportInputFile } from '../../core/study/importers/batch';

/**
 * Console / e2e / bench hooks onto the worker's saliency API (window.__heatcheck). They run the same
 * code as the UI: maps are cached in IndexedDB like any other.
 */
declare global {
  interface Window { __heatcheck?: Record<string, unknown> }
}

window.__heatcheck = {
  ...(window.__heatcheck ?? {}),
  computeMap: (request: ComputeMapRequest) => compute().computeMap(newJobId('map'), request),
  saliencyMethods: () => compute().saliencyMethods(),
  randomizationSteps: (modelId: string) => compute().randomizationSteps(modelId),
  probeTiming: (modelId: string, reps?: number, batch?: number) => compute().probeTiming(modelId, reps, batch),
  // Logit, input gradient and Grad-CAM of a model on an input in its input space (e2e compares them with PyTorch's).
  probeAt: (modelId: string, input: Float32Array, layer?: string) => compute().probeAt(modelId, input, layer),
  // The import's own decoder in the worker (the Data page calls the same): e2e compares it with Node's.
  decodeImportBatch: (files: ImportInputFile[]) => compute().decodeImportBatch(files),
  // The pool of compute workers: its size and why, jobs started per worker, jobs dropped or
  // cancelled, and the keys queued or running (e2e checks that leaving a case withdraws its maps).
  pool: async () => {
    const { scheduler, pool } = await appPool();
    return { ...pool, ...scheduler.stats(), keys: scheduler.keys() };
  },
};
