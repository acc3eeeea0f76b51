import { useEffect, useMemo } from 'react';
import { appStore } from '../../state/appStore';
import { autorunWanted, cancelEvaluation, evaluatedModels, loadModels, startEvaluation, studyModelOf, trustStore, useTrust } from '../../state/trust';
import { noPairsReason, repeatabilityPairs, reproducibilityPairs } from '../../core/trust/plan';
import { PlotFigure, plotSvg } from '../common/Plot';
import { EmptyState } from '../common/EmptyState';
import { download } from '../common/download';
import { TrustTable } from './TrustTable';
import { buildSections, type Section } from './sections';
import { fmt, fmtMs } from './format';
import { reportHtml, trustCsv, trustJson } from './report';
import type { TrustReport } from '../../core/trust/report';
import { dashboardView } from './view';
import { PoolSetting } from './PoolSetting';
import { PublishedReports } from './PublishedReports';
import type { CasePoint } from './plots';
import type { LocalizationPerCase } from '../../core/metrics/criteria/localization';

/** Opens a case in Compare (drill-down from a plot point or a table row). */
export function openInCompare(caseId: string): void {
  appStore.getState().setCurrentCaseId(caseId);
  location.hash = `#/compare/${encodeURIComponent(caseId)}`;
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);

export function exportReport(r: TrustReport, kind: 'html' | 'json' | 'csv'): void {
  if (kind === 'json') download(`heatcheck-trust-${stamp()}.json`, 'application/json', trustJson(r));
  else if (kind === 'csv') download(`heatcheck-trust-${stamp()}.csv`, 'text/csv', trustCsv(r));
  else {
    const sections = buildSections(dashboardView(r)).map((s) => ({ title: s.title, figure: s.empty ? `<p>${s.empty}</p>` : plotSvg(s.options), table: s.table }));
    download(`heatcheck-trust-${stamp()}.html`, 'text/html', reportHtml(r, sections));
  }
}

const COUNTS = [2, 4, 8, 12, 16, 20];

/** The study's units from the models' manifests (the pairs the criteria will form). */
function studyUnits(models: Array<{ id: string; family: string; seed: number | null }>) {
  const ms = models.map((m) => ({ id: m.id, family: m.family, seed: m.seed ?? undefined }));
  return {
    models: models.map((m) => m.id),
    repeatability: repeatabilityPairs(ms).map((p) => `${p.a} vs ${p.b}`),
    reproducibility: reproducibilityPairs(ms).map((p) => `${p.a} vs ${p.b}`),
    repeatabilityNone: noPairsReason('repeatability', ms),
    reproducibilityNone: noPairsReason('reproducibility', ms),
  };
}

function Settings() {
  const s = useTrust((x) => x.settings);
  const status = useTrust((x) => x.status);
  const models = useTrust((x) => x.models);
  const set = trustStore.getState().setSettings;
  const chosen = useMemo(() => (models ? evaluatedModels(models, s.models) : null), [models, s.models]);
  const plan = useMemo(() => (chosen ? studyUnits(chosen.map(studyModelOf)) : null), [chosen]);
  const toggleModel = (id: string, on: boolean) => {
    if (!models) return;
    const current = new Set((s.models ?? models.map((m) => m.id)).filter((x) => models.some((m) => m.id === x)));
    if (on) current.add(id); else current.delete(id);
    // Every model ticked is stored as "all", so models imported later join the evaluation.
    set({ models: current.size === models.length ? null : models.map((m) => m.id).filter((x) => current.has(x)) });
  };
  const running = status === 'running';
  return (
    <form className="dash-settings" onSubmit={(e) => { e.preventDefault(); void startEvaluation(); }} aria-label="Evaluation settings">
      <label>Abnormal cases
        <select value={s.abnormal} disabled={running} onChange={(e) => set({ abnormal: Number(e.target.value) })} data-testid="eval-abnormal">
          {COUNTS.map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      </label>
      <label>Normal cases
        <select value={s.normal} disabled={running} onChange={(e) => set({ normal: Number(e.target.value) })} data-testid="eval-normal">
          {[0, 1, ...COUNTS].map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      </label>
      <label>Cascade cases
        <select value={s.randomizationCases} disabled={running} onChange={(e) => set({ randomizationCases: Number(e.target.value) })} data-testid="eval-random">
          {[2, 3, 4, 6, 8, 12].map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      </label>
      <label>Cascade steps
        <select value={s.randomizationSteps} disabled={running} onChange={(e) => set({ randomizationSteps: Number(e.target.value) })} data-testid="eval-steps">
          {[1, 2, 3, 4, 6].map((n) => <option key={n} value={n}>{n}</option>)}
          <option value={0}>all</option>
        </select>
      </label>
      <label>Preset
        <select value={s.preset} disabled={running} onChange={(e) => set({ preset: e.target.value as 'quick' | 'paper' })} data-testid="eval-preset">
          <option value="quick">quick preview</option>
          <option value="paper">paper defaults</option>
        </select>
      </label>
      {models && models.length > 1 && (
        <fieldset className="dash-models" data-testid="eval-models">
          <legend>Models</legend>
          {models.map((m) => (
            <label key={m.id} className="check">
              <input type="checkbox" disabled={running} checked={chosen!.some((c) => c.id === m.id)} onChange={(e) => toggleModel(m.id, e.target.checked)} data-testid="eval-model" data-model-id={m.id} />
              {m.id}
            </label>
          ))}
        </fieldset>
      )}
      <PoolSetting disabled={running} />
      <button type="submit" className="primary" disabled={running} data-testid="eval-start">{running ? 'Evaluating…' : 'Evaluate'}</button>
      {plan && (
        <p className="muted small dash-plan">
          Localization and randomization per model ({plan.models.join(', ') || 'none'}); repeatability per pair {plan.repeatability.length ? <b>{plan.repeatability.join('; ')}</b> : `n/a (${plan.repeatabilityNone})`}; reproducibility per pair {plan.reproducibility.length ? <b>{plan.reproducibility.join('; ')}</b> : `n/a (${plan.reproducibilityNone})`}. All six methods on the abnormal cases; the classifier on all. Every map is cached, so a rerun only reads.
        </p>
      )}
    </form>
  );
}

function ProgressLine() {
  const status = useTrust((x) => x.status);
  const p = useTrust((x) => x.progress);
  const err = useTrust((x) => x.error);
  const live = useTrust((x) => x.lastLive);
  const report = useTrust((x) => x.report);
  return (
    <div className="dash-progress" aria-live="polite" data-testid="eval-progress" data-status={status}>
      {status === 'running' && p && (
        <>
          <progress max={Math.max(1, p.total)} value={p.done} aria-label="Evaluation progress" />
          <span>{p.done}/{p.total} maps · {p.computed} computed, {p.cached} cached · elapsed {fmtMs(Date.now() - p.startedAt)} · ETA {p.etaMs === null ? '…' : fmtMs(p.etaMs)}</span>
          <span className="muted small">{p.message}</span>
          <button type="button" onClick={() => void cancelEvaluation()} data-testid="eval-cancel">Cancel</button>
        </>
      )}
      {status === 'done' && report && <span data-testid="eval-done">Done: {report.counts.mapsComputed + report.counts.mapsCached} maps ({report.counts.mapsComputed} computed, {report.counts.mapsCached} cached) in {fmtMs(report.timings.wallSeconds * 1000)} on {report.backend ?? 'n/a'}.</span>}
      {status === 'cancelled' && <span>Cancelled. The maps computed so far are cached; Evaluate continues from there.</span>}
      {status === 'error' && err && <span className="error-text" role="alert">{err.code}: {err.message}</span>}
      {live && <span className="muted small" data-testid="live-update"> · Live: case {live.caseId} updated {live.ms} ms after the edit.</span>}
    </div>
  );
}

function SectionView({ s }: { s: Section }) {
  return (
    <section className="dash-section" aria-labelledby={`sec-${s.id}`} data-testid={`section-${s.id}`}>
      <h2 id={`sec-${s.id}`}>{s.title}</h2>
      {s.empty ? <p className="muted">{s.empty}</p> : <PlotFigure<CasePoint> options={s.options} label={s.label} onPick={(d) => d && typeof d === 'object' && 'caseId' in d && openInCompare(d.caseId)} testId={`plot-${s.id}`} />}
      <details>
        <summary>Numbers ({s.table.rows.length} rows)</summary>
        <table className="num-table">
          <thead><tr>{s.table.head.map((h) => <th key={h} scope="col">{h}</th>)}<th scope="col"><span className="sr-only">Open</span></th></tr></thead>
          <tbody>
            {s.table.rows.map((row, i) => (
              <tr key={i}>
                {row.map((v, j) => <td key={j}>{typeof v === 'number' ? fmt(v) : v}</td>)}
                <td>{s.table.caseIds?.[i] ? <button type="button" className="link" onClick={() => openInCompare(s.table.caseIds![i]!)}>Open in Compare</button> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}

export function DashboardPage() {
  const report = useTrust((x) => x.report);
  const status = useTrust((x) => x.status);
  const models = useTrust((x) => x.models);
  const modelsError = useTrust((x) => x.modelsError);
  useEffect(() => {
    if (!trustStore.getState().models) void loadModels();
    if (trustStore.getState().status === 'idle' && autorunWanted()) void startEvaluation();
  }, []);
  const sections = useMemo(() => (report ? buildSections(dashboardView(report)) : []), [report]);
  // drill-down from a method row: its worst localization case
  const openMethod = (method: string) => {
    const per = report?.cells[method]?.localization?.units[0]?.perCase as LocalizationPerCase[] | undefined;
    if (!per?.length) return;
    openInCompare([...per].sort((a, b) => a.value - b.value)[0].caseId);
  };
  return (
    <div className="page dashboard-page" data-testid="page-dashboard">
      <div className="dash-head">
        <h1 className="page-title">Dashboard</h1>
        <div className="dash-export" role="group" aria-label="Export">
          <button type="button" disabled={!report} onClick={() => report && exportReport(report, 'html')} data-testid="export-html">HTML report</button>
          <button type="button" disabled={!report} onClick={() => report && exportReport(report, 'json')} data-testid="export-json">Metrics JSON</button>
          <button type="button" disabled={!report} onClick={() => report && exportReport(report, 'csv')} data-testid="export-csv">Metrics CSV</button>
        </div>
      </div>
      <Settings />
      <ProgressLine />
      {modelsError && <p className="error-text" role="alert">Models: {modelsError}</p>}
      {models && models.length === 0 && !modelsError && <p className="error-text">No model is available; import one on <a href="#/data">Data</a>.</p>}
      <PublishedReports report={report} />
      {!report ? (
        <EmptyState title={status === 'running' ? 'Computing the first maps…' : 'No trust report yet'} testId="dash-empty">
          <p>The dashboard scores the six saliency methods on the seed's four trust criteria (localization, sensitivity to weight randomization, repeatability, reproducibility) with pass/fail and 95% confidence intervals, beside the seed's own results. Choose how many cases to use and press <b>Evaluate</b>; the quick preset on the default 4 + 4 cases takes several minutes on the CPU (wasm), much less on a GPU, and every map is cached. When a reader changes a box, the numbers follow within a second.</p>
        </EmptyState>
      ) : (
        <>
          <TrustTable report={report} onOpenMethod={openMethod} onOpenCase={openInCompare} />
          <p className="muted small">Click a point in a plot, or a row's "Open in Compare", to open that case in Compare. Plots show pass/fail by position against the dashed line; the table says it in words.</p>
          <div className="dash-sections">{sections.map((s) => <SectionView key={s.id} s={s} />)}</div>
        </>
      )}
    </div>
  );
}
