import { useEffect, useRef } from 'react';
import type { CaseRecord, ReadStatus } from '../../state/db';
import type { WorklistPrefs } from '../../state/readers';
import type { WorklistFilter } from './worklist';
import { isFinished } from './worklist';

const STATUS_TEXT: Record<ReadStatus, string> = { unread: 'Not read', 'in-progress': 'In progress', done: 'Done', 'no-finding': 'No abnormality found' };
const STATUS_ICON: Record<ReadStatus, string> = { unread: '○', 'in-progress': '◐', done: '✓', 'no-finding': '∅' };

export interface WorklistProps {
  readerName: string;
  all: CaseRecord[];
  shown: CaseRecord[];
  currentId: string | null;
  status(id: string): ReadStatus;
  boxCount(id: string): number;
  filter: WorklistFilter;
  bodyParts: string[];
  prefs: WorklistPrefs;
  onFilter(f: WorklistFilter): void;
  onPrefs(p: WorklistPrefs): void;
  onOpen(id: string): void;
  onPrev(): void;
  onNext(): void;
  onNextUnfinished(): void;
}

/** The reader's own list of cases: progress, filters, order, and where they are. */
export function Worklist(p: WorklistProps) {
  const done = p.all.filter((c) => isFinished(p.status(c.id))).length;
  const listRef = useRef<HTMLOListElement>(null);
  useEffect(() => {
    listRef.current?.querySelector('[aria-current="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [p.currentId]);
  return (
    <aside className="worklist" aria-label="Worklist" data-testid="worklist">
      <div className="wl-head">
        <div className="wl-title">Worklist · {p.readerName}</div>
        <div className="wl-progress" data-testid="progress" aria-label={`${done} of ${p.all.length} cases finished`}>
          <div className="wl-bar"><div style={{ width: `${p.all.length ? (100 * done) / p.all.length : 0}%` }} /></div>
          <span>{done} / {p.all.length} done</span>
        </div>
        <div className="wl-nav">
          <button onClick={p.onPrev} title="Previous case (P)">‹ Prev</button>
          <button onClick={p.onNext} title="Next case (N)">Next ›</button>
          <button onClick={p.onNextUnfinished} title="Next unfinished case (U)">Next unfinished</button>
        </div>
        <div className="wl-filters">
          <label>Label
            <select value={p.filter.label} onChange={(e) => p.onFilter({ ...p.filter, label: e.target.value as WorklistFilter['label'] })}>
              <option value="all">all</option>
              <option value="abnormal">abnormal</option>
              <option value="normal">normal</option>
              <option value="unlabelled">unlabelled</option>
            </select>
          </label>
          <label>Body part
            <select value={p.filter.bodyPart} onChange={(e) => p.onFilter({ ...p.filter, bodyPart: e.target.value })}>
              <option value="all">all</option>
              {p.bodyParts.map((b) => <option key={b} value={b}>{b}</option>)}
            </select>
          </label>
          <label className="wl-shuffle" title="Your own order, shuffled with a seed (each reader gets a different order)">
            <input type="checkbox" checked={p.prefs.shuffle} onChange={(e) => p.onPrefs({ ...p.prefs, shuffle: e.target.checked })} /> Shuffle
            {p.prefs.shuffle && <input className="wl-seed" type="number" aria-label="Shuffle seed" value={p.prefs.seed} onChange={(e) => p.onPrefs({ ...p.prefs, seed: Number(e.target.value) || 0 })} />}
          </label>
        </div>
      </div>
      <ol className="wl-list" ref={listRef}>
        {p.shown.map((c, i) => {
          const st = p.status(c.id);
          const n = p.boxCount(c.id);
          return (
            <li key={c.id} aria-current={c.id === p.currentId ? 'true' : undefined} data-case={c.id} data-status={st}>
              <button className="wl-item" onClick={() => p.onOpen(c.id)} tabIndex={c.id === p.currentId ? 0 : -1}>
                <span className="wl-num">{i + 1}</span>
                <span className="wl-name">{c.name}<small>{c.bodyPart ?? ''}</small></span>
                <span className={`wl-status st-${st}`} title={STATUS_TEXT[st]} aria-label={STATUS_TEXT[st]}>{STATUS_ICON[st]}{n > 0 ? ` ${n}` : ''}</span>
              </button>
            </li>
          );
        })}
        {p.shown.length === 0 && <li className="muted wl-empty">No case matches these filters.</li>}
      </ol>
    </aside>
  );
}
