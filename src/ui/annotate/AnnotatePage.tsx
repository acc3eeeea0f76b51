import { setCoordinatorView, useSync } from '../../state/sync';
import { useEffect, useMemo, useRef, useState } from 'react';
import { appStore, useApp } from '../../state/appStore';
import { annotationsStore, keyOf, useAnnotations } from '../../state/annotations';
import { persistCurrentReader, readersStore, useReaders } from '../../state/readers';
import type { AnnotationRecord, Box, ImageRecord, Polygon, ReadStatus } from '../../state/db';
import { EmptyState } from '../common/EmptyState';
import { useShortcuts } from '../common/shortcuts';
import { editorStore, fitView, useEditor, zoomAbout } from './editorStore';
import { defaultWindow, pixelRange } from './grayRender';
import { annotateShortcuts } from './hotkeys';
import { loadImage } from './caseData';
import { useStudy } from '../../state/study';
import { ALL_CASES, filterCases, nextUnfinished, readerOrder, type WorklistFilter } from './worklist';
import { readerColor } from './colors';
import { caseAgreement, caseConsensus, type CaseFigures } from './agreement';
import type { ReaderAgreement } from '../../core/annotation';
import { useBoxTool } from './useBoxTool';
import { Viewer } from './Viewer';
import { Worklist } from './Worklist';
import { CasePanel } from './CasePanel';
import { Toolbar } from './Toolbar';
import { HotkeyOverlay } from './HotkeyOverlay';
import type { OtherReader } from './OthersLayer';

const caseFromHash = () => {
  const m = /^#\/?annotate\/([^?]+)/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : null;
};
const recordIds = new WeakMap<object, number>();
let nextRecordId = 1;
const idOf = (o: object | undefined) => {
  if (!o) return 0;
  let v = recordIds.get(o);
  if (!v) { v = nextRecordId++; recordIds.set(o, v); }
  return v;
};
const NO_BOXES: Box[] = [];

/** The reading room: worklist left, image centre, tools and readers on top, case and agreement right. */
export function AnnotatePage() {
  const reader = useApp((s) => s.currentReader);
  const readers = useReaders((s) => s.readers);
  const blinded = useReaders((s) => s.blinded);
  const quorum = useReaders((s) => s.quorum);
  const prefsMap = useReaders((s) => s.prefs);
  const entries = useAnnotations((s) => s.entries);
  const notice = useAnnotations((s) => s.notice);
  const storeError = useAnnotations((s) => s.error);
  const overlay = useEditor((s) => s.overlay);
  const showConsensus = useEditor((s) => s.showConsensus);
  const toast = useEditor((s) => s.toast);
  const study = useStudy((s) => s.currentStudy);
  const cases = useStudy((s) => s.cases);
  const ready = useStudy((s) => s.ready);
  const progress = useStudy((s) => s.progress);
  const studyError = useStudy((s) => s.error);
  const data = ready ? { study, cases } : null;
  const [loadError, setLoadError] = useState<string | null>(null);
  // the case in step with Compare: #/annotate/<id>, else the one Compare showed last (appStore)
  const [caseId, setCaseId] = useState<string | null>(() => caseFromHash() ?? appStore.getState().currentCaseId);
  const [filter, setFilter] = useState<WorklistFilter>(ALL_CASES);
  const [image, setImage] = useState<ImageRecord | null>(null);
  const ann = annotationsStore();

  // readers again once the study is ready (the demo writes its simulated R1-R3)
  useEffect(() => { void readersStore.getState().load(); }, [ready, study?.id]);
  useEffect(() => { void ann.getState().loadReader(reader).catch(() => {}); }, [reader, ann, ready, study?.id]);

  const prefs = prefsMap[reader] ?? { shuffle: false, seed: 1 };
  const ordered = useMemo(() => readerOrder(cases, reader, prefs), [cases, reader, prefs]);
  const shown = useMemo(() => filterCases(ordered, filter), [ordered, filter]);
  const bodyParts = useMemo(() => [...new Set(cases.map((c) => c.bodyPart).filter((b): b is string => Boolean(b)))].sort(), [cases]);
  const statusOf = (id: string): ReadStatus => entries[keyOf(reader, id)]?.record.status ?? 'unread';
  const current = cases.find((c) => c.id === caseId) ?? null;

  // open a case when none is chosen: the reader's first unfinished one
  useEffect(() => {
    if (!data || current || !shown.length) return;
    const first = nextUnfinished(shown.map((c) => c.id), statusOf, null) ?? shown[0].id;
    go(first);
  });

  useEffect(() => {
    if (!current) return;
    void ann.getState().load(reader, current.id).catch(() => {});
    void ann.getState().loadCase(current.id).catch(() => {});
  }, [current?.id, reader, ann]);

  // the image, with its default window
  useEffect(() => {
    if (!current) return;
    let live = true;
    setImage((img) => (img?.hash === current.imageHash ? img : null));
    loadImage(current.imageHash).then((img) => {
      if (!live) return;
      if (!img) { setLoadError(`The image of case ${current.name} (hash ${current.imageHash.slice(0, 12)}…) is missing from this browser's storage. Re-import the study on the Data page.`); return; }
      setLoadError(null);
      editorStore.getState().set({ wl: defaultWindow(img), invert: false });
      setImage(img);
    }, (e: Error) => live && setLoadError(e.message));
    const i = shown.findIndex((c) => c.id === current.id);
    const nxt = shown[i + 1];
    if (nxt) void loadImage(nxt.imageHash).catch(() => {});
    return () => { live = false; };
  }, [current?.id]);

  const range = useMemo(() => (image ? pixelRange(image) : null), [image]);
  const readerIds = readers.map((r) => r.id);
  const colors = Object.fromEntries(readerIds.map((id) => [id, readerColor(readerIds, id)]));
  const names = Object.fromEntries(readers.map((r) => [r.id, r.name]));
  const own: AnnotationRecord | null = current ? entries[keyOf(reader, current.id)]?.record ?? null : null;
  const ownBoxes = own?.boxes ?? NO_BOXES;

  const caseRecords = current ? readerIds.map((r) => entries[keyOf(r, current.id)]?.record).filter((r): r is AnnotationRecord => Boolean(r)) : [];
  const sig = caseRecords.map((r) => idOf(r)).join(',');
  const counted = useMemo(() => {
    const byReader: Record<string, Box[]> = {};
    for (const r of caseRecords) if (r.status !== 'unread') byReader[r.readerId] = r.boxes;
    return byReader;
  }, [sig]);
  const countedPolygons = useMemo(() => {
    const byReader: Record<string, Polygon[]> = {};
    for (const r of caseRecords) if (r.status !== 'unread' && r.polygons?.length) byReader[r.readerId] = r.polygons;
    return byReader;
  }, [sig]);
  // the consensus outline is live (cheap); the agreement figures follow a moment later
  const consensus = useMemo(() => (blinded || !current ? null : caseConsensus(counted, current.width, current.height, quorum, countedPolygons)), [counted, countedPolygons, blinded, quorum, current?.id]);
  const [agreement, setAgreement] = useState<{ agreement: ReaderAgreement | null; figures: CaseFigures | null; ms: number; sig: string } | null>(null);
  useEffect(() => {
    if (blinded || !current) return;
    const t = setTimeout(() => setAgreement({ ...caseAgreement(counted, current.width, current.height, quorum, countedPolygons), sig: `${current.id}|${sig}|${quorum}` }), 40);
    return () => clearTimeout(t);
  }, [counted, blinded, quorum, current?.id]);
  const others: OtherReader[] = blinded || !current ? [] : caseRecords.filter((r) => r.readerId !== reader && (r.boxes.length || r.polygons?.length)).map((r) => ({ readerId: r.readerId, color: colors[r.readerId], boxes: r.boxes, polygons: r.polygons }));

  const tool = useBoxTool(reader, current?.id ?? null, image);

  function go(id: string) {
    tool.cancel();
    editorStore.getState().set({ selected: null, preview: null });
    setCaseId(id);
    appStore.getState().setCurrentCaseId(id);
    history.replaceState(null, '', `#/annotate/${encodeURIComponent(id)}`);
  }
  const ed = () => editorStore.getState();
  const say = (t: string) => ed().say(t);
  const syncStatus = useSync((s) => s.status);
  const localSwitch = useSync((s) => s.localCoordinator);
  const coordinatorBasis = syncStatus?.role === 'coordinator' ? `coordinator login on ${syncStatus.server}` : localSwitch?.on ? `local switch "I am the coordinator", on since ${new Date(localSwitch.since).toLocaleString()}` : 'coordinator view';
  const step = (d: number) => {
    if (!shown.length) return;
    const i = shown.findIndex((c) => c.id === current?.id);
    const j = i < 0 ? 0 : i + d;
    if (j < 0 || j >= shown.length) return say(d > 0 ? 'Last case of the list.' : 'First case of the list.');
    go(shown[j].id);
  };
  const toUnfinished = (quietIfNone = false) => {
    const id = nextUnfinished(shown.map((c) => c.id), statusOf, current?.id ?? null);
    if (id && id !== current?.id) go(id);
    else if (!quietIfNone || !id) say(id ? 'This is the only unfinished case.' : 'Every case in this list is finished.');
  };
  const setStatus = (s: ReadStatus) => { if (current) ann.getState().setStatus(reader, current.id, s); };
  const actions = {
    nextCase: () => step(1),
    prevCase: () => step(-1),
    nextUnfinished: () => toUnfinished(),
    markDone: () => {
      if (!current) return;
      const st = statusOf(current.id);
      if (st === 'done') { setStatus('in-progress'); return say('Marked not done.'); }
      if (!ownBoxes.length) return say('No boxes on this case: press 0 for "No abnormality found", or draw a box.');
      setStatus('done');
      say(`Case ${current.name} done.`);
      toUnfinished(true);
    },
    noFinding: () => {
      if (!current) return;
      const st = statusOf(current.id);
      if (st === 'no-finding') { setStatus('in-progress'); return say('"No abnormality found" withdrawn.'); }
      if (ownBoxes.length) return say('This case has boxes: delete them first to answer "No abnormality found".');
      setStatus('no-finding');
      say(`Case ${current.name}: no abnormality found.`);
      toUnfinished(true);
    },
    undo: () => { if (current && !ann.getState().undo(reader, current.id)) say('Nothing to undo on this case.'); ed().set({ preview: null }); },
    redo: () => { if (current && !ann.getState().redo(reader, current.id)) say('Nothing to redo on this case.'); },
    deleteSelected: () => tool.deleteSelected(),
    nudge: (dx: number, dy: number) => tool.keyboardMove(dx, dy) || tool.nudge(dx, dy),
    shiftArrow: (dx: number, dy: number) => tool.keyboardResize(dx, dy) || tool.nudge(dx * 10, dy * 10),
    startKeyboardBox: () => {
      if (!current || !image) { say('Open a case first.'); return true; }
      if (!tool.startKeyboardBox(ed().stage)) return false;
      say('New box at the centre: arrows move it, Shift+arrows resize it, Enter keeps it, Esc drops it.');
      return true;
    },
    commitKeyboardBox: () => tool.commitKeyboardBox(),
    escape: () => { if (ed().overlay) { ed().set({ overlay: false }); return true; } return tool.cancel(); },
    selectNext: () => tool.selectNext(),
    zoomIn: () => ed().set({ view: zoomAbout(ed().view, 1.25, { x: ed().stage.width / 2, y: ed().stage.height / 2 }), fitted: false }),
    zoomOut: () => ed().set({ view: zoomAbout(ed().view, 0.8, { x: ed().stage.width / 2, y: ed().stage.height / 2 }), fitted: false }),
    fit: () => { if (image) ed().set({ view: fitView(image, ed().stage), fitted: true }); },
    reset: () => { if (image) ed().set({ view: fitView(image, ed().stage), fitted: true, wl: defaultWindow(image), invert: false }); },
    invert: () => ed().set({ invert: !ed().invert }),
    toggleConsensus: () => { if (blinded) say('The consensus is shown in the coordinator view.'); else ed().set({ showConsensus: !ed().showConsensus }); },
    toggleOverlay: () => ed().set({ overlay: !ed().overlay }),
  };
  const shortcuts = annotateShortcuts(actions);
  useShortcuts(shortcuts);

  // selection follows the boxes (undo may remove the selected one)
  const selected = useEditor((s) => s.selected);
  useEffect(() => { if (selected && !ownBoxes.some((b) => b.id === selected)) ed().set({ selected: null }); }, [ownBoxes, selected]);

  // toast fades
  const toastTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => {
    clearTimeout(toastTimer.current);
    if (toast) toastTimer.current = setTimeout(() => ed().set({ toast: null }), 2600);
  }, [toast]);

  // warn before leaving with edits neither in IndexedDB nor in the journal (only when the journal failed)
  useEffect(() => {
    const h = (e: BeforeUnloadEvent) => { if (ann.getState().saveState !== 'saved' && !ann.getState().safeToUnload()) { e.preventDefault(); e.returnValue = ''; } };
    window.addEventListener('beforeunload', h);
    return () => window.removeEventListener('beforeunload', h);
  }, [ann]);

  if (data && !data.study) {
    return (
      <div className="page" data-testid="page-annotate">
        <h1 className="page-title">Annotate</h1>
        <EmptyState title="No cases to read yet">
          <p>Readers draw boxes around abnormalities here, blinded to each other. Load the demo study or import your own images on the <a href="#/data">Data</a> page.</p>
        </EmptyState>
      </div>
    );
  }

  return (
    <div className="annotate-page" data-testid="page-annotate" data-reader={reader} data-case={current?.id ?? ''} data-blinded={String(blinded)}>
      <Toolbar
        readers={readers}
        reader={reader}
        blinded={blinded}
        colors={colors}
        onReader={(id) => { tool.cancel(); ed().set({ selected: null, preview: null }); appStore.getState().setCurrentReader(id); persistCurrentReader(id); }}
        onBlinded={(b) => void setCoordinatorView(!b).then((r) => { if (!r.ok) say(r.why); })}
        onZoomIn={actions.zoomIn}
        onZoomOut={actions.zoomOut}
        onFit={actions.fit}
        onReset={actions.reset}
        onInvert={actions.invert}
        onConsensus={actions.toggleConsensus}
        onKeys={actions.toggleOverlay}
      />
      <Worklist
        readerName={names[reader] ?? reader}
        all={ordered}
        shown={shown}
        currentId={current?.id ?? null}
        status={statusOf}
        boxCount={(id) => { const r = entries[keyOf(reader, id)]?.record; return r ? r.boxes.length + (r.polygons?.length ?? 0) : 0; }}
        filter={filter}
        bodyParts={bodyParts}
        prefs={prefs}
        onFilter={setFilter}
        onPrefs={(p) => void readersStore.getState().setPrefs(reader, p)}
        onOpen={go}
        onPrev={actions.prevCase}
        onNext={actions.nextCase}
        onNextUnfinished={actions.nextUnfinished}
      />
      <div className="viewer-wrap">
        {(storeError || loadError) && (
          <div className="banner banner-error" role="alert" data-testid="storage-error">{loadError ?? storeError?.message}</div>
        )}
        {notice && (
          <div className="banner banner-notice" role="status" data-testid="sync-notice">{notice} <button onClick={() => ann.getState().dismissNotice()}>OK</button></div>
        )}
        <Viewer label={current?.name} image={image} boxes={ownBoxes} polygons={own?.polygons} color={colors[reader] ?? '#E69F00'} others={others} outline={showConsensus ? consensus?.outline ?? null : null} tool={tool} />
        <div className="viewer-hud" aria-hidden="true">
          {current && <span>{current.name} · {shown.findIndex((c) => c.id === current.id) + 1}/{shown.length}</span>}
          <span>{names[reader] ?? reader}{blinded ? ' · blinded' : ' · coordinator view'}</span>
          {!blinded && <span data-testid="coordinator-basis">{coordinatorBasis}</span>}
        </div>
        {toast && <div className="toast" role="status" data-testid="toast">{toast.text}</div>}
        {!data && <div className="viewer-loading" data-testid="study-loading">{studyError ? studyError.message : progress ? `${progress.message}: ${progress.done} / ${progress.total}` : 'Loading the study…'}</div>}
      </div>
      <CasePanel
        caseRec={current}
        record={own}
        image={image}
        defaultWl={image ? defaultWindow(image) : null}
        range={range}
        coordinator={!blinded}
        consensus={consensus}
        agreement={agreement && current && agreement.sig === `${current.id}|${sig}|${quorum}` ? agreement : null}
        quorum={quorum}
        readerNames={names}
        colors={colors}
        onDone={actions.markDone}
        onNoFinding={actions.noFinding}
        onQuorum={(q) => void readersStore.getState().setQuorum(q)}
        onSelect={(id) => ed().set({ selected: id })}
      />
      {overlay && <HotkeyOverlay shortcuts={shortcuts} onClose={() => ed().set({ overlay: false })} />}
    </div>
  );
}
