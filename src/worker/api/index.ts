import { cancelJob } from '../jobs';
import * as backend from './backend';
import * as phantom from './phantom';
import * as saliency from './saliency';
import * as importer from './importer';
import * as trust from './trust';
import * as models from './models';

/**
 * The compute worker's API. Each concern is one module under src/worker/api and one line here.
 * Long jobs take a job id and a progress callback (wrapped with Comlink.proxy by the client).
 */
export const computeApi = {
  initBackend: backend.initBackend,
  crossCheckBackend: backend.crossCheck,
  probeBackends: backend.probe,
  generateDemoCase: phantom.generateDemoCase,
  decodeImportBatch: importer.decodeImportBatch,
  computeMap: saliency.computeMap,
  saliencyMethods: saliency.saliencyMethods,
  randomizationSteps: saliency.randomizationSteps,
  probeTiming: saliency.probeTiming,
  probeAt: saliency.probeAt,
  listModels: models.listModels,
  predict: models.predict,
  importModel: models.importModel,
  inspectModel: models.inspectModel,
  deleteModel: models.deleteModel,
  limitModels: models.limitModels,
  evaluateTrust: trust.evaluateTrust,
  updateTrustReaders: trust.updateTrustReaders,
  currentTrustReport: trust.currentTrustReport,
  cancel: (jobId: string) => cancelJob(jobId),
  ping: () => 'pong' as const,
};

export type ComputeApi = typeof computeApi;
