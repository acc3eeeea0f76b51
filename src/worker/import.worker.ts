/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import { decodeImportBatch } from './api/importer';

/**
 * The import worker: decodes users' image files (PNG, JPEG, DICOM and its wasm codecs). Apart from
 * the compute worker on purpose: a saliency map or a trust evaluation running there (seconds to
 * minutes per call on a CPU) would otherwise hold every import until it finished.
 */
export const importApi = { decodeImportBatch };
export type ImportApi = typeof importApi;
Comlink.expose(importApi);
