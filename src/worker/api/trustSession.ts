/**
 * The in-app trust evaluation (issue 8), free of TF.js and IndexedDB so it runs in Node tests: it
 * asks an injected map provider for the maps of cases x methods x models (the worker's computeMap,
 * cached in the `results` store), feeds them to the criteria of src/core/metrics, and assembles
 * the trust report the dashboard draws. It keeps everything it used, so a reader's edit recomputes
 * only that case's consensus and localization (TrustEngine) and its reader agreement.
 *
 * Which maps it computes:
 *  - every method on the abnormal cases for the models the criteria need (the primary model, the
 *    repeatability pair, the reproducibility pair);
 *  - the classifier's logit on every case (normal and abnormal) for every model, for the ROC
 *    (a Grad-CAM pass gives the logit at the input);
 *  - the cascade (SPEC 5.2) of the primary model on the first `randomizationCases` abnormal cases,
 *    every step, every method.
 */
import { TrustEngine } from '../../core/metrics/criteria/engine';
import type { CaseSet, LocalizationDetails } from '../../core/metrics/criteria/localization';
import { randomization, randomizationThreshold, type RandomizationDetails } from '../../core/metrics/criteria/randomization';
import { aggregateMapAgreement, mapAgreementCase, type MapAgreementCase, type MapAgreementDetails } from '../../core/metrics/criteria/repeatability';
import type { CriterionId, CriterionResult, Plane } from '../../core/metrics/criteria/types';
import { ssim } from '../../core/metrics/ssim';
import { auroc } from '../../core/metrics/auroc';
import { pooledReaderAgreement, readerAgreementFromRegions, type PooledReaderAgreement, type ReaderAgreement } from '../../core/annotation';
import type { RegionCoords } from '../../core/study/types';

export const CRITERIA: CriterionId[] = ['localization', 'randomization', 'repeatability', 'reproducibility'];

export interface TrustCase {
  caseId: string;
  name: string;
  imageHash: string;
  label: 0 | 1 | null;
  width: number;
  height: number;
  /** Boxes of each reader who finished the case (an empty list: "no abnormality found"). */
  readers: Record<string, RegionCoords[]>;
}

export interface TrustConfig {
  models: string[];
  methods: string[];
  /** Method labels for the report. */
  methodLabels?: Record<string, string>;
  preset: 'paper' | 'quick';
  seed: number;
  /** Localization and randomization run on this model. */
  primaryModel: string;
  /** Two models of one architecture, different training seeds. */
  repeatabilityPair: [string, string] | null;
  /** Two architectures. */
  reproducibilityPair: [string, string] | null;
  /** How many abnormal cases go through the randomization cascade. */
  randomizationCases: number;
  /** At most this many cascade steps, evenly spaced, always ending at the fully randomized one (0 or absent: every step). */
  randomizationSteps?: number;
  quorum: number;
  caseSet: CaseSet;
  /** Relative cost of one map per method (for the ETA). Default 1 each. */
  methodWeights?: Record<string, number>;
  /** Bootstrap resamples (default 1000). */
  resamples?: number;
}

export interface MapRequest {
  imageHash: string;
  modelId: string;
  method: string;
  preset: 'paper' | 'quick';
  seed: number;
  randomizationStep: number | null;
  /** A map of the trained model (the Compare page shares it, with the raw attribution). */
  trained: boolean;
}

export interface MapAnswer {
  map: Float32Array;
  width: number;
  height: number;
  targetLogit: number;
  ms: number;
  cached: boolean;
  backend: string;
  params: Record<string, unknown>;
}

export interface TrustProgress {
  done: number;
  total: number;
  computed: number;
  cached: number;
  /** Estimated milliseconds left (null until something was computed). */
  etaMs: number | null;
  phase: string;
  message: string;
}

export interface TrustDeps {
  map(req: MapRequest): Promise<MapAnswer>;
  /** The model's cascade steps, output to input. */
  steps(modelId: string): Promise<Array<{ step: number; block: string }>>;
  /** The case's image for the edge baseline (null: no edge baseline). */
  image(imageHash: string): Promise<Plane | null>;
  checkpoint(): Promise<void>;
  progress(p: TrustProgress): void;
  /** A report so far (throttled by the session). */
  partial?(r: TrustReport): void;
  now?(): number;
}

export interface TrustCell {
  criterion: CriterionId;
  state: 'ok' | 'pending' | 'na';
  value: number | null;
  ci: [number, number] | null;
  n: number;
  p: number | null;
  pass: boolean | null;
  /** Why there is no figure ("n/a: ..."), or what it waits for. */
  note: string | null;
  models: string[];
}

export interface TrustRow {
  method: string;
  label: string;
  cells: Record<CriterionId, TrustCell>;
  /** true: passes all four; false: fails one; null: not all known yet. */
  trustworthy: boolean | null;
}

export interface ReaderAgreementCase {
  caseId: string;
  name: string;
  readers: string[];
  meanIoU: number;
  meanDice: number;
  fleissKappa: number;
  vsOthersIoU: number;
  vsAllIoU: number;
}

export interface ClassifierSummary {
  model: string;
  auroc: number | null;
  n: number;
  roc: Array<{ fpr: number; tpr: number; threshold: number }>;
  perCase: Array<{ caseId: string; name: string; label: 0 | 1; logit: number; probability: number }>;
}

export interface TrustReport {
  schema: 'heatcheck.trust-report';
  version: 1;
  createdAt: string;
  complete: boolean;
  config: Omit<TrustConfig, 'methodWeights'> & { cases: Array<{ caseId: string; name: string; label: 0 | 1 | null }> };
  backend: string | null;
  rows: TrustRow[];
  localization: Record<string, Record<string, CriterionResult<LocalizationDetails>>>;
  randomization: Record<string, CriterionResult<RandomizationDetails>>;
  randomizationSteps: Array<{ step: number; block: string }>;
  repeatability: Record<string, CriterionResult<MapAgreementDetails>>;
  reproducibility: Record<string, CriterionResult<MapAgreementDetails>>;
  readerAgreement: { perCase: ReaderAgreementCase[]; pooled: PooledReaderAgreement | null };
  classifier: ClassifierSummary[];
  /** Parameters each method ran with (from the maps). */
  methodParams: Record<string, Record<string, unknown>>;
  unavailable: Array<{ model: string; reason: string }>;
  timing: { maps: number; computed: number; cached: number; computeMs: number; wallMs: number };
  /** Recomputation counters of the live engine (for tests and the activity line). */
  counters: { localizationCases: number; aggregates: number; liveUpdates: number };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** ROC points (FPR, TPR) over distinct thresholds, from (0, 0) to (1, 1). */
export function rocCurve(scores: number[], labels: Array<0 | 1>): Array<{ fpr: number; tpr: number; threshold: number }> {
  const P = labels.filter((l) => l === 1).length;
  const N = labels.length - P;
  const idx = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const out = [{ fpr: 0, tpr: 0, threshold: Infinity }];
  let tp = 0, fp = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    if (labels[i] === 1) tp++; else fp++;
    if (k === idx.length - 1 || scores[idx[k + 1]] !== scores[i]) out.push({ fpr: N ? fp / N : NaN, tpr: P ? tp / P : NaN, threshold: scores[i] });
  }
  return out;
}

/** k steps of the cascade, evenly spaced, the last always included (k <= 0 or >= all: every step). */
export function pickSteps<T>(steps: T[], k: number): T[] {
  const n = steps.length;
  if (k <= 0 || k >= n) return steps;
  const out: T[] = [];
  for (let i = 1; i <= k; i++) out.push(steps[Math.round((i * n) / k) - 1]);
  return out;
}

interface Task {
  kind: 'trained' | 'logit' | 'random';
  model: string;
  c: TrustCase;
  method: string;
  step: number | null;
  weight: number;
}

const key = (...p: Array<string | number | null>) => p.join('\u0000');

export class TrustSession {
  private readonly cases = new Map<string, TrustCase>();
  private readonly engines = new Map<string, TrustEngine>();
  private readonly images = new Map<string, Plane | null>();
  private readonly trained = new Map<string, Plane>(); // case|method|model
  private readonly logits = new Map<string, number>(); // case|model
  private readonly agreeCases = new Map<string, MapAgreementCase>(); // pair|case|method
  private readonly randomSsim = new Map<string, number>(); // method|step|case
  private readonly thresholds = new Map<string, { n: number; t: ReturnType<typeof randomizationThreshold> }>();
  private readonly agreement = new Map<string, ReaderAgreement>();
  private readonly unavailable = new Map<string, string>();
  /** Why the primary model cannot be randomized (for example a GraphModel); its other criteria still run. */
  private randomizationUnavailable: string | null = null;
  private readonly methodParams: Record<string, Record<string, unknown>> = {};
  private steps: Array<{ step: number; block: string }> = [];
  private backend: string | null = null;
  private complete = false;
  private readonly timing = { maps: 0, computed: 0, cached: 0, computeMs: 0, wallMs: 0 };
  private liveUpdates = 0;
  private randomCases: TrustCase[] = [];

  constructor(readonly config: TrustConfig, cases: TrustCase[], private readonly deps: TrustDeps) {
    for (const c of cases) this.cases.set(c.caseId, { ...c, readers: { ...c.readers } });
    for (const c of cases) this.agreement.set(c.caseId, this.agreementOf(c));
  }

  private now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  private agreementOf(c: TrustCase): ReaderAgreement {
    return readerAgreementFromRegions(c.readers, c.width, c.height, this.config.quorum);
  }

  /** Models whose maps the criteria need (in order, primary first). */
  mapModels(): string[] {
    const cfg = this.config;
    const out: string[] = [];
    for (const m of [cfg.primaryModel, ...(cfg.repeatabilityPair ?? []), ...(cfg.reproducibilityPair ?? [])]) if (cfg.models.includes(m) && !out.includes(m)) out.push(m);
    return out;
  }

  private weight(method: string): number {
    return this.config.methodWeights?.[method] ?? 1;
  }

  private async engineFor(model: string, grid: { height: number; width: number }): Promise<TrustEngine> {
    let e = this.engines.get(model);
    if (e) return e;
    e = new TrustEngine({ grid, quorum: this.config.quorum, caseSet: this.config.caseSet, resamples: this.config.resamples ?? 1000, seed: 0 });
    for (const c of this.cases.values()) {
      if (!this.images.has(c.imageHash)) this.images.set(c.imageHash, await this.deps.image(c.imageHash));
      e.setCase({ caseId: c.caseId, label: c.label, width: c.width, height: c.height, image: this.images.get(c.imageHash) ?? undefined });
      for (const [r, boxes] of Object.entries(c.readers)) e.setReaderBoxes(c.caseId, r, boxes);
      for (const m of this.config.models) {
        const l = this.logits.get(key(c.caseId, m));
        if (l !== undefined) e.setProbability(c.caseId, m, sigmoid(l));
      }
    }
    this.engines.set(model, e);
    return e;
  }

  private plan(): Task[] {
    const cfg = this.config;
    const all = [...this.cases.values()];
    const abnormal = all.filter((c) => c.label === 1);
    const tasks: Task[] = [];
    const mapModels = this.mapModels();
    for (const model of mapModels) for (const c of abnormal) for (const method of cfg.methods) tasks.push({ kind: 'trained', model, c, method, step: null, weight: this.weight(method) });
    // logits for the ROC: every model on every case not covered above (Grad-CAM's pass gives the logit)
    for (const model of cfg.models) for (const c of all) {
      if (mapModels.includes(model) && c.label === 1 && cfg.methods.length > 0) continue; // its maps give the logit
      tasks.push({ kind: 'logit', model, c, method: 'gradcam', step: null, weight: this.weight('gradcam') });
    }
    // logits first: cheap, and the ROC fills at once
    tasks.sort((a, b) => (a.kind === 'logit' ? 0 : 1) - (b.kind === 'logit' ? 0 : 1));
    return tasks;
  }

  /** Runs the evaluation; resolves with the finished report. Throws CANCELLED when cancelled. */
  async run(): Promise<TrustReport> {
    const t0 = this.now();
    const cfg = this.config;
    const tasks = this.plan();
    this.randomCases = [...this.cases.values()].filter((c) => c.label === 1).slice(0, Math.max(0, cfg.randomizationCases));
    const randomTasks = async (): Promise<Task[]> => {
      if (!cfg.models.includes(cfg.primaryModel) || this.randomCases.length === 0) return [];
      try {
        this.steps = pickSteps(await this.deps.steps(cfg.primaryModel), cfg.randomizationSteps ?? 0);
      } catch (e) {
        this.randomizationUnavailable = `cascading randomization is not available: ${(e as Error).message}`;
        return [];
      }
      const out: Task[] = [];
      for (const s of this.steps) for (const c of this.randomCases) for (const method of cfg.methods) out.push({ kind: 'random', model: cfg.primaryModel, c, method, step: s.step, weight: this.weight(method) });
      return out;
    };
    const rnd = await randomTasks();
    const queue = [...tasks, ...rnd];
    const totalWeight = queue.reduce((s, t) => s + t.weight, 0);
    let doneWeight = 0, computedWeight = 0, computedMs = 0, done = 0;
    let lastPartial = 0;
    const phaseOf = (t: Task) => (t.kind === 'logit' ? 'classifier' : t.kind === 'random' ? 'randomization' : t.model === cfg.primaryModel ? 'localization' : 'repeatability and reproducibility');
    for (const t of queue) {
      await this.deps.checkpoint();
      if (this.unavailable.has(t.model)) {
        done++;
        doneWeight += t.weight;
        continue;
      }
      const started = this.now();
      let a: MapAnswer;
      try {
        a = await this.deps.map({ imageHash: t.c.imageHash, modelId: t.model, method: t.method, preset: cfg.preset, seed: cfg.seed, randomizationStep: t.step, trained: t.kind !== 'random' });
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === 'CANCELLED') throw e;
        if (code === 'NOT_FOUND_IMAGE') throw e;
        this.unavailable.set(t.model, (e as Error).message);
        done++;
        doneWeight += t.weight;
        continue;
      }
      this.timing.maps++;
      if (a.cached) this.timing.cached++;
      else {
        this.timing.computed++;
        this.timing.computeMs += a.ms;
        computedWeight += t.weight;
        computedMs += this.now() - started;
      }
      this.backend = a.backend;
      this.methodParams[t.method] ??= a.params;
      await this.accept(t, a);
      done++;
      doneWeight += t.weight;
      const etaMs = computedWeight > 0 ? (computedMs / computedWeight) * (totalWeight - doneWeight) : null;
      this.deps.progress({ done, total: queue.length, computed: this.timing.computed, cached: this.timing.cached, etaMs, phase: phaseOf(t), message: `${phaseOf(t)}: ${t.method} on ${t.model}, ${t.c.name}${t.step !== null ? `, cascade step ${t.step + 1}/${this.steps.length}` : ''}` });
      if (this.deps.partial && (this.now() - lastPartial > 1000 || done === queue.length)) {
        lastPartial = this.now();
        this.deps.partial(this.report());
      }
    }
    this.complete = true;
    this.timing.wallMs = this.now() - t0;
    return this.report();
  }

  private async accept(t: Task, a: MapAnswer): Promise<void> {
    const plane: Plane = { data: a.map, height: a.height, width: a.width };
    if (t.kind !== 'random') {
      this.logits.set(key(t.c.caseId, t.model), a.targetLogit);
      const p = sigmoid(a.targetLogit);
      for (const e of this.engines.values()) e.setProbability(t.c.caseId, t.model, p);
    }
    if (t.kind === 'trained') {
      this.trained.set(key(t.c.caseId, t.method, t.model), plane);
      const e = await this.engineFor(t.model, { height: a.height, width: a.width });
      e.setMap(t.c.caseId, t.method, t.model, plane);
      for (const [name, pair] of [['repeatability', this.config.repeatabilityPair], ['reproducibility', this.config.reproducibilityPair]] as const) {
        if (!pair || !pair.includes(t.model)) continue;
        const A = this.trained.get(key(t.c.caseId, t.method, pair[0]));
        const B = this.trained.get(key(t.c.caseId, t.method, pair[1]));
        if (A && B) this.agreeCases.set(key(name, t.c.caseId, t.method), mapAgreementCase({ caseId: t.c.caseId, a: A, b: B }));
      }
    } else if (t.kind === 'random') {
      const base = this.trained.get(key(t.c.caseId, t.method, t.model));
      if (base) this.randomSsim.set(key(t.method, t.step, t.c.caseId), ssim(base.data, a.map, a.height, a.width));
    }
  }

  /** A reader's boxes changed on a case (readers: every finished reader's boxes). Returns the new report. */
  updateReaders(caseId: string, readers: Record<string, RegionCoords[]>): TrustReport | null {
    const c = this.cases.get(caseId);
    if (!c) return null;
    const before = c.readers;
    c.readers = { ...readers };
    for (const e of this.engines.values()) {
      for (const r of Object.keys(before)) if (!(r in readers)) e.removeReader(caseId, r);
      for (const [r, boxes] of Object.entries(readers)) e.setReaderBoxes(caseId, r, boxes);
    }
    this.agreement.set(caseId, this.agreementOf(c));
    this.liveUpdates++;
    return this.report();
  }

  hasCase(caseId: string): boolean {
    return this.cases.has(caseId);
  }

  private naCell(criterion: CriterionId, state: 'pending' | 'na', note: string, models: string[]): TrustCell {
    return { criterion, state, value: null, ci: null, n: 0, p: null, pass: null, note, models };
  }

  private cellOf(criterion: CriterionId, r: CriterionResult<unknown> | null, models: string[], minN = 2): TrustCell {
    if (!r) return this.naCell(criterion, this.complete ? 'na' : 'pending', this.complete ? 'n/a: no result' : 'computing…', models);
    if (r.n < minN) return this.naCell(criterion, this.complete ? 'na' : 'pending', this.complete ? `n/a: needs at least ${minN} cases, found ${r.n}` : `computing… (${r.n} case${r.n === 1 ? '' : 's'} so far)`, models);
    return { criterion, state: 'ok', value: r.value, ci: r.ci, n: r.n, p: Number.isFinite(r.p) ? r.p : null, pass: r.pass, note: null, models };
  }

  private missing(models: string[]): string | null {
    for (const m of models) {
      if (!this.config.models.includes(m)) return `n/a: model ${m} is not in this evaluation`;
      const why = this.unavailable.get(m);
      if (why) return `n/a: model ${m} is not available (${why})`;
    }
    return null;
  }

  /** The report from what is known now. */
  report(): TrustReport {
    const cfg = this.config;
    const loc: TrustReport['localization'] = {};
    for (const [model, e] of this.engines) {
      loc[model] = {};
      for (const method of cfg.methods) loc[model][method] = e.localization(method, model);
    }
    const agg = (name: 'repeatability' | 'reproducibility', pair: [string, string] | null) => {
      const out: Record<string, CriterionResult<MapAgreementDetails>> = {};
      if (!pair) return out;
      for (const method of cfg.methods) {
        const per: MapAgreementCase[] = [];
        for (const c of this.cases.values()) {
          const v = this.agreeCases.get(key(name, c.caseId, method));
          if (v) per.push(v);
        }
        if (per.length) out[method] = aggregateMapAgreement(name, method, per, { models: pair, resamples: cfg.resamples ?? 1000, readerAgreementIoU: this.pooled()?.meanIoU });
      }
      return out;
    };
    const repeat = agg('repeatability', cfg.repeatabilityPair);
    const repro = agg('reproducibility', cfg.reproducibilityPair);
    const rand: TrustReport['randomization'] = {};
    if (this.steps.length && this.randomCases.length) {
      for (const method of cfg.methods) {
        const steps = this.steps
          .map((s) => ({ step: s.block, perCase: this.randomCases.map((c) => ({ caseId: c.caseId, ssim: this.randomSsim.get(key(method, s.step, c.caseId)) })).filter((x): x is { caseId: string; ssim: number } => x.ssim !== undefined) }))
          .filter((s) => s.perCase.length > 0);
        if (!steps.length) continue;
        const maps = [...this.cases.values()].filter((c) => c.label === 1).map((c) => ({ caseId: c.caseId, map: this.trained.get(key(c.caseId, method, cfg.primaryModel)) })).filter((m): m is { caseId: string; map: Plane } => Boolean(m.map));
        if (maps.length < 2) continue;
        let th = this.thresholds.get(method);
        if (!th || th.n !== maps.length) {
          th = { n: maps.length, t: randomizationThreshold(maps, { pairs: 50, seed: cfg.seed }) };
          this.thresholds.set(method, th);
        }
        rand[method] = randomization(method, steps, th.t, { resamples: cfg.resamples ?? 1000 });
        rand[method].params.model = cfg.primaryModel;
        rand[method].params.complete = steps.length === this.steps.length && steps[steps.length - 1].perCase.length === this.randomCases.length;
      }
    }
    const rows: TrustRow[] = cfg.methods.map((method) => {
      const cells = {} as Record<CriterionId, TrustCell>;
      const need: Record<CriterionId, string[] | null> = {
        localization: [cfg.primaryModel],
        randomization: [cfg.primaryModel],
        repeatability: cfg.repeatabilityPair,
        reproducibility: cfg.reproducibilityPair,
      };
      for (const cr of CRITERIA) {
        const models = need[cr];
        if (!models) {
          cells[cr] = this.naCell(cr, 'na', cr === 'repeatability' ? 'n/a: needs two models of one architecture trained with different seeds' : 'n/a: needs two models of different architectures', []);
          continue;
        }
        const miss = this.missing(models);
        if (miss) {
          cells[cr] = this.naCell(cr, 'na', miss, models);
          continue;
        }
        if (cr === 'randomization' && this.randomizationUnavailable) {
          cells[cr] = this.naCell(cr, 'na', `n/a: ${this.randomizationUnavailable}`, models);
          continue;
        }
        if (cr === 'randomization' && this.randomCases.length < 2 && this.complete) {
          cells[cr] = this.naCell(cr, 'na', `n/a: the cascade needs at least 2 abnormal cases, found ${this.randomCases.length}`, models);
          continue;
        }
        const r = cr === 'localization' ? loc[cfg.primaryModel]?.[method] ?? null : cr === 'randomization' ? (rand[method]?.params.complete ? rand[method] : null) : cr === 'repeatability' ? repeat[method] ?? null : repro[method] ?? null;
        cells[cr] = this.cellOf(cr, r, models);
        if (cr === 'randomization' && !r && rand[method]) cells[cr].note = `computing… (cascade ${rand[method].details.curve.length}/${this.steps.length} steps)`;
      }
      const vals = CRITERIA.map((c) => cells[c].pass);
      const trustworthy = vals.some((v) => v === false) ? false : vals.every((v) => v === true) ? true : null;
      return { method, label: cfg.methodLabels?.[method] ?? method, cells, trustworthy };
    });
    const classifier: ClassifierSummary[] = cfg.models.map((model) => {
      const perCase = [...this.cases.values()]
        .filter((c) => c.label !== null && this.logits.has(key(c.caseId, model)) && Number.isFinite(this.logits.get(key(c.caseId, model))))
        .map((c) => {
          const logit = this.logits.get(key(c.caseId, model))!;
          return { caseId: c.caseId, name: c.name, label: c.label as 0 | 1, logit, probability: sigmoid(logit) };
        });
      const labels = perCase.map((p) => p.label);
      const both = labels.includes(0) && labels.includes(1);
      return {
        model,
        auroc: both ? auroc(perCase.map((p) => p.logit), labels) : null,
        n: perCase.length,
        roc: both ? rocCurve(perCase.map((p) => p.logit), labels) : [],
        perCase,
      };
    });
    const perCase: ReaderAgreementCase[] = [...this.cases.values()].map((c) => {
      const a = this.agreement.get(c.caseId)!;
      const vo = Object.values(a.vsOthers);
      const va = Object.values(a.vsAllIncludingSelf);
      const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);
      return { caseId: c.caseId, name: c.name, readers: a.readers, meanIoU: a.meanIoU, meanDice: a.meanDice, fleissKappa: a.fleissKappa, vsOthersIoU: mean(vo.map((v) => v.iou)), vsAllIoU: mean(va.map((v) => v.iou)) };
    });
    const { methodWeights: _w, ...config } = cfg;
    let localizationCases = 0, aggregates = 0;
    for (const e of this.engines.values()) {
      localizationCases += e.counters.perCaseLocalizations;
      aggregates += e.counters.aggregates;
    }
    return {
      schema: 'heatcheck.trust-report',
      version: 1,
      createdAt: new Date(this.now()).toISOString(),
      complete: this.complete,
      config: { ...config, cases: [...this.cases.values()].map((c) => ({ caseId: c.caseId, name: c.name, label: c.label })) },
      backend: this.backend,
      rows,
      localization: loc,
      randomization: rand,
      randomizationSteps: this.steps,
      repeatability: repeat,
      reproducibility: repro,
      readerAgreement: { perCase, pooled: this.pooled() },
      classifier,
      methodParams: this.methodParams,
      unavailable: [...this.unavailable].map(([model, reason]) => ({ model, reason })),
      timing: { ...this.timing },
      counters: { localizationCases, aggregates, liveUpdates: this.liveUpdates },
    };
  }

  private pooled(): PooledReaderAgreement | null {
    const per = [...this.cases.values()].filter((c) => c.label === 1).map((c) => this.agreement.get(c.caseId)!).filter((a) => a.readers.length >= 2);
    return per.length ? pooledReaderAgreement(per) : null;
  }
}
