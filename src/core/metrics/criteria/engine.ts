/**
 * TrustEngine: holds per-case results keyed by (case, method, model) and recomputes only what an
 * edit touches (DESIGN: "a reader edits a box: only localization of that case is redone").
 *
 * - Editing a reader's boxes in case k recomputes case k's consensus and its method-independent
 *   baselines (edge, readers) once, and the localization metrics of case k for each (method, model)
 *   when next asked. Other cases' per-case method metrics are reused.
 * - The average-mask baseline depends on every case's consensus, so it is recomputed for all cases
 *   after any consensus change (one AUROC per case, independent of methods and models), and every
 *   aggregate is redone (cheap: means, bootstrap, one t-test).
 * - A new map for (case, method, model) recomputes that entry only.
 * `counters` count each kind of recomputation, for tests and for the UI's activity display.
 */
import type { RegionCoords } from '../../study/types';
import { rasterizeRegions } from '../../annotation/regions';
import { consensusMask } from '../../annotation/consensus';
import {
  aggregateLocalization,
  averageMaskBaselines,
  caseSetExclusion,
  localizationMetrics,
  prepareCase,
  type CaseSet,
  type LocalizationDetails,
  type LocalizationMetric,
  type LocalizationMetrics,
  type LocalizationPerCase,
  type PreparedCase,
} from './localization';
import type { CriterionResult, Plane, StatsOptions } from './types';
import { MetricError } from '../errors';

export interface EngineCase {
  caseId: string;
  label: 0 | 1 | null;
  /** Original image size: boxes are rasterised at this resolution. */
  width: number;
  height: number;
  /** The image for the edge baseline (any resolution). */
  image?: Plane;
}

export interface TrustEngineOptions extends StatsOptions {
  /** The model input grid on which localization is computed. */
  grid: { height: number; width: number };
  quorum?: number;
  caseSet?: CaseSet;
  metric?: LocalizationMetric;
}

interface CaseState {
  info: EngineCase;
  readers: Map<string, RegionCoords[]>;
  prep: PreparedCase | null;
}

export class TrustEngine {
  readonly counters = { preparedCases: 0, perCaseLocalizations: 0, averageMaskRuns: 0, aggregates: 0 };
  private readonly cases = new Map<string, CaseState>();
  private readonly maps = new Map<string, Plane>(); // key case|method|model
  private readonly perCase = new Map<string, LocalizationMetrics>(); // key case|method|model
  private readonly probabilities = new Map<string, number>(); // key case|model
  private averageMask: Map<string, LocalizationMetrics> | null = null;
  private readonly aggregates = new Map<string, CriterionResult<LocalizationDetails>>(); // key method|model

  constructor(private readonly opts: TrustEngineOptions) {}

  private static key(...parts: string[]): string {
    return parts.join('\u0000');
  }

  private state(caseId: string): CaseState {
    const s = this.cases.get(caseId);
    if (!s) throw new MetricError('NOT_FOUND_CASE', `TrustEngine: unknown case '${caseId}'; call setCase first`);
    return s;
  }

  /** Any consensus changed: the average-mask baseline and every aggregate are stale. */
  private consensusChanged(caseId: string): void {
    const s = this.state(caseId);
    s.prep = null;
    for (const k of [...this.perCase.keys()]) if (k.startsWith(caseId + '\u0000')) this.perCase.delete(k);
    this.averageMask = null;
    this.aggregates.clear();
  }

  setCase(info: EngineCase): void {
    const old = this.cases.get(info.caseId);
    this.cases.set(info.caseId, { info, readers: old?.readers ?? new Map(), prep: null });
    if (old) this.consensusChanged(info.caseId);
    else {
      this.averageMask = null;
      this.aggregates.clear();
    }
  }

  /** A finished reader's regions (boxes, polygons) for a case (an empty list: "no abnormality found"). */
  setReaderBoxes(caseId: string, reader: string, boxes: RegionCoords[]): void {
    this.state(caseId).readers.set(reader, boxes.map((b): RegionCoords => (Array.isArray(b) ? [b[0], b[1], b[2], b[3]] : { polygon: b.polygon.map(([x, y]) => [x, y] as [number, number]) })));
    this.consensusChanged(caseId);
  }

  /** The reader has not finished the case (any more): they no longer count in its consensus. */
  removeReader(caseId: string, reader: string): void {
    if (this.state(caseId).readers.delete(reader)) this.consensusChanged(caseId);
  }

  setMap(caseId: string, method: string, model: string, map: Plane): void {
    this.state(caseId);
    if (map.height !== this.opts.grid.height || map.width !== this.opts.grid.width) {
      throw new MetricError('BAD_INPUT_SHAPE', `TrustEngine: map of ${caseId} (${method}, ${model}) is ${map.height}x${map.width}; the engine's grid is ${this.opts.grid.height}x${this.opts.grid.width}`);
    }
    const k = TrustEngine.key(caseId, method, model);
    this.maps.set(k, map);
    this.perCase.delete(k);
    this.aggregates.delete(TrustEngine.key(method, model));
  }

  setProbability(caseId: string, model: string, probability: number): void {
    this.probabilities.set(TrustEngine.key(caseId, model), probability);
    for (const k of [...this.aggregates.keys()]) if (k.endsWith('\u0000' + model)) this.aggregates.delete(k);
  }

  private prepared(s: CaseState): PreparedCase {
    if (s.prep) return s.prep;
    const { width, height } = s.info;
    const names = [...s.readers.keys()].sort();
    const masks: Record<string, Uint8Array> = {};
    for (const r of names) masks[r] = rasterizeRegions(s.readers.get(r)!, width, height);
    const consensus = consensusMask(Object.values(masks), this.opts.quorum ?? 2, width * height);
    s.prep = prepareCase(
      { caseId: s.info.caseId, label: s.info.label, map: { data: [], height: 0, width: 0 }, consensus: { data: consensus, height, width }, image: s.info.image, readers: masks },
      this.opts.grid,
      this.opts.quorum,
    );
    this.counters.preparedCases++;
    return s.prep;
  }

  /** The consensus of a case on the engine's grid. */
  consensusOnGrid(caseId: string): Uint8Array {
    return this.prepared(this.state(caseId)).consensus;
  }

  localization(method: string, model: string): CriterionResult<LocalizationDetails> {
    const aggKey = TrustEngine.key(method, model);
    const cached = this.aggregates.get(aggKey);
    if (cached) return cached;
    const caseSet = this.opts.caseSet ?? 'all-abnormal';
    const metric = this.opts.metric ?? 'auroc';
    const skipped: Array<{ caseId: string; reason: string }> = [];
    const chosen: CaseState[] = [];
    for (const s of this.cases.values()) {
      const why = caseSetExclusion({ label: s.info.label, probability: this.probabilities.get(TrustEngine.key(s.info.caseId, model)) }, caseSet);
      if (why) skipped.push({ caseId: s.info.caseId, reason: why });
      else if (!this.maps.has(TrustEngine.key(s.info.caseId, method, model))) skipped.push({ caseId: s.info.caseId, reason: 'no map yet' });
      else chosen.push(s);
    }
    const preps = chosen.map((s) => this.prepared(s));
    if (!this.averageMask) {
      // Built over every abnormal case with a usable consensus (independent of method and model).
      const all = [...this.cases.values()].filter((s) => s.info.label === 1).map((s) => this.prepared(s));
      this.averageMask = averageMaskBaselines(all);
      this.counters.averageMaskRuns++;
    }
    const rows: LocalizationPerCase[] = [];
    for (const p of preps) {
      if (p.skipped) {
        skipped.push({ caseId: p.caseId, reason: p.skipped });
        continue;
      }
      const k = TrustEngine.key(p.caseId, method, model);
      let m = this.perCase.get(k);
      if (!m) {
        m = localizationMetrics(this.maps.get(k)!.data, p.consensus);
        this.perCase.set(k, m);
        this.counters.perCaseLocalizations++;
      }
      rows.push({ caseId: p.caseId, value: m[metric], method: m, edge: p.edge, averageMask: this.averageMask.get(p.caseId) ?? null, readers: p.readers });
    }
    const result = aggregateLocalization(method, rows, skipped, { ...this.opts, grid: this.opts.grid });
    result.params.model = model;
    this.aggregates.set(aggKey, result);
    this.counters.aggregates++;
    return result;
  }
}
