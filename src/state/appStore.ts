import { createStore, useStore } from 'zustand';
import type { BackendAttempt, BackendName } from '../core/model/backendNames';

export type PageId = 'annotate' | 'compare' | 'dashboard' | 'data';
export const PAGES: Array<{ id: PageId; label: string; kbd: string }> = [
  { id: 'annotate', label: 'Annotate', kbd: 'g a' },
  { id: 'compare', label: 'Compare', kbd: 'g c' },
  { id: 'dashboard', label: 'Dashboard', kbd: 'g d' },
  { id: 'data', label: 'Data', kbd: 'g t' },
];

export interface BackendStatus {
  state: 'starting' | 'ready' | 'failed';
  active?: BackendName;
  forced?: BackendName | null;
  attempts?: BackendAttempt[];
  tfjsVersion?: string;
  /** Why this backend: forced, or the start-up measurement that chose it. */
  reason?: string;
  /** Threads of the wasm backend when wasm runs. */
  wasmThreads?: number;
  error?: string;
}

export interface AppState {
  page: PageId;
  studyName: string;
  currentReader: string;
  backend: BackendStatus;
  /** The case Annotate and Compare show (a case record id), shared so the two stay in step. */
  currentCaseId: string | null;
  /** The welcome (first-run) dialog is showing. */
  welcomeOpen: boolean;
  setWelcomeOpen(open: boolean): void;
  setPage(page: PageId): void;
  setStudyName(name: string): void;
  setCurrentReader(id: string): void;
  setBackend(b: BackendStatus): void;
  setCurrentCaseId(id: string | null): void;
}

/** Store factory (tests build a fresh one); the app uses the singleton below. */
export function createAppStore(initial?: Partial<Pick<AppState, 'page' | 'studyName' | 'currentReader'>>) {
  return createStore<AppState>()((set) => ({
    page: initial?.page ?? 'annotate',
    studyName: initial?.studyName ?? 'Demo study (synthetic phantoms)',
    currentReader: initial?.currentReader ?? '',
    backend: { state: 'starting' },
    currentCaseId: null,
    welcomeOpen: false,
    setWelcomeOpen: (welcomeOpen) => set({ welcomeOpen }),
    setPage: (page) => set({ page }),
    setStudyName: (studyName) => set({ studyName }),
    setCurrentReader: (currentReader) => set({ currentReader }),
    setBackend: (backend) => set({ backend }),
    setCurrentCaseId: (currentCaseId) => set({ currentCaseId }),
  }));
}

export const appStore = createAppStore();
export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(appStore, selector);
}
