/**
 * The trust study: one orchestrator for `heatcheck evaluate` and the dashboard. It plans which
 * maps the criteria need (trained maps of the abnormal cases for every model, normals only when
 * asked for; every model's prediction on every case for the classifier; the cascade of every model
 * on the randomization cases), asks a MapSource for them (computed through the saliency engine,
 * read from a maps folder or the results store), and builds the report from the criterion
 * registry. The CLI runs it in one pass; the dashboard runs the same object and calls
 * updateReaders on a box edit, which recomputes only that case's ground truth and what reads it.
 * TF-free: it runs in Node and in the worker.
 */
import type { RegionCoords } from '../study/types';
import type { ModelManifest } from '../model/manifest';
import { abnormalProbability } from '../model/abnormal';
import { rasterizeRegions, readerAgreementFromRegions } from '../annotation/regions';
import { consensusMask } from '../annotation/consensus';
import { pooledReaderAgreement, type ReaderAgreement } from '../annotation/agreement';
import { auroc } from '../metrics/auroc';
import { averageMaskBaselines, prepareCase, type CaseSet, type LocalizationMetrics, type PreparedCase } from '../metrics/criteria/localization';
import type { CriterionDefinition, UnitContext, UnitSettings } from '../metrics/criteria/definition';
import type { PerCaseValue, Plane } from '../metrics/criteria/types';
import { CRITERIA } from '../metrics/criteria/registry';
import { isSeeded, METHOD_CATALOG, resolveParams, type PresetId } from '../saliency/catalog';
import { selectSteps, type ModelPair, type StepPlan } from './plan';
import { SEED_REFERENCE, seedPass } from './reference';
import { TRUST_REPORT_SCHEMA, type TrustCell, type TrustReport, type TrustUnit } from './report';
import { cellText, classifyUnit, combineUnits, methodVerdict } from './verdict';

export interface StudyCase {
  id: string;
  name?: string;
  label: 0 | 1 | null;
  width: number;
  height: number;
  /** Boxes of each reader who read the case (an empty list: "no abnormality found"). */
  readers: Record<string, RegionCoords[]>;
}

export interface StudyModel {
  id: string;
  name?: string;
  architecture: string;
  family: string;
  seed: number | null;
  input: { height: number; width: number; channels: number };
  /** The model's declared output: which unit is "abnormal" and whether it is a logit, a sigmoid or a softmax. */
  output: ModelManifest['output'];
  weightsSha256?: string | null;
}

export interface MapRequest {
  caseId: string;
  modelId: string;
  method: string;
  preset: PresetId;
  parameters: Record<string, unknown>;
  seed: number;
  /** Whether the method draws from the seed. */
  seeded: boolean;
  /** null: the trained model; else the cascade step the model is randomized down to (re-initialised with reinitSeed). */
  step: number | null;
  reinitSeed: number;
}

export interface MapAnswer {
  map: Plane;
  cached: boolean;
  ms: number;
  backend?: string;
  /** The map's warnings (for example an IG completeness warning); they go into the cell that used the map. */
  warnings?: string[];
}

/** Where maps come from: computed on demand (saliency engine), or read from a maps folder or the results store. */
export interface MapSource {
  /** The case's image (for the edge baseline); null: no edge baseline. */
  image(caseId: string): Promise<Plane | null>;
  /**
   * The target logit (the saliency probe's) and the model's whole output row for the case; a source
   * that stored the probability of the declared output instead (a maps folder) gives `probability`.
   */
  predict(caseId: string, modelId: string): Promise<{ logit: number; output: ArrayLike<number> } | { logit: number; probability: number }>;
  map(req: MapRequest): Promise<MapAnswer>;
  /** The model's cascade, output to input, or why it cannot be randomized. */
  cascade(modelId: string): Promise<Array<{ step: number; block: string }> | { unavailable: string }>;
}

export interface StudySettings {
  methods: string[];
  preset: PresetId;
  /** Parameter overrides per method (on top of the preset). */
  parameters?: Record<string, Record<string, unknown>>;
  /** Seed of the maps' noise (SmoothGrad family). */
  seed: number;
  quorum: number;
  caseSet: CaseSet;
  dataRange?: number;
  stats?: { resamples?: number; seed?: number; alpha?: number };
  randomization: { cases: number; steps: StepPlan; seed?: number; thresholdPairs?: number };
  /** Also compute maps of normal cases (they enter no criterion). Default false. */
  mapNormals?: boolean;
  /** The criteria (default: the registry). */
  criteria?: readonly CriterionDefinition<any>[];
}

export interface StudyProgress {
  done: number;
  total: number;
  computed: number;
  cached: number;
  /** Estimated milliseconds left (null until something was computed). */
  etaMs: number | null;
  phase: string;
  message: string;
}

export interface StudyHooks {
  /** Called before each task: throws to cancel. */
  checkpoint?(): Promise<void> | void;
  progress?(p: StudyProgress): void;
  /** The report so far, at most once per `partialEveryMs` (default 1000). */
  partial?(r: TrustReport): void;
  partialEveryMs?: number;
  now?(): number;
  /** Tasks in flight at once (default 1): the dashboard asks for as many maps as its pool of workers runs. */
  concurrency?: number;
}

export type StudyTask =
  | { kind: 'predict'; caseId: string; model: string; weight: number }
  | { kind: 'map'; caseId: string; model: string; method: string; step: number | null; weight: number };

const k = (...p: Array<string | number | null>) => p.join('\u0000');
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** ROC points (FPR, TPR) over distinct thresholds, from (0, 0) to (1, 1). */
export function rocCurve(scores: number[], labels: Array<0 | 1>): Array<{ fpr: number; tpr: number; threshold: number }> {
  const P = labels.filter((l) => l === 1).length;
  const N = labels.length - P;
  const idx = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const out = [{ fpr: 0, tpr: 0, threshold: Infinity }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < idx.length; i++) {
    if (labels[idx[i]] === 1) tp++;
    else fp++;
    if (i === idx.length - 1 || scores[idx[i + 1]] !== scores[idx[i]]) out.push({ fpr: N ? fp / N : NaN, tpr: P ? tp / P : NaN, threshold: scores[idx[i]] });
  }
  return out;
}

export class TrustStudy {
  readonly criteria: readonly CriterionDefinition<any>[];
  private readonly cases = new Map<string, StudyCase>();
  private readonly models: StudyModel[];
  private readonly images = new Map<string, Plane | null>();
  private readonly consensus = new Map<string, { mask: Uint8Array | null; none: string | null; masks: Record<string, Uint8Array> }>();
  private readonly prepared = new Map<string, PreparedCase>(); // case|grid
  private readonly averageMasks = new Map<string, Map<string, LocalizationMetrics>>(); // grid -> case -> metrics
  private readonly logits = new Map<string, number>(); // case|model
  private readonly probabilities = new Map<string, number>(); // case|model
  private readonly maps = new Map<string, Plane>(); // case|model|method|step
  private readonly warnings = new Map<string, { order: number; messages: string[] }>(); // case|model|method|step -> the task's place in the plan
  private readonly cascades = new Map<string, Array<{ step: number; block: string }> | { unavailable: string }>();
  private readonly failed = new Map<string, string>(); // model -> reason
  private readonly perCaseCache = new Map<string, PerCaseValue | { skip: string }>(); // criterion|unit|method|case
  private readonly agreements = new Map<string, ReaderAgreement>();
  private readonly counts = { mapsComputed: 0, mapsCached: 0, predictions: 0 };
  private backend: string | null = null;
  private complete = false;
  private wallMs = 0;
  private computeMs = 0;

  constructor(cases: readonly StudyCase[], models: readonly StudyModel[], readonly settings: StudySettings, private readonly source: MapSource) {
    for (const c of cases) this.cases.set(c.id, { ...c, readers: { ...c.readers } });
    this.models = [...models];
    this.criteria = settings.criteria ?? CRITERIA;
    for (const c of cases) this.groundTruthChanged(c.id);
  }

  private get unitSettings(): UnitSettings {
    const s = this.settings;
    const pooled = this.pooled();
    return {
      caseSet: s.caseSet,
      quorum: s.quorum,
      dataRange: s.dataRange ?? 2,
      resamples: s.stats?.resamples ?? 1000,
      bootstrapSeed: s.stats?.seed ?? 0,
      alpha: s.stats?.alpha ?? 0.05,
      randomizationSeed: s.randomization.seed ?? 0,
      thresholdPairs: s.randomization.thresholdPairs ?? 50,
      readerAgreementIoU: pooled ? pooled.meanIoU : null,
    };
  }

  /** The resolved parameters of a method in this study (preset, then the study's overrides). */
  params(method: string): Record<string, unknown> {
    // Methods outside the catalog (analytic test maps) take their overrides as they are.
    return METHOD_CATALOG[method] ? resolveParams(method, this.settings.preset, this.settings.parameters?.[method] ?? {}) : { ...(this.settings.parameters?.[method] ?? {}) };
  }

  /** Cases whose maps are computed: abnormal ones, and normals only when asked for. Study order. */
  mappedCases(): string[] {
    return [...this.cases.values()].filter((c) => c.label === 1 || (this.settings.mapNormals && c.label === 0)).map((c) => c.id);
  }

  randomizationCases(): string[] {
    return this.mappedCases().filter((id) => this.cases.get(id)!.label === 1).slice(0, Math.max(0, this.settings.randomization.cases));
  }

  private visited(model: string): { visited: Array<{ step: number; label: string }> } | { unavailable: string } {
    if (this.failed.has(model)) return { unavailable: `model ${model} is not available: ${this.failed.get(model)}` };
    const c = this.cascades.get(model);
    if (!c) return { visited: [] };
    if (!Array.isArray(c)) return c;
    const idx = selectSteps(c.length, this.settings.randomization.steps);
    return { visited: idx.map((i) => ({ step: c[i].step, label: i === c.length - 1 ? `${i}:${c[i].block} (fully randomized)` : `${i}:${c[i].block}` })) };
  }

  /** The tasks in run order: predictions, trained maps (model by model), then the cascades. */
  plan(): StudyTask[] {
    const tasks: StudyTask[] = [];
    const cost = (m: string) => METHOD_CATALOG[m]?.cost(this.params(m)) ?? 1;
    for (const m of this.models) for (const c of this.cases.values()) tasks.push({ kind: 'predict', caseId: c.id, model: m.id, weight: 1 });
    for (const m of this.models) for (const c of this.mappedCases()) for (const method of this.settings.methods) tasks.push({ kind: 'map', caseId: c, model: m.id, method, step: null, weight: cost(method) });
    for (const m of this.models) {
      const v = this.visited(m.id);
      if (!('visited' in v)) continue;
      for (const s of v.visited) for (const c of this.randomizationCases()) for (const method of this.settings.methods) tasks.push({ kind: 'map', caseId: c, model: m.id, method, step: s.step, weight: cost(method) });
    }
    return tasks;
  }

  /**
   * Reads what the plan depends on: the abnormal cases' images and every model's cascade. After it,
   * plan() lists every task the report needs (run calls it first).
   */
  async prepare(): Promise<void> {
    for (const c of this.cases.values()) if (c.label === 1 && !this.images.has(c.id)) {
      this.images.set(c.id, await this.source.image(c.id));
      this.groundTruthChanged(c.id);
    }
    for (const m of this.models) if (!this.cascades.has(m.id)) {
      try {
        this.cascades.set(m.id, await this.source.cascade(m.id));
      } catch (e) {
        this.cascades.set(m.id, { unavailable: `cascading randomization is not available for ${m.id}: ${(e as Error).message}` });
      }
    }
  }

  /** The request a map task makes of the source. */
  mapRequest(t: Extract<StudyTask, { kind: 'map' }>): MapRequest {
    return { caseId: t.caseId, modelId: t.model, method: t.method, preset: this.settings.preset, parameters: this.params(t.method), seed: this.settings.seed, seeded: isSeeded(METHOD_CATALOG[t.method] ?? {}), step: t.step, reinitSeed: this.settings.randomization.seed ?? 0 };
  }

  /** Runs every task the study still needs; resolves with the finished report. */
  async run(hooks: StudyHooks = {}): Promise<TrustReport> {
    const now = hooks.now ?? (() => Date.now());
    const t0 = now();
    await this.prepare();
    const tasks = this.plan();
    const total = tasks.reduce((s, t) => s + t.weight, 0);
    let doneW = 0;
    let compW = 0;
    let compMs = 0;
    let finished = 0;
    let lastPartial = now();
    const one = async (i: number, t: StudyTask): Promise<void> => {
      doneW += t.weight;
      if (this.failed.has(t.model) || this.known(t)) {
        finished++;
        return;
      }
      const started = now();
      let computed = false;
      try {
        if (t.kind === 'predict') {
          const r = await this.source.predict(t.caseId, t.model);
          const model = this.models.find((m) => m.id === t.model)!;
          this.logits.set(k(t.caseId, t.model), r.logit);
          this.probabilities.set(k(t.caseId, t.model), 'probability' in r ? r.probability : abnormalProbability(r.output, model.output));
          this.counts.predictions++;
        } else {
          const a = await this.source.map(this.mapRequest(t));
          this.maps.set(k(t.caseId, t.model, t.method, t.step), a.map);
          if (a.warnings?.length) this.warnings.set(k(t.caseId, t.model, t.method, t.step), { order: i, messages: a.warnings });
          if (a.backend) this.backend = a.backend;
          if (a.cached) this.counts.mapsCached++;
          else {
            this.counts.mapsComputed++;
            this.computeMs += a.ms;
            computed = true;
          }
        }
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === 'CANCELLED' || code === 'NOT_FOUND_IMAGE') throw e;
        this.failed.set(t.model, (e as Error).message);
        finished++;
        return;
      }
      if (computed) {
        compW += t.weight;
        compMs += now() - started;
      }
      finished++;
      const phase = t.kind === 'predict' ? 'classifier' : t.step === null ? 'maps' : 'randomization';
      hooks.progress?.({
        done: finished,
        total: tasks.length,
        computed: this.counts.mapsComputed,
        cached: this.counts.mapsCached,
        etaMs: compW > 0 ? (compMs / compW) * (total - doneW) / Math.max(1, hooks.concurrency ?? 1) : null,
        phase,
        message: t.kind === 'predict' ? `classifier: ${t.model} on ${t.caseId}` : `${phase}: ${t.method} on ${t.model}, ${t.caseId}${t.step !== null ? `, cascade step ${t.step}` : ''}`,
      });
      if (hooks.partial && now() - lastPartial >= (hooks.partialEveryMs ?? 1000)) {
        lastPartial = now();
        hooks.partial(this.report());
      }
    };
    // Tasks start in plan order, at most `concurrency` at a time; every answer is stored under its
    // own key, so the report does not depend on the order answers arrive in.
    let nextTask = 0;
    let stop: unknown = null;
    const lane = async (): Promise<void> => {
      while (stop === null && nextTask < tasks.length) {
        const i = nextTask++;
        try {
          await hooks.checkpoint?.();
          if (stop !== null) return;
          await one(i, tasks[i]);
        } catch (e) {
          stop ??= e;
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.floor(hooks.concurrency ?? 1)) }, lane));
    if (stop !== null) throw stop;
    this.complete = true;
    this.wallMs = now() - t0;
    return this.report();
  }

  private known(t: StudyTask): boolean {
    return t.kind === 'predict' ? this.logits.has(k(t.caseId, t.model)) : this.maps.has(k(t.caseId, t.model, t.method, t.step));
  }

  hasCase(caseId: string): boolean {
    return this.cases.has(caseId);
  }

  /**
   * A reader's boxes changed on a case (readers: every reader's boxes on it). Recomputes that case's
   * consensus, grid preparation (edge and reader baselines) and reader agreement; per-case values of
   * criteria that read the readers are recomputed on the next report (the average-mask baseline
   * of every case reads every consensus); maps and map agreement are kept.
   */
  updateReaders(caseId: string, readers: Record<string, RegionCoords[]>): TrustReport | null {
    const c = this.cases.get(caseId);
    if (!c) return null;
    c.readers = { ...readers };
    this.groundTruthChanged(caseId);
    const readersCriteria = new Set(this.criteria.filter((d) => d.readsReaders).map((d) => d.id));
    for (const key of [...this.perCaseCache.keys()]) if (readersCriteria.has(key.split('\u0000')[0])) this.perCaseCache.delete(key);
    return this.report();
  }

  private groundTruthChanged(caseId: string): void {
    const c = this.cases.get(caseId)!;
    const names = Object.keys(c.readers).sort();
    const masks: Record<string, Uint8Array> = {};
    for (const r of names) masks[r] = rasterizeRegions(c.readers[r], c.width, c.height);
    let none: string | null = null;
    if (c.label !== 1) none = c.label === 0 ? 'normal case' : 'no label';
    else if (names.length < this.settings.quorum) none = `read by ${names.length} reader(s) (${names.join(', ') || 'none'}); the quorum is ${this.settings.quorum}`;
    this.consensus.set(caseId, { mask: none ? null : consensusMask(names.map((r) => masks[r]), this.settings.quorum, c.width * c.height), none, masks });
    for (const key of [...this.prepared.keys()]) if (key.startsWith(caseId + '\u0000')) this.prepared.delete(key);
    this.averageMasks.clear();
    if (c.label === 1 && names.length >= 2) this.agreements.set(caseId, readerAgreementFromRegions(c.readers, c.width, c.height, this.settings.quorum));
    else this.agreements.delete(caseId);
  }

  private gridOf(modelId: string): string {
    const m = this.models.find((x) => x.id === modelId)!;
    return `${m.input.height}x${m.input.width}`;
  }

  private preparedOn(caseId: string, grid: string): PreparedCase | { none: string } {
    const cons = this.consensus.get(caseId)!;
    if (!cons.mask) return { none: cons.none! };
    let p = this.prepared.get(k(caseId, grid));
    if (!p) {
      const c = this.cases.get(caseId)!;
      const [h, w] = grid.split('x').map(Number);
      const img = this.images.get(caseId) ?? undefined;
      p = prepareCase({ caseId, label: 1, map: { data: [], height: h, width: w }, consensus: { data: cons.mask, height: c.height, width: c.width }, image: img ?? undefined, readers: cons.masks }, { height: h, width: w }, this.settings.quorum);
      this.prepared.set(k(caseId, grid), p);
    }
    return p.skipped ? { none: `consensus on the ${grid} grid: ${p.skipped}` } : p;
  }

  private averageMaskOn(grid: string): Map<string, LocalizationMetrics> {
    let a = this.averageMasks.get(grid);
    if (!a) {
      const preps: PreparedCase[] = [];
      for (const c of this.cases.values()) {
        const p = this.preparedOn(c.id, grid);
        if (!('none' in p)) preps.push(p);
      }
      a = averageMaskBaselines(preps);
      this.averageMasks.set(grid, a);
    }
    return a;
  }

  private context(method: string, models: string[]): UnitContext {
    return {
      method,
      models,
      mappedCases: this.mappedCases(),
      randomizationCases: this.randomizationCases(),
      settings: this.unitSettings,
      label: (id) => this.cases.get(id)!.label,
      map: (id, m) => this.maps.get(k(id, m, method, null)),
      probability: (id, m) => this.probabilities.get(k(id, m)),
      groundTruth: (id, m) => {
        const g = this.gridOf(m);
        const p = this.preparedOn(id, g);
        if ('none' in p) return p;
        return { prepared: p, averageMask: this.averageMaskOn(g).get(id) ?? null };
      },
      cascade: (m) => this.visited(m),
      randomizedMap: (id, m, step) => this.maps.get(k(id, m, method, step)),
    };
  }

  private unit(def: CriterionDefinition<any>, method: string, pair: ModelPair): TrustUnit {
    const models = def.unit === 'model' ? [pair.a] : [pair.a, pair.b];
    const base = { models, rule: pair.rule, value: null, ci: null, n: 0, p: null, perCase: [] as PerCaseValue[], skipped: [] as Array<{ caseId: string; reason: string }>, params: {}, details: null };
    const down = models.find((m) => this.failed.has(m));
    if (down) return { ...base, state: 'n/a', reason: `model ${down} is not available: ${this.failed.get(down)}` };
    const u = this.context(method, models);
    const caseIds = def.cases ? def.cases(u) : u.mappedCases;
    const perCase: PerCaseValue[] = [];
    const skipped: Array<{ caseId: string; reason: string }> = [];
    let waiting = 0;
    for (const id of caseIds) {
      const key = k(def.id, models.join('|'), method, id);
      let v: PerCaseValue | { skip: string } | null | undefined = this.perCaseCache.get(key);
      if (!v) {
        v = def.perCase(u, id) as PerCaseValue | { skip: string } | null;
        if (v === null) {
          waiting++;
          continue;
        }
        this.perCaseCache.set(key, v);
      }
      if ('skip' in v) skipped.push({ caseId: id, reason: v.skip as string });
      else perCase.push(v);
    }
    if (waiting) {
      return { ...base, state: this.complete ? 'n/a' : 'pending', reason: this.complete ? `maps of ${waiting} case(s) are missing` : `computing (${perCase.length} of ${perCase.length + waiting} cases so far)`, perCase, skipped };
    }
    if (!perCase.length) {
      const why = [...new Set(skipped.map((s) => s.reason))];
      return { ...base, state: 'n/a', reason: caseIds.length ? `no case to score: ${why.join('; ')}` : def.cases ? 'no case in the randomization set' : 'no mapped case (no abnormal case)', skipped };
    }
    try {
      const r = def.aggregate(u, perCase, skipped);
      const cls = classifyUnit(r, def.testSample(r), u.settings.alpha);
      return { ...base, ...cls, value: r.value, ci: r.ci, n: r.n, p: Number.isFinite(r.p) ? r.p : null, perCase: r.perCase, skipped, params: r.params, details: r.details };
    } catch (e) {
      return { ...base, state: 'n/a', reason: (e as Error).message, perCase, skipped };
    }
  }

  private cell(def: CriterionDefinition<any>, method: string): TrustCell {
    const units = def.units(this.models.map((m) => ({ id: m.id, family: m.family, seed: m.seed ?? undefined })));
    if ('none' in units) return { criterion: def.id, method, state: 'n/a', value: null, average: '', n: 0, reason: units.none, units: [], warnings: [] };
    const us = units.units.map((p) => this.unit(def, method, p));
    const withValue = us.filter((u) => u.value !== null);
    const kind = def.unit === 'model' ? 'models' : 'model pairs';
    const warnings = new Set<string>();
    for (const u of us) for (const c of u.perCase) for (const m of u.models) for (const w of this.mapWarnings(c.caseId, m, method)) warnings.add(`${c.caseId} / ${m}: ${w}`);
    return {
      criterion: def.id,
      method,
      ...combineUnits(us),
      value: withValue.length ? mean(withValue.map((u) => u.value!)) : null,
      average: us.length === 1 ? `${us[0].models.join(' vs ')}` : `mean over ${withValue.length} ${kind}`,
      n: us.length ? Math.min(...us.map((u) => u.n)) : 0,
      units: us,
      warnings: [...warnings],
    };
  }

  /** Warnings of the maps of (case, model, method), trained and randomized, in plan order. */
  private mapWarnings(caseId: string, model: string, method: string): string[] {
    const prefix = k(caseId, model, method) + '\u0000';
    return [...this.warnings].filter(([key]) => key.startsWith(prefix)).sort((a, b) => a[1].order - b[1].order).flatMap(([, w]) => w.messages);
  }

  private pooled() {
    const per = [...this.agreements.values()];
    return per.length ? pooledReaderAgreement(per) : null;
  }

  /** The report from what is known now. */
  report(): TrustReport {
    const s = this.settings;
    const cells: TrustReport['cells'] = {};
    const verdicts: TrustReport['verdicts'] = {};
    for (const method of s.methods) {
      cells[method] = {};
      for (const def of this.criteria) cells[method][def.id] = this.cell(def, method);
      verdicts[method] = methodVerdict(method, cells[method]);
    }
    const label = (m: string) => METHOD_CATALOG[m]?.label ?? m;
    const classifier = this.models.map((m) => {
      const labelled = [...this.cases.values()].filter((c) => c.label !== null && this.logits.has(k(c.id, m.id)));
      const pos = labelled.filter((c) => c.label === 1).length;
      const scores = labelled.map((c) => this.logits.get(k(c.id, m.id))!);
      const labels = labelled.map((c) => c.label as 0 | 1);
      const both = pos > 0 && pos < labelled.length;
      return {
        model: m.id,
        auroc: both ? auroc(scores, labels) : null,
        ...(both ? {} : { reason: `needs normal and abnormal cases; found ${pos} abnormal of ${labelled.length} labelled` }),
        n: labelled.length,
        positives: pos,
        negatives: labelled.length - pos,
        target: `logit of output ${m.output.index} (${m.output.kind}); probability from the declared output; AUROC = Mann-Whitney U / (P N), ties 1/2`,
        roc: both ? rocCurve(scores, labels) : [],
        perCase: [...this.cases.values()].filter((c) => this.logits.has(k(c.id, m.id))).map((c) => ({ caseId: c.id, label: c.label, logit: this.logits.get(k(c.id, m.id))!, probability: this.probabilities.get(k(c.id, m.id))! })),
      };
    });
    const passing = (c: string) => s.methods.filter((m) => cells[m][c]?.state === 'pass');
    const pairs: Record<string, ModelPair[]> = {};
    for (const def of this.criteria) if (def.unit === 'model-pair') {
      const u = def.units(this.models.map((m) => ({ id: m.id, family: m.family, seed: m.seed ?? undefined })));
      pairs[def.id] = 'units' in u ? u.units : [];
    }
    const pooled = this.pooled();
    return {
      schema: TRUST_REPORT_SCHEMA,
      createdAt: new Date().toISOString(),
      complete: this.complete,
      preset: s.preset,
      backend: this.backend,
      settings: {
        mapSeed: s.seed,
        quorum: s.quorum,
        caseSet: s.caseSet,
        dataRange: s.dataRange ?? 2,
        stats: { resamples: s.stats?.resamples ?? 1000, seed: s.stats?.seed ?? 0, alpha: s.stats?.alpha ?? 0.05, bootstrap: 'percentile, 95%' },
        randomization: { cases: this.randomizationCases(), steps: s.randomization.steps, reinitSeed: s.randomization.seed ?? 0, thresholdPairs: s.randomization.thresholdPairs ?? 50 },
        mapNormals: Boolean(s.mapNormals),
        target: 'abnormal logit (the saliency probe\'s target)',
        cellRule: 'every criterion per unit (model, or model pair); a cell fails when a unit fails, passes when every unit passes, else n/a, pending or inconclusive; value = mean of the units\' figures',
        verdictRule: 'trustworthy when every cell passes; not trustworthy when a cell fails; otherwise undetermined',
      },
      methods: s.methods.map((m) => ({ id: m, label: label(m), family: METHOD_CATALOG[m]?.family ?? 'unknown', parameters: this.params(m), seeded: isSeeded(METHOD_CATALOG[m] ?? {}) })),
      criteria: this.criteria.map((d) => ({ id: d.id, label: d.label, unit: d.unit, perCase: d.perCaseLabel })),
      models: this.models.map((m) => {
        const c = this.cascades.get(m.id);
        return { id: m.id, ...(m.name ? { name: m.name } : {}), architecture: m.architecture, family: m.family, seed: m.seed, input: m.input, output: { kind: m.output.kind, index: m.output.index }, weightsSha256: m.weightsSha256 ?? null, cascade: c ?? null };
      }),
      cases: [...this.cases.values()].map((c) => ({ id: c.id, name: c.name ?? c.id, label: c.label, width: c.width, height: c.height, readers: Object.keys(c.readers).sort(), mapped: this.mappedCases().includes(c.id), noGroundTruth: this.consensus.get(c.id)!.none })),
      pairs,
      cells,
      verdicts,
      table: s.methods.map((m) => ({ method: m, label: label(m), cells: Object.fromEntries(this.criteria.map((d) => [d.id, cellText(cells[m][d.id])])), verdict: verdicts[m].state })),
      classifier,
      readerAgreement: {
        rule: `abnormal cases read by at least 2 readers; per case, pairwise over the readers who read it; quorum ${s.quorum}`,
        pooled,
        perCase: [...this.agreements.entries()].map(([caseId, a]) => {
          const { pixelCounts: _drop, ...rest } = a;
          return { caseId, ...rest };
        }),
      },
      reference: {
        seed: SEED_REFERENCE,
        beside: [
          { quantity: 'localization AUROC (mean over models)', seed: SEED_REFERENCE.localizationAUROC, ours: Object.fromEntries(s.methods.map((m) => [m, cells[m].localization?.value ?? null])) },
          { quantity: 'pass randomization', seed: SEED_REFERENCE.passRandomization, ours: passing('randomization') },
          { quantity: 'pass repeatability', seed: SEED_REFERENCE.passRepeatability, ours: passing('repeatability') },
          { quantity: 'pass reproducibility', seed: SEED_REFERENCE.passReproducibility, ours: passing('reproducibility') },
          { quantity: 'trustworthy on all four', seed: SEED_REFERENCE.trustworthyOnAllFour, ours: s.methods.filter((m) => verdicts[m].trustworthy) },
          { quantity: 'seed pass per method', seed: Object.fromEntries(s.methods.map((m) => [m, seedPass(m)])), ours: Object.fromEntries(s.methods.map((m) => [m, verdicts[m].criteria])) },
        ],
      },
      counts: { ...this.counts },
      timings: { wallSeconds: this.wallMs / 1000, mapSeconds: this.computeMs / 1000 },
    };
  }
}
