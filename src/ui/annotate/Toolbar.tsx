import type { ReaderRecord } from '../../state/db';
import { useEditor } from './editorStore';
import { SaveIndicator } from './SaveIndicator';

export interface ToolbarProps {
  readers: ReaderRecord[];
  reader: string;
  blinded: boolean;
  colors: Record<string, string>;
  onReader(id: string): void;
  onBlinded(b: boolean): void;
  onZoomIn(): void;
  onZoomOut(): void;
  onFit(): void;
  onReset(): void;
  onInvert(): void;
  onConsensus(): void;
  onKeys(): void;
}

/** Top bar: who reads, blinding, view tools, save state. */
export function Toolbar(p: ToolbarProps) {
  const scale = useEditor((s) => s.view.scale);
  const invert = useEditor((s) => s.invert);
  const consensus = useEditor((s) => s.showConsensus);
  const noFocus = (e: React.MouseEvent) => e.preventDefault(); // keep keys for the viewer
  return (
    <div className="ann-toolbar" role="toolbar" aria-label="Annotation tools">
      <h1 className="page-title">Annotate</h1>
      <label className="reader-pick">Reading as
        <select value={p.reader} onChange={(e) => p.onReader(e.target.value)} data-testid="reader-select">
          {p.readers.map((r) => <option key={r.id} value={r.id}>{r.name}{r.name !== r.id ? ` (${r.id})` : ''}{r.simulated ? ' · simulated' : ''}</option>)}
        </select>
        <span className="swatch" style={{ background: p.colors[p.reader] }} aria-hidden="true" />
      </label>
      <div className="seg" role="group" aria-label="Who sees what">
        <button className={p.blinded ? 'on' : ''} aria-pressed={p.blinded} onClick={() => p.onBlinded(true)} onMouseDown={noFocus} data-testid="mode-blinded" title="Each reader sees only their own boxes">Blinded</button>
        <button className={!p.blinded ? 'on' : ''} aria-pressed={!p.blinded} onClick={() => p.onBlinded(false)} onMouseDown={noFocus} data-testid="mode-coordinator" title="Everyone's boxes, the consensus and agreement">Coordinator</button>
      </div>
      <div className="tools" role="group" aria-label="View">
        <button onClick={p.onZoomOut} onMouseDown={noFocus} title="Zoom out (-)" aria-label="Zoom out">−</button>
        <span className="zoom" data-testid="zoom">{Math.round(scale * 100)}%</span>
        <button onClick={p.onZoomIn} onMouseDown={noFocus} title="Zoom in (+)" aria-label="Zoom in">+</button>
        <button onClick={p.onFit} onMouseDown={noFocus} title="Fit (F)">Fit</button>
        <button className={invert ? 'on' : ''} aria-pressed={invert} onClick={p.onInvert} onMouseDown={noFocus} title="Invert (I)">Invert</button>
        <button onClick={p.onReset} onMouseDown={noFocus} title="Reset view, window/level, invert (R)">Reset</button>
        {!p.blinded && <button className={consensus ? 'on' : ''} aria-pressed={consensus} onClick={p.onConsensus} onMouseDown={noFocus} title="Consensus contour (C)" data-testid="toggle-consensus">Consensus</button>}
      </div>
      <div className="spacer" />
      <SaveIndicator />
      <button onClick={p.onKeys} onMouseDown={noFocus} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">?</button>
    </div>
  );
}
