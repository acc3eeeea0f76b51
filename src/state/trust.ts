import { createStore, useStore } from 'zustand';
import type { AnnotationRecord, CaseRecord } from './db';
import type { BoxCoords, RegionCoords } from '../core/study/types';
import type { ColormapName } from './colormapName';
import { METHOD_CATALOG, methodIds } from '../core/saliency/catalog';
import type { JobReply } from './scheduler';
import type { TrustCase, TrustConfig, TrustProgress, TrustReport } from '../worker/api/trustSession';
import type { SessionMapAnswer, SessionMapRequest } from '../worker/api/trust';
import type { ComputeMapResult } from '../worker/api/saliency';
import type { ModelSummary } from '../worker/api/models';

/**
 * Two slices: `trust` (the evaluation: settings, progress, the report, live updates from readers'
 * edits) and `compare` (the Compare page's view: shared zoom/pan, opacity, colormap, threshold,
 * overlays). The evaluation is scored in the worker (src/worker/api/trust.ts) and its maps are jobs
 * of the app's scheduler over the pool of compute workers; this store sends requests, keeps the
 * latest report and forwards annotation changes of evaluated cases.
 */

/** The seed study's six methods (the catalog's default set). */
export const SEED_METHODS = methodIds();
/** Catalogued extras (SPEC section 2): on Compare when asked for, never in the trust criteria by default. */
export const EXTRA_METHODS = methodIds({ extras: true }).filter((id) => !SEED_METHODS.includes(id));
/** Display labels, from the TF-free catalog. */
export const METHOD_LABELS: Record<string, string> = Object.fromEntries(Object.values(METHOD_CATALOG).map((m) => [m.id, m.label]));

export interface EvalSettings {
  /** Abnormal cases in the evaluation (study order). */
  abnormal: number;
  /** Normal cases (for the classifier's ROC). */
  normal: number;
  preset: 'quick' | 'paper';
  /** Abnormal cases sent through the randomization cascade. */
  randomizationCases: number;
  /** Cascade steps used (evenly spaced, ending fully randomized); 0: every step. */
  randomizationSteps: number;
  /** Parameter overrides per method on top of the preset (kept in the settings; the CLI's --params). */
  parameters?: Record<string, Record<string, unknown>>;
  /** Ids of the models evaluated; absent or null: every model (the demo's and the imported ones). */
  models?: string[] | null;
}

/** The models an evaluation runs on: the chosen ids that still exist (every model when none is chosen). */
export function evaluatedModels<M extends { id: string }>(all: readonly M[], chosen: readonly string[] | null | undefined): M[] {
  if (!chosen) return [...all];
  const want = new Set(chosen);
  return all.filter((m) => want.has(m.id));
}

/**
 * Defaults sized for the CPU (wasm, 2 cores): about 45 s of maps per case and model with the quick
 * preset here (SmoothIG and XRAI are most of it), so 4 + 4 cases and a 3-step cascade on 3 cases.
 * The user picks more for a firmer verdict (the seed used its whole test set).
 */
export const DEFAULT_SETTINGS: EvalSettings = { abnormal: 4, normal: 4, preset: 'quick', randomizationCases: 3, randomizationSteps: 3 };

/** The study's view of a model: its manifest's family, seed, input and declared output. */
export function studyModelOf(m: Pick<ModelSummary, 'id' | 'manifest'>): TrustConfig['models'][number] {
  const f = m.manifest;
  return { id: m.id, ...(f.name ? { name: f.name } : {}), architecture: f.architecture, family: f.family ?? f.architecture, seed: typeof f.seed === 'number' ? f.seed : null, input: f.input, output: f.output, weightsSha256: f.weightsSha256 ?? null };
}

/** The first `abnormal` abnormal and `normal` normal cases, in study order (unlabelled cases are left out), as `heatcheck evaluate --cases` keeps folder order. */
export function selectCases(cases: readonly CaseRecord[], abnormal: number, normal: number): CaseRecord[] {
  const sorted = [...cases].sort((a, b) => a.order - b.order);
  const a = sorted.filter((c) => c.label === 1).slice(0, abnormal);
  const n = sorted.filter((c) => c.label === 0).slice(0, normal);
  return [...a, ...n].sort((x, y) => x.order - y.order);
}

/** Boxes of each reader who finished the case ('done' or 'no-finding'); readers still reading do not count. */
export function finishedReaders(records: readonly AnnotationRecord[]): Record<string, RegionCoords[]> {
  const out: Record<string, RegionCoords[]> = {};
  for (const r of records) {
    if (r.status !== 'done' && r.status !== 'no-finding') continue;
    out[r.readerId] = [
      ...r.boxes.map((b) => [Math.min(b.x0, b.x1), Math.min(b.y0, b.y1), Math.max(b.x0, b.x1), Math.max(b.y0, b.y1)] as BoxCoords),
      ...(r.polygons ?? []).map((q): RegionCoords => ({ polygon: q.points.map(([x, y]) => [x, y] as [number, number]) })),
    ];
  }
  return out;
}

export function toTrustCase(c: CaseRecord, records: readonly AnnotationRecord[]): TrustCase {
  return { caseId: c.id, name: c.name, imageHash: c.imageHash, label: c.label === 1 ? 1 : c.label === 0 ? 0 : null, width: c.width, height: c.height, readers: finishedReaders(records) };
}

export type EvalStatus = 'idle' | 'running' | 'done' | 'error' | 'cancelled';

export interface TrustState {
  settings: EvalSettings;
  models: ModelSummary[] | null;
  modelsError: string | null;
  status: EvalStatus;
  report: TrustReport | null;
  progress: (TrustProgress & { startedAt: number; updatedAt: number }) | null;
  error: { code: string; message: string } | null;
  /** The last live update: which case, and ms from the edit to the new report. */
  lastLive: { caseId: string; ms: number; at: number } | null;
  jobId: string | null;
  /** The worker's id of the running evaluation job (set when the queue starts it). */
  workerJobId?: string | null;
  setSettings(patch: Partial<EvalSettings>): void;
}

const SETTINGS_KEY = 'heatcheck.trust.settings';
const AUTORUN_KEY = 'heatcheck.trust.autorun';

function loadSettings(): EvalSettings {
  try {
    const raw = typeof localStorage !== 'undefined' ? localStorage.getItem(SETTINGS_KEY) : null;
    return raw ? { ...DEFAULT_SETTINGS, ...(JSON.parse(raw) as Partial<EvalSettings>) } : { ...DEFAULT_SETTINGS };
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

export function createTrustStore(initial?: Partial<EvalSettings>) {
  return createStore<TrustState>()((set) => ({
    settings: { ...loadSettings(), ...initial },
    models: null,
    modelsError: null,
    status: 'idle',
    report: null,
    progress: null,
    error: null,
    lastLive: null,
    jobId: null,
    setSettings: (patch) =>
      set((s) => {
        const settings = { ...s.settings, ...patch };
        try { localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings)); } catch { /* private mode: not kept */ }
        return { settings };
      }),
  }));
}

export const trustStore = createTrustStore();
export function useTrust<T>(selector: (s: TrustState) => T): T {
  return useStore(trustStore, selector);
}

/** Whether the last evaluation finished (the dashboard then re-runs it on open: every map is cached). */
export function autorunWanted(): boolean {
  try { return localStorage.getItem(AUTORUN_KEY) === '1'; } catch { return false; }
}

// ---------------------------------------------------------------------------------------------
// Actions that talk to the worker (loaded lazily so tests of the pure parts need no worker).

let unsubscribe: (() => void) | null = null;
const evaluated = new Set<string>();

export async function loadModels(): Promise<ModelSummary[]> {
  const { compute } = await import('../worker/client');
  const r = await compute().listModels();
  if (!r.ok) {
    trustStore.setState({ modelsError: r.message, models: [] });
    return [];
  }
  trustStore.setState({ models: r.value, modelsError: null });
  return r.value;
}

/** Starts an evaluation with the current settings over the current study. */
export async function startEvaluation(): Promise<void> {
  const { compute, newJobId, progressProxy } = await import('../worker/client');
  const Comlink = await import('comlink');
  const { studyStore } = await import('./study');
  const { annotationsStore } = await import('./annotations');
  const st = trustStore.getState();
  if (st.status === 'running') return;
  const jobId = newJobId('trust');
  trustStore.setState({ status: 'running', error: null, jobId, progress: { done: 0, total: 0, computed: 0, cached: 0, etaMs: null, phase: 'preparing', message: 'Preparing: models and cases', startedAt: Date.now(), updatedAt: Date.now() } });
  try {
    const study = studyStore();
    await study.getState().ensureDemoStudy();
    const available = trustStore.getState().models ?? (await loadModels());
    const s = trustStore.getState().settings;
    if (available.length && s.models && !evaluatedModels(available, s.models).length) throw Object.assign(new Error(`None of the models chosen for the evaluation (${s.models.join(', ')}) is available: tick at least one model in the settings.`), { code: 'NOT_FOUND_MODEL' });
    const models = evaluatedModels(available, s.models);
    if (!models.length) throw Object.assign(new Error('No model is available: the demo models (public/models) are missing and none was imported. Import a TF.js model on the Data page.'), { code: 'NOT_FOUND_MODEL' });
    const chosen = selectCases(study.getState().cases, s.abnormal, s.normal);
    const ann = annotationsStore();
    const cases: TrustCase[] = [];
    for (const c of chosen) cases.push(toTrustCase(c, await ann.getState().loadCase(c.id)));
    const config: TrustConfig = {
      models: models.map(studyModelOf),
      methods: SEED_METHODS,
      preset: s.preset,
      seed: 0,
      randomizationCases: Math.min(s.randomizationCases, s.abnormal),
      randomizationSteps: s.randomizationSteps,
      ...(s.parameters ? { parameters: s.parameters } : {}),
      quorum: 2,
      caseSet: 'all-abnormal',
    };
    evaluated.clear();
    for (const c of cases) evaluated.add(c.caseId);
    watchAnnotations();
    const startedAt = Date.now();
    const onProgress = progressProxy((p) => {
      if (trustStore.getState().jobId !== jobId) return;
      trustStore.setState({ progress: { ...(p as TrustProgress), startedAt, updatedAt: Date.now() } });
    });
    const onPartial = Comlink.proxy((r: TrustReport) => {
      if (trustStore.getState().jobId === jobId) trustStore.setState({ report: r });
    });
    // The session scores in the app's worker; each map it needs is one job of the app's queue
    // (after Compare's interactive maps), spread over the pool of compute workers.
    const { appScheduler, mapJob } = await import('./scheduler');
    const scheduler = await appScheduler();
    const remoteMap = Comlink.proxy((q: SessionMapRequest) => new Promise<JobReply<SessionMapAnswer>>((resolve) => {
      const request = { imageHash: q.imageHash, modelId: q.modelId, method: q.method, preset: q.preset, params: q.params, seed: q.seed, randomizationStep: q.randomizationStep, includeRaw: q.randomizationStep === null };
      scheduler.request<ComputeMapResult>(jobId, mapJob(request, 20), {
        onDone: (r) => resolve(r.ok ? { ok: true, value: { map: r.value.map, width: r.value.width, height: r.value.height, ms: r.value.ms, cached: r.value.cached, backend: r.value.backend, ...(r.value.warnings ? { warnings: r.value.warnings } : {}) } } : r),
      });
    }));
    const workerJob = newJobId('trust-session');
    trustStore.setState({ workerJobId: workerJob });
    // one map in flight beyond the pool's lanes keeps every lane busy while an answer travels
    const res: JobReply<TrustReport> = await compute().evaluateTrust(workerJob, { config, cases, concurrency: scheduler.laneCount() + 1 }, onProgress as never, onPartial, remoteMap);
    if (trustStore.getState().jobId !== jobId) return;
    if (res.ok) {
      trustStore.setState({ status: 'done', report: res.value });
      try { localStorage.setItem(AUTORUN_KEY, '1'); } catch { /* not kept */ }
    } else if (res.code === 'CANCELLED') trustStore.setState({ status: 'cancelled' });
    else trustStore.setState({ status: 'error', error: { code: res.code, message: res.message } });
  } catch (e) {
    trustStore.setState({ status: 'error', error: { code: (e as { code?: string }).code ?? 'FAILED', message: e instanceof Error ? e.message : String(e) } });
  }
}

export async function cancelEvaluation(): Promise<void> {
  const id = trustStore.getState().jobId;
  if (!id || trustStore.getState().status !== 'running') return;
  const { appScheduler } = await import('./scheduler');
  const { compute } = await import('../worker/client');
  (await appScheduler()).cancelOwner(id);
  const session = trustStore.getState().workerJobId;
  if (session) await compute().cancel(session);
}

/** Forwards readers' edits of evaluated cases to the worker (debounced per case); the report follows. */
function watchAnnotations(): void {
  if (unsubscribe) return;
  void import('./annotations').then(({ annotationsStore }) => {
    if (unsubscribe) return;
    const store = annotationsStore();
    const timers = new Map<string, { t: ReturnType<typeof setTimeout>; since: number }>();
    unsubscribe = store.subscribe((s, prev) => {
      if (s.entries === prev.entries) return;
      for (const [k, e] of Object.entries(s.entries)) {
        if (prev.entries[k] === e) continue;
        const prevRec = prev.entries[k]?.record;
        if (prevRec && prevRec.boxes === e.record.boxes && prevRec.status === e.record.status) continue;
        if (!prevRec && e.gen === e.savedGen) continue; // first load from storage, not an edit
        const caseId = e.record.caseId;
        if (!evaluated.has(caseId)) continue;
        const old = timers.get(caseId);
        if (old) clearTimeout(old.t);
        const since = old?.since ?? performance.now();
        timers.set(caseId, { since, t: setTimeout(() => { timers.delete(caseId); void pushCase(caseId, since); }, 80) });
      }
    });
  });
}

async function pushCase(caseId: string, since: number): Promise<void> {
  const { annotationsStore } = await import('./annotations');
  const { compute } = await import('../worker/client');
  const entries = annotationsStore().getState().entries;
  const records = Object.values(entries).map((e) => e.record).filter((r) => r.caseId === caseId);
  const res = await compute().updateTrustReaders(caseId, finishedReaders(records));
  if (res.ok && res.value) trustStore.setState({ report: res.value, lastLive: { caseId, ms: Math.round(performance.now() - since), at: Date.now() } });
}

// ---------------------------------------------------------------------------------------------
// Compare view state.

export interface ViewTransform {
  /** Zoom (1: the image fits the panel). */
  scale: number;
  /** Centre of the view in image fractions (0..1). */
  cx: number;
  cy: number;
}

export interface CompareState {
  view: ViewTransform;
  opacity: number;
  colormap: ColormapName;
  /** Pixels under this percentile of the map are not drawn (0: all drawn). */
  thresholdPct: number;
  showConsensus: boolean;
  /** Readers whose boxes are drawn. */
  shownReaders: string[];
  /** 'post': SPEC 3 post-processed map; 'raw': the raw attribution summed over channels (signed where the method is). */
  mode: 'post' | 'raw';
  /** Models shown (null: all). */
  models: string[] | null;
  /** Also compute and show the extra methods (Blur IG, occlusion). */
  extras: boolean;
  set(patch: Partial<Omit<CompareState, 'set' | 'zoomBy' | 'panBy' | 'resetView'>>): void;
  zoomBy(factor: number, at?: { x: number; y: number }): void;
  panBy(dx: number, dy: number): void;
  resetView(): void;
}

export const MIN_SCALE = 1;
export const MAX_SCALE = 16;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
/** Keeps the view inside the image: the centre may move at most to half a view from the edges. */
export function clampView(v: ViewTransform): ViewTransform {
  const scale = clamp(v.scale, MIN_SCALE, MAX_SCALE);
  const half = 0.5 / scale;
  return { scale, cx: clamp(v.cx, half, 1 - half), cy: clamp(v.cy, half, 1 - half) };
}

export function createCompareStore() {
  return createStore<CompareState>()((set, get) => ({
    view: { scale: 1, cx: 0.5, cy: 0.5 },
    opacity: 0.6,
    colormap: 'inferno',
    thresholdPct: 0,
    showConsensus: true,
    shownReaders: [],
    mode: 'post',
    models: null,
    extras: false,
    set: (patch) => set(patch),
    /** Zoom about a point given in image fractions (default: the view centre), keeping it in place. */
    zoomBy(factor, at) {
      const v = get().view;
      const scale = clamp(v.scale * factor, MIN_SCALE, MAX_SCALE);
      const p = at ?? { x: v.cx, y: v.cy };
      const k = v.scale / scale;
      set({ view: clampView({ scale, cx: p.x + (v.cx - p.x) * k, cy: p.y + (v.cy - p.y) * k }) });
    },
    /** Pan by fractions of the image. */
    panBy(dx, dy) {
      const v = get().view;
      set({ view: clampView({ ...v, cx: v.cx + dx, cy: v.cy + dy }) });
    },
    resetView: () => set({ view: { scale: 1, cx: 0.5, cy: 0.5 } }),
  }));
}

export const compareStore = createCompareStore();
export function useCompare<T>(selector: (s: CompareState) => T): T {
  return useStore(compareStore, selector);
}
