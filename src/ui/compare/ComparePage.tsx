import { useEffect, useMemo, useRef, useState } from 'react';
import { appStore, useApp } from '../../state/appStore';
import { useStudy, studyStore } from '../../state/study';
import { useAnnotations, annotationsStore } from '../../state/annotations';
import { compareStore, EXTRA_METHODS, loadModels, METHOD_LABELS, SEED_METHODS, trustStore, useCompare, useTrust, finishedReaders } from '../../state/trust';
import type { ComputeMapResult } from '../../worker/api/saliency';
import { newJobId } from '../../worker/client';
import { appScheduler, mapJob } from '../../state/scheduler';
import { consensusFromRegions } from '../../core/annotation';
import { isPolygon } from '../../core/study/types';
import { EmptyState } from '../common/EmptyState';
import { loadImage } from '../annotate/caseData';
import { defaultWindow, renderGray } from '../annotate/grayRender';
import { maskOutline } from '../annotate/outline';
import { readerColor } from '../annotate/colors';
import { HeatmapPanel, type PanelProps } from './HeatmapPanel';
import { CompareToolbar } from './CompareToolbar';
import { Colorbar } from './Colorbar';
import type { Overlay } from './render';

const caseFromHash = () => {
  const m = /^#\/?compare\/([^?]+)/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : null;
};

type PanelState = { result: ComputeMapResult | null; state: PanelProps['state']; error?: string };
const pkey = (method: string, model: string) => `${method}|${model}`;

/** Methods x models over one case: the seed's figure 2, with linked zoom/pan and display options. */
export function ComparePage() {
  const cases = useStudy((s) => s.cases);
  const ready = useStudy((s) => s.ready);
  const current = useApp((s) => s.currentCaseId);
  const models = useTrust((s) => s.models);
  const modelsError = useTrust((s) => s.modelsError);
  const preset = useTrust((s) => s.settings.preset);
  const shownModels = useCompare((s) => s.models);
  const showConsensus = useCompare((s) => s.showConsensus);
  const shownReaders = useCompare((s) => s.shownReaders);
  const extras = useCompare((s) => s.extras);
  const methods = useMemo(() => (extras ? [...SEED_METHODS, ...EXTRA_METHODS] : SEED_METHODS), [extras]);
  const entries = useAnnotations((s) => s.entries);
  const [image, setImage] = useState<{ canvas: HTMLCanvasElement; w: number; h: number; hash: string } | null>(null);
  const [panels, setPanels] = useState<Record<string, PanelState>>({});
  const [progress, setProgress] = useState<{ done: number; total: number; message: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const job = useRef<{ id: string; stop: boolean } | null>(null);

  useEffect(() => { void studyStore().getState().ensureDemoStudy(); }, []);
  useEffect(() => { if (!trustStore.getState().models) void loadModels(); }, []);

  // the case: #/compare/<id>, else the one Annotate shows, else the first abnormal case
  useEffect(() => {
    const sync = () => {
      const h = caseFromHash();
      if (h) appStore.getState().setCurrentCaseId(h);
    };
    sync();
    window.addEventListener('hashchange', sync);
    return () => window.removeEventListener('hashchange', sync);
  }, []);
  const theCase = cases.find((c) => c.id === current) ?? (ready ? cases.find((c) => c.label === 1) ?? cases[0] : undefined) ?? null;
  const caseIndex = theCase ? cases.indexOf(theCase) : -1;
  const go = (id: string) => {
    appStore.getState().setCurrentCaseId(id);
    history.replaceState(null, '', `#/compare/${encodeURIComponent(id)}`);
  };

  // image and readers of the case
  useEffect(() => {
    if (!theCase) return;
    let live = true;
    void annotationsStore().getState().loadCase(theCase.id).catch(() => {});
    loadImage(theCase.imageHash).then((img) => {
      if (!live) return;
      if (!img) { setError(`The image of case ${theCase.name} is missing from this browser's storage; re-import the study on the Data page.`); return; }
      const g = renderGray(img, defaultWindow(img), false);
      const canvas = document.createElement('canvas');
      canvas.width = g.width;
      canvas.height = g.height;
      canvas.getContext('2d')!.putImageData(new ImageData(g.data as unknown as Uint8ClampedArray<ArrayBuffer>, g.width, g.height), 0, 0);
      setImage({ canvas, w: img.width, h: img.height, hash: img.hash });
      setError(null);
    }, (e: Error) => live && setError(e.message));
    return () => { live = false; };
  }, [theCase?.id]);

  const modelIds = useMemo(() => (models ?? []).map((m) => m.id).filter((id) => !shownModels || shownModels.includes(id)), [models, shownModels]);

  // ask the store's scheduler for the maps (spread over the pool of compute workers, cached in
  // IndexedDB), cheap methods first; leaving the case or the page withdraws what is still queued
  // and cancels what is running
  useEffect(() => {
    if (!theCase || !modelIds.length) return;
    const owner = newJobId('compare');
    const me = { id: owner, stop: false };
    job.current = me;
    const list = methods.flatMap((method) => modelIds.map((model) => ({ method, model })));
    setPanels(Object.fromEntries(list.map((t) => [pkey(t.method, t.model), { result: null, state: 'waiting' as const }])));
    setProgress({ done: 0, total: list.length, message: 'starting' });
    let done = 0;
    void appScheduler().then((scheduler) => {
      if (me.stop) return;
      for (const t of list) {
        const k = pkey(t.method, t.model);
        const request = { imageHash: theCase.imageHash, modelId: t.model, method: t.method, preset, seed: 0, includeRaw: true };
        const what = `${METHOD_LABELS[t.method] ?? t.method} on ${t.model}`;
        scheduler.request<ComputeMapResult>(owner, mapJob(request, 1), {
          onStart: () => {
            if (me.stop) return;
            setPanels((p) => ({ ...p, [k]: { result: null, state: 'computing' } }));
            setProgress({ done, total: list.length, message: what });
          },
          onProgress: (pp) => { if (!me.stop) setProgress({ done, total: list.length, message: `${what}: ${pp.message ?? `${pp.done}/${pp.total}`}` }); },
          onDone: (r) => {
            if (me.stop) return;
            done++;
            if (r.ok) setPanels((p) => ({ ...p, [k]: { result: r.value, state: 'done' } }));
            else if (r.code === 'CANCELLED') setPanels((p) => ({ ...p, [k]: { result: null, state: 'cancelled' } }));
            else setPanels((p) => ({ ...p, [k]: { result: null, state: 'error', error: r.message } }));
            if (done === list.length && job.current === me) setProgress(null);
            else setProgress({ done, total: list.length, message: what });
          },
        });
      }
    });
    return () => {
      me.stop = true;
      void appScheduler().then((s) => s.cancelOwner(owner));
    };
  }, [theCase?.id, modelIds.join(','), preset, methods]);

  const cancel = () => {
    const j = job.current;
    if (!j) return;
    j.stop = true;
    void appScheduler().then((s) => s.cancelOwner(j.id));
    setProgress(null);
    setPanels((p) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.state === 'waiting' || v.state === 'computing' ? { ...v, state: 'cancelled' as const } : v])));
  };

  // readers' boxes and the consensus outline (original pixels)
  const caseRecords = useMemo(() => (theCase ? Object.values(entries).map((e) => e.record).filter((r) => r.caseId === theCase.id) : []), [entries, theCase?.id]);
  const finished = useMemo(() => finishedReaders(caseRecords), [caseRecords]);
  const readerIds = useMemo(() => Object.keys(finished).sort(), [finished]);
  const overlay: Overlay = useMemo(() => {
    if (!theCase) return { consensus: null, boxes: [] };
    const consensus = showConsensus && readerIds.length ? maskOutline(consensusFromRegions(readerIds.map((r) => finished[r]), theCase.width, theCase.height, Math.min(2, readerIds.length)), theCase.width, theCase.height) : null;
    const boxes = readerIds.filter((r) => shownReaders.includes(r)).flatMap((r) => finished[r].flatMap((b) => (isPolygon(b) ? [] : [{ color: readerColor(readerIds, r), box: b }])));
    return { consensus, boxes };
  }, [finished, readerIds, showConsensus, shownReaders, theCase?.id]);

  if (!ready) return <div className="page" data-testid="page-compare"><h1 className="page-title">Compare</h1><p className="muted">Preparing the study…</p></div>;
  if (!theCase) {
    return (
      <div className="page" data-testid="page-compare">
        <h1 className="page-title">Compare</h1>
        <EmptyState title="No case to compare"><p>Import a study on <a href="#/data">Data</a>.</p></EmptyState>
      </div>
    );
  }
  const anySigned = Object.values(panels).some((p) => p.result?.signed);
  return (
    <div className="page compare-page" data-testid="page-compare">
      <div className="cmp-head">
        <h1 className="page-title">Compare</h1>
        <div className="cmp-case" role="group" aria-label="Case">
          <button type="button" onClick={() => caseIndex > 0 && go(cases[caseIndex - 1].id)} disabled={caseIndex <= 0} title="Previous case"><span aria-hidden="true">◀ </span>Previous case</button>
          <label>
            <span className="sr-only">Case</span>
            <select value={theCase.id} onChange={(e) => go(e.target.value)} data-testid="compare-case">
              {cases.map((c) => <option key={c.id} value={c.id}>{c.name} · {c.label === 1 ? 'abnormal' : c.label === 0 ? 'normal' : 'unlabelled'}</option>)}
            </select>
          </label>
          <button type="button" onClick={() => caseIndex < cases.length - 1 && go(cases[caseIndex + 1].id)} disabled={caseIndex >= cases.length - 1} title="Next case">Next case<span aria-hidden="true"> ▶</span></button>
          <a href={`#/annotate/${encodeURIComponent(theCase.id)}`}>Open in Annotate</a>
        </div>
        <div className="cmp-progress" aria-live="polite" data-testid="compare-progress">
          {progress ? (
            <>
              <progress max={progress.total} value={progress.done} aria-label="Maps computed" /> {progress.done}/{progress.total} · {progress.message}
              <button type="button" onClick={cancel}>Cancel</button>
            </>
          ) : (
            <span className="muted">{Object.values(panels).filter((p) => p.state === 'done').length} maps · preset {preset === 'quick' ? 'quick preview' : 'paper defaults'} (set on Dashboard)</span>
          )}
        </div>
      </div>
      {error && <p className="error-text" role="alert">{error}</p>}
      {modelsError && <p className="error-text" role="alert">Models: {modelsError}</p>}
      <CompareToolbar readers={readerIds} models={(models ?? []).map((m) => m.id)} />
      <Colorbar signed={anySigned} />
      {!models ? <p className="muted">Loading models…</p> : !modelIds.length ? (
        <EmptyState title="No model selected"><p>Pick at least one model above, or import one on <a href="#/data">Data</a>.</p></EmptyState>
      ) : (
        <CompareGrid methods={methods} modelIds={modelIds} panels={panels} image={image} overlay={overlay} w={theCase.width} h={theCase.height} />
      )}
    </div>
  );
}

function CompareGrid({ methods, modelIds, panels, image, overlay, w, h }: { methods: string[]; modelIds: string[]; panels: Record<string, PanelState>; image: { canvas: HTMLCanvasElement } | null; overlay: Overlay; w: number; h: number }) {
  // keyboard: the grid is one focus stop; + / - zoom, arrows pan, 0 resets
  const onKey = (e: React.KeyboardEvent) => {
    const s = compareStore.getState();
    const step = 0.1 / s.view.scale;
    const keys: Record<string, () => void> = {
      '+': () => s.zoomBy(1.25), '=': () => s.zoomBy(1.25), '-': () => s.zoomBy(0.8), '0': () => s.resetView(),
      ArrowLeft: () => s.panBy(-step, 0), ArrowRight: () => s.panBy(step, 0), ArrowUp: () => s.panBy(0, -step), ArrowDown: () => s.panBy(0, step),
    };
    const f = keys[e.key];
    if (f) { e.preventDefault(); f(); }
  };
  return (
    <div className="cmp-grid-wrap" tabIndex={0} onKeyDown={onKey} aria-label="Saliency maps: methods in rows, models in columns. Plus and minus zoom, arrow keys pan, 0 resets; all panels move together." data-testid="compare-grid">
      <table className="cmp-grid">
        <thead>
          <tr><th scope="col"><span className="sr-only">Method</span></th>{modelIds.map((m) => <th key={m} scope="col">{m}</th>)}</tr>
        </thead>
        <tbody>
          {methods.map((method) => (
            <tr key={method}>
              <th scope="row">{METHOD_LABELS[method] ?? method}</th>
              {modelIds.map((model) => {
                const p = panels[pkey(method, model)] ?? { result: null, state: 'waiting' as const };
                return (
                  <td key={model}>
                    <HeatmapPanel method={method} methodLabel={METHOD_LABELS[method] ?? method} model={model} result={p.result} state={p.state} error={p.error} image={image?.canvas ?? null} imgW={w} imgH={h} overlay={overlay} />
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
