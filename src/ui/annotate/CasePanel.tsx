import type { AnnotationRecord, Box, CaseRecord, ImageRecord } from '../../state/db';
import { editorStore, useEditor, type WindowLevel } from './editorStore';
import type { CaseConsensus, CaseFigures } from './agreement';
import type { ReaderAgreement } from '../../core/annotation';
import { CONSENSUS_COLOR } from './colors';
import { StudyAgreementLine } from './StudyAgreementLine';

export interface CasePanelProps {
  caseRec: CaseRecord | null;
  record: AnnotationRecord | null;
  image: ImageRecord | null;
  defaultWl: WindowLevel | null;
  range: { lo: number; hi: number } | null;
  coordinator: boolean;
  consensus: CaseConsensus | null;
  agreement: { agreement: ReaderAgreement | null; figures?: CaseFigures | null; ms: number } | null;
  quorum: number;
  readerNames: Record<string, string>;
  colors: Record<string, string>;
  onDone(): void;
  onNoFinding(): void;
  onQuorum(q: number): void;
  onSelect(id: string): void;
}

const fmt = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(3));
const size = (b: Box) => `${+(b.x1 - b.x0).toFixed(1)} × ${+(b.y1 - b.y0).toFixed(1)} px`;

/** Right-hand panel: the case and its answer, the boxes, image display, and (coordinator) agreement. */
export function CasePanel(p: CasePanelProps) {
  const selected = useEditor((s) => s.selected);
  const preview = useEditor((s) => s.preview);
  const wl = useEditor((s) => s.wl);
  const invert = useEditor((s) => s.invert);
  const scale = useEditor((s) => s.view.scale);
  const boxes = p.record?.boxes ?? [];
  const polygons = p.record?.polygons ?? [];
  const sel = preview && preview.id === selected ? preview : boxes.find((b) => b.id === selected);
  const status = p.record?.status ?? 'unread';
  const dicom = Boolean(p.image?.window);
  return (
    <aside className="case-panel" aria-label="Case">
      <section>
        <h2>Case</h2>
        {p.caseRec ? (
          <dl className="kv">
            <dt>Name</dt><dd data-testid="case-name">{p.caseRec.name}</dd>
            <dt>Body part</dt><dd>{p.caseRec.bodyPart ?? '–'}</dd>
            <dt>Image</dt><dd>{p.caseRec.width} × {p.caseRec.height} px</dd>
            {p.coordinator && <><dt>Study label</dt><dd>{p.caseRec.label === 1 ? 'abnormal' : p.caseRec.label === 0 ? 'normal' : '–'}</dd></>}
          </dl>
        ) : <p className="muted">No case open.</p>}
        <div className="answer" data-testid="case-status" data-status={status}>
          <button className={status === 'done' ? 'on' : ''} aria-pressed={status === 'done'} onClick={p.onDone} title="D">✓ Done <kbd>D</kbd></button>
          <button className={status === 'no-finding' ? 'on' : ''} aria-pressed={status === 'no-finding'} onClick={p.onNoFinding} title="0" disabled={boxes.length > 0 || polygons.length > 0}>∅ No abnormality found <kbd>0</kbd></button>
        </div>
        <p className="muted small">{status === 'unread' ? 'Not read yet.' : status === 'in-progress' ? 'In progress.' : status === 'done' ? 'Marked done.' : 'Answered: no abnormality found.'}</p>
      </section>
      <section>
        <h2>Boxes <span className="muted">({boxes.length})</span></h2>
        {polygons.length > 0 && <p className="muted small" data-testid="polygon-count">{polygons.length} polygon region(s), imported: drawn as outlines and counted in the consensus; not editable here.</p>}
        {sel ? (
          <p className="sel-size" data-testid="selected-size">Selected: <b>{size(sel)}</b><br /><span className="muted small">({+sel.x0.toFixed(1)}, {+sel.y0.toFixed(1)}) – ({+sel.x1.toFixed(1)}, {+sel.y1.toFixed(1)})</span></p>
        ) : <p className="muted small">Drag on the image to draw; click a box to select it.</p>}
        <ul className="box-list" data-testid="box-list">
          {boxes.map((b, i) => (
            <li key={b.id}>
              <button className={b.id === selected ? 'on' : ''} onClick={() => p.onSelect(b.id)} data-box={b.id} data-coords={`${b.x0},${b.y0},${b.x1},${b.y1}`}>
                #{i + 1} <span className="muted">{size(b)}</span>
              </button>
            </li>
          ))}
        </ul>
      </section>
      <section>
        <h2>Display</h2>
        {wl && p.range && (
          dicom ? (
            <>
              <label className="slider">Window (W) <span>{Math.round(wl.width)}</span>
                <input type="range" min={1} max={Math.max(2, p.range.hi - p.range.lo)} step="any" value={wl.width} onChange={(e) => editorStore.getState().set({ wl: { ...wl, width: Number(e.target.value) } })} />
              </label>
              <label className="slider">Level (L) <span>{Math.round(wl.center)}</span>
                <input type="range" min={p.range.lo} max={p.range.hi} step="any" value={wl.center} onChange={(e) => editorStore.getState().set({ wl: { ...wl, center: Number(e.target.value) } })} />
              </label>
            </>
          ) : (
            <>
              <label className="slider">Brightness <span>{Math.round((127.5 - wl.center) / 1.275)}</span>
                <input type="range" min={-100} max={100} step={1} value={Math.round((127.5 - wl.center) / 1.275)} onChange={(e) => editorStore.getState().set({ wl: { ...wl, center: 127.5 - Number(e.target.value) * 1.275 } })} />
              </label>
              <label className="slider">Contrast <span>{Math.round((255 / wl.width) * 100)}%</span>
                <input type="range" min={20} max={500} step={5} value={Math.round((255 / wl.width) * 100)} onChange={(e) => editorStore.getState().set({ wl: { ...wl, width: 25500 / Number(e.target.value) } })} />
              </label>
            </>
          )
        )}
        <label className="check"><input type="checkbox" checked={invert} onChange={(e) => editorStore.getState().set({ invert: e.target.checked })} /> Invert <kbd>I</kbd></label>
        <p className="muted small">Zoom {Math.round(scale * 100)}%</p>
      </section>
      {p.coordinator && (
        <section data-testid="agreement">
          <h2>Agreement</h2>
          <label className="inline">Consensus quorum
            <input type="number" min={1} max={9} value={p.quorum} onChange={(e) => p.onQuorum(Number(e.target.value) || 2)} aria-label="Consensus quorum" />
          </label>
          <p className="muted small">Readers counted: those who have started or answered this case ({p.consensus?.readers.map((r) => p.readerNames[r] ?? r).join(', ') || 'none'}). <span style={{ color: CONSENSUS_COLOR }}>━</span> consensus (≥ {p.quorum}).</p>
          {p.agreement?.agreement ? (
            <>
              <table className="agree">
                <thead><tr><th>Pair</th><th>IoU</th><th>Dice</th></tr></thead>
                <tbody>
                  {p.agreement.agreement.pairs.map((x) => (
                    <tr key={`${x.a}-${x.b}`}><td>{p.readerNames[x.a] ?? x.a} · {p.readerNames[x.b] ?? x.b}</td><td>{fmt(x.iou)}</td><td>{fmt(x.dice)}</td></tr>
                  ))}
                  <tr className="mean"><td>Mean</td><td data-testid="mean-iou">{fmt(p.agreement.agreement.meanIoU)}</td><td>{fmt(p.agreement.agreement.meanDice)}</td></tr>
                </tbody>
              </table>
              <p>Fleiss' κ (pixels, this case): <b data-testid="fleiss">{fmt(p.agreement.agreement.fleissKappa)}</b></p>
              {p.agreement.figures && (
                <dl className="agree-figures" data-testid="reader-vs-consensus">
                  <dt title="Mean over readers who drew here of IoU with the consensus of the others (the reader left out)">Reader vs others (leave-one-out) IoU</dt>
                  <dd data-testid="reader-vs-others-iou">{fmt(p.agreement.figures.readerVsOthersIoU)}</dd>
                  <dt title="The consensus includes the reader, as the seed's journal paper computed its 0.613: optimistic">Reader vs consensus incl. self IoU <span className="muted">(the journal's optimistic figure)</span></dt>
                  <dd data-testid="reader-vs-consensus-iou">{fmt(p.agreement.figures.readerVsConsensusIoU)}</dd>
                </dl>
              )}
              <table className="agree">
                <thead><tr><th>Reader</th><th title="against the consensus of the other readers">vs others IoU</th><th>Dice</th><th title="consensus including the reader (optimistic)">incl. self IoU</th></tr></thead>
                <tbody>
                  {p.agreement.agreement.readers.map((r) => (
                    <tr key={r}><td><span className="swatch" style={{ background: p.colors[r] }} />{p.readerNames[r] ?? r}</td><td>{fmt(p.agreement!.agreement!.vsOthers[r]?.iou)}</td><td>{fmt(p.agreement!.agreement!.vsOthers[r]?.dice)}</td><td>{fmt(p.agreement!.agreement!.vsAllIncludingSelf[r]?.iou)}</td></tr>
                  ))}
                </tbody>
              </table>
              <p className="muted small" data-testid="recompute-ms">Consensus {p.consensus?.msConsensus.toFixed(2)} ms; agreement {p.agreement.ms.toFixed(1)} ms.</p>
            </>
          ) : (p.consensus?.readers.length ?? 0) < 2 ? <p className="muted small">Agreement needs at least two readers on this case.</p> : <p className="muted small">Computing agreement…</p>}
          <StudyAgreementLine quorum={p.quorum} />
        </section>
      )}
    </aside>
  );
}
