import { createStore, useStore } from 'zustand';
import type { ImportFile, ImportForm, ModelSummary, Prediction } from '../worker/api/models';
import type { ModelFolderInfo } from '../core/model/modelFolder';

/**
 * Models on the Data page: the list (demo + imported, from the worker), the import in progress
 * and its error, and the last predictions. The worker owns the models; this store holds what
 * the UI shows. Actions beside the state; the worker is passed in (tests give their own).
 */
export interface ModelsWorker {
  listModels(): Promise<{ ok: true; value: ModelSummary[] } | { ok: false; code: string; message: string }>;
  importModel(files: ImportFile[], form: ImportForm): Promise<{ ok: true; value: ModelSummary } | { ok: false; code: string; message: string }>;
  inspectModel(files: ImportFile[]): Promise<{ ok: true; value: ModelFolderInfo } | { ok: false; code: string; message: string }>;
  deleteModel(id: string): Promise<{ ok: true; value: true } | { ok: false; code: string; message: string }>;
  predict(modelId: string, imageHash: string): Promise<{ ok: true; value: Prediction } | { ok: false; code: string; message: string }>;
}

export interface ModelsState {
  status: 'idle' | 'loading' | 'ready' | 'failed';
  models: ModelSummary[];
  error: { code: string; message: string } | null;
  importing: boolean;
  importError: { code: string; message: string } | null;
  lastImported: string | null;
  /** What the model-folder reader made of the chosen files (input, output, Grad-CAM candidates, sources). */
  inspection: ModelFolderInfo | null;
  /** Last prediction per model id. */
  predictions: Record<string, Prediction & { imageHash: string }>;
  predictError: string | null;
  refresh(): Promise<void>;
  importFiles(files: ImportFile[], form: ImportForm): Promise<boolean>;
  /** Reads the chosen files (no model is built); sets `inspection`, or `importError` when they are not a model. */
  inspectFiles(files: ImportFile[]): Promise<ModelFolderInfo | null>;
  clearInspection(): void;
  remove(id: string): Promise<void>;
  predict(modelId: string, imageHash: string): Promise<Prediction | null>;
}

/** Store factory (tests build a fresh one with their own worker). */
export function createModelsStore(worker: () => ModelsWorker | Promise<ModelsWorker>) {
  return createStore<ModelsState>()((set, get) => ({
    status: 'idle',
    models: [],
    error: null,
    importing: false,
    importError: null,
    lastImported: null,
    inspection: null,
    predictions: {},
    predictError: null,
    async refresh() {
      set({ status: 'loading' });
      const r = await (await worker()).listModels();
      if (r.ok) set({ status: 'ready', models: r.value, error: null });
      else set({ status: 'failed', error: { code: r.code, message: r.message } });
    },
    async importFiles(files, form) {
      set({ importing: true, importError: null, lastImported: null });
      const r = await (await worker()).importModel(files, form);
      if (!r.ok) {
        set({ importing: false, importError: { code: r.code, message: r.message } });
        return false;
      }
      // The list first, then "imported": whoever waits for the message (the form resetting itself, a test) sees the new row.
      await get().refresh();
      set({ importing: false, lastImported: r.value.id, inspection: null });
      return true;
    },
    async inspectFiles(files) {
      set({ inspection: null, importError: null, lastImported: null });
      const r = await (await worker()).inspectModel(files);
      if (!r.ok) {
        set({ importError: { code: r.code, message: r.message } });
        return null;
      }
      set({ inspection: r.value });
      return r.value;
    },
    clearInspection() {
      set({ inspection: null });
    },
    async remove(id) {
      const r = await (await worker()).deleteModel(id);
      if (!r.ok) set({ error: { code: r.code, message: r.message } });
      await get().refresh();
    },
    async predict(modelId, imageHash) {
      set({ predictError: null });
      const r = await (await worker()).predict(modelId, imageHash);
      if (!r.ok) {
        set({ predictError: r.message });
        return null;
      }
      set({ predictions: { ...get().predictions, [modelId]: { ...r.value, imageHash } } });
      return r.value;
    },
  }));
}

let singleton: ReturnType<typeof createModelsStore> | null = null;
/** The app's models store (talks to the compute worker). */
export function modelsStore() {
  if (!singleton) singleton = createModelsStore(async () => (await import('../worker/client')).compute() as unknown as ModelsWorker);
  return singleton;
}

export function useModels<T>(selector: (s: ModelsState) => T): T {
  return useStore(modelsStore(), selector);
}
