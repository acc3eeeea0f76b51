import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { applyMerge, exportFile, planMergeFile, type ExportKind } from '../../state/importExport';
import { readersStore, useReaders } from '../../state/readers';
import { studyStore } from '../../state/study';
import type { Choice, MergePlan } from '../../core/study/merge';
import { download } from '../common/download';
import { ReaderFileImport } from './ReaderFileImport';

const EXPORTS: Array<{ kind: ExportKind; label: string; help: string }> = [
  { kind: 'project', label: 'Project file (JSON)', help: 'Everything: cases by content hash with their images, readers, boxes, settings, results. Opens in another browser.' },
  { kind: 'reader', label: "Reader's work (JSON)", help: "One reader's boxes, for the coordinator to merge." },
  { kind: 'coco', label: 'COCO (JSON)', help: 'bbox [x, y, w, h] in original pixels, the reader as an attribute.' },
  { kind: 'via-csv', label: 'VIA (CSV)', help: "VGG Image Annotator 2.x CSV: boxes as rect, polygons as polygon; choose a reader for one annotator's file, the reader named in region_attributes." },
  { kind: 'csv', label: 'Boxes (CSV)', help: 'image,reader,x0,y0,x1,y1' },
  { kind: 'masks', label: 'Consensus masks (PNG, zipped)', help: 'One PNG per case at full size, 255 where the quorum of finished readers agree.' },
  { kind: 'metrics-json', label: 'Metrics (JSON)', help: 'Every stored result with all its parameters.' },
  { kind: 'metrics-csv', label: 'Metrics (CSV)', help: 'The same, one row per result, parameters as columns.' },
];

const boxText = (b: { x0: number; y0: number; x1: number; y1: number }) => `[${b.x0}, ${b.y0}, ${b.x1}, ${b.y1}]`;

function MergePanel({ plan, onDone, onCancel }: { plan: MergePlan; onDone: (msg: string) => void; onCancel: () => void }) {
  const [choices, setChoices] = useState<Record<string, Choice>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const undecided = plan.conflicts.filter((c) => !choices[c.key]).length;
  const setAll = (c: Choice) => setChoices(Object.fromEntries(plan.conflicts.map((x) => [x.key, c])));
  const apply = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await applyMerge(plan, choices);
      if (r.studyId && r.cases > 0) await studyStore().getState().selectStudy(r.studyId);
      await readersStore.getState().load();
      onDone(`Merged ${plan.source}: ${r.cases} new case(s), ${r.annotations} reader record(s) written.`);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="merge-panel" data-testid="merge-panel">
      <p>
        <b>{plan.source}</b> ({plan.kind === 'reader' ? "a reader's work" : 'a project file'}): {plan.cases.length} new case(s), {plan.duplicateCases} already here,{' '}
        {plan.annotations.length} reader record(s) to add, {plan.unchanged} unchanged, <b data-testid="merge-conflict-count">{plan.conflicts.length}</b> conflict(s).
      </p>
      {plan.missingCases.length > 0 && (
        <p className="error-text">{plan.missingCases.length} case(s) in the file are not in this browser and the file carries no images for them (import the study first): {plan.missingCases.slice(0, 5).map((m) => m.name).join(', ')}</p>
      )}
      {plan.conflicts.length > 0 && (
        <>
          <p>The same reader has different boxes on these cases. Choose which to keep; nothing is written until each is decided.
            <button onClick={() => setAll('mine')}>Keep all mine</button> <button onClick={() => setAll('theirs')}>Take all theirs</button></p>
          <table className="conflicts-table" data-testid="merge-conflicts">
            <thead><tr><th>Reader</th><th>Case</th><th>Here (mine)</th><th>In the file (theirs)</th><th>Keep</th></tr></thead>
            <tbody>
              {plan.conflicts.map((c) => (
                <tr key={c.key} data-reader={c.readerId} data-case={c.caseName}>
                  <td>{c.readerId}</td>
                  <td>{c.caseName}</td>
                  <td>{c.mine.boxes.map(boxText).join(' ') || 'no boxes'} ({c.mine.status})</td>
                  <td>{c.theirs.boxes.map(boxText).join(' ') || 'no boxes'} ({c.theirs.status})</td>
                  <td>
                    <label><input type="radio" name={`c-${c.key}`} checked={choices[c.key] === 'mine'} onChange={() => setChoices({ ...choices, [c.key]: 'mine' })} /> mine</label>{' '}
                    <label><input type="radio" name={`c-${c.key}`} checked={choices[c.key] === 'theirs'} onChange={() => setChoices({ ...choices, [c.key]: 'theirs' })} /> theirs</label>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {error && <p className="error-text" role="alert">{error}</p>}
      <button className="primary" disabled={busy || undecided > 0} onClick={() => void apply()} data-testid="merge-apply">
        {undecided > 0 ? `Decide ${undecided} conflict(s) first` : 'Apply merge'}
      </button>{' '}
      <button onClick={onCancel} disabled={busy}>Cancel</button>
    </div>
  );
}

/** Data page section: Export (evidence bundle files) and merge (readers' exports, project files). */
export function ExportSection() {
  const readers = useReaders((s) => s.readers);
  const study = useStore(studyStore(), (s) => s.currentStudy);
  const [includeIds, setIncludeIds] = useState(false);
  const [readerId, setReaderId] = useState('');
  const [viaReader, setViaReader] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [queue, setQueue] = useState<File[]>([]);
  const [plan, setPlan] = useState<MergePlan | null>(null);
  useEffect(() => { if (!readerId && readers[0]) setReaderId(readers[0].id); }, [readers, readerId]);

  const doExport = async (kind: ExportKind) => {
    setBusy(kind);
    setError(null);
    try {
      const f = await exportFile(kind, { readerId: kind === 'reader' ? readerId : kind === 'via-csv' ? viaReader || undefined : undefined, includeIdentifiers: includeIds, appVersion: '0.1.0' });
      download(f.name, f.type, f.data);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  };
  const planNext = async (files: File[]) => {
    setQueue(files);
    setPlan(null);
    if (!files.length) return;
    try {
      setPlan(await planMergeFile(await files[0].text(), files[0].name));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      void planNext(files.slice(1));
    }
  };

  return (
    <section className="data-section" aria-labelledby="data-export" data-testid="export-section">
      <h2 id="data-export">Export and merge</h2>
      <p className="muted">Each export downloads as one file, for the current study{study ? <> (<b>{study.name}</b>)</> : null}.</p>
      <label className="privacy-toggle">
        <input type="checkbox" checked={includeIds} onChange={(e) => setIncludeIds(e.target.checked)} data-testid="include-identifiers" />
        Include DICOM patient identifiers (name, ID, birth date, …) in exports
      </label>
      {includeIds && <p className="error-text">Identifiers will be in the files you export. Share them only where patient data may go.</p>}
      <div className="export-buttons">
        {EXPORTS.map((x) => (
          <div key={x.kind} className="export-row">
            <button onClick={() => void doExport(x.kind)} disabled={!!busy || (x.kind === 'reader' && !readerId)} data-testid={`export-${x.kind}`} title={x.help}>
              {busy === x.kind ? 'Preparing…' : x.label}
            </button>
            {x.kind === 'reader' && (
              <select aria-label="Reader to export" value={readerId} onChange={(e) => setReaderId(e.target.value)} data-testid="export-reader">
                {readers.map((r) => <option key={r.id} value={r.id}>{r.name} ({r.id})</option>)}
              </select>
            )}
            {x.kind === 'via-csv' && (
              <select aria-label="Reader for the VIA file" value={viaReader} onChange={(e) => setViaReader(e.target.value)} data-testid="export-via-reader">
                <option value="">All readers</option>
                {readers.map((r) => <option key={r.id} value={r.id}>{r.name} ({r.id})</option>)}
              </select>
            )}
            <span className="muted">{x.help}</span>
          </div>
        ))}
      </div>
      <h3>Merge</h3>
      <p className="muted">Import a project file (a fresh browser gets the whole project) or readers' exports (a coordinator collects them). Cases match by content hash; a reader's boxes that differ from the ones here are shown as conflicts for you to decide.</p>
      <label className="file-button">Import project or readers' exports…
        <input type="file" accept=".json,application/json" multiple data-testid="merge-files" onChange={(e) => { setMessage(null); setError(null); void planNext(Array.from(e.target.files ?? [])); e.target.value = ''; }} />
      </label>
      {error && <p className="error-text" role="alert">{error}</p>}
      {message && <p role="status" data-testid="merge-message">{message}</p>}
      <ReaderFileImport />
      {plan && (
        <MergePanel
          key={plan.source + queue.length}
          plan={plan}
          onDone={(msg) => { setMessage(msg); void planNext(queue.slice(1)); }}
          onCancel={() => void planNext(queue.slice(1))}
        />
      )}
    </section>
  );
}
