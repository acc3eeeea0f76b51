import { useState } from 'react';
import { applyReaderFile, planReaderFile, type ReaderFilePlan } from '../../state/readerFiles';
import { readersStore } from '../../state/readers';

/**
 * Data page: readers' files from other tools (VIA CSV or JSON, COCO instances) or the app's reader
 * export, one reader per file. Each file is shown before anything is written: how many images
 * matched a case of the current study by file name, which did not (and why), what was skipped;
 * the user names the reader (the file's name by default) and imports, or skips the file.
 */
export function ReaderFileImport() {
  const [queue, setQueue] = useState<File[]>([]);
  const [plan, setPlan] = useState<ReaderFilePlan | null>(null);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [messages, setMessages] = useState<string[]>([]);

  const next = async (files: File[]) => {
    setQueue(files);
    setPlan(null);
    if (!files.length) return;
    try {
      const p = await planReaderFile(await files[0].text(), files[0].name);
      setPlan(p);
      setName(p.suggestedName);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      void next(files.slice(1));
    }
  };
  const apply = async () => {
    if (!plan) return;
    setBusy(true);
    setError(null);
    try {
      const r = await applyReaderFile(plan, name);
      await readersStore.getState().load();
      setMessages((m) => [...m, `${plan.file.source}: reader "${r.reader.name}" added with ${r.regions} region(s) on ${r.cases} case(s).`]);
      void next(queue.slice(1));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="reader-file-import" data-testid="reader-file-import">
      <h3>Readers' files from other tools</h3>
      <p className="muted">VGG Image Annotator (VIA) CSV or JSON, COCO instances JSON, or a Heatcheck reader export: one reader per file. Rectangles become boxes, polygons become polygon regions (drawn as outlines, counted in the consensus like boxes). Image names are matched to this study's cases by file name.</p>
      <label className="file-button">Import a reader's file…
        <input type="file" accept=".csv,.json,text/csv,application/json" multiple data-testid="reader-files" onChange={(e) => { setMessages([]); setError(null); void next(Array.from(e.target.files ?? [])); e.target.value = ''; }} />
      </label>
      {error && <p className="error-text" role="alert">{error}</p>}
      {messages.map((m, i) => <p key={i} role="status" data-testid="reader-file-message">{m}</p>)}
      {plan && (
        <div className="merge-panel" data-testid="reader-file-plan">
          <p>
            <b>{plan.file.source}</b> ({plan.file.format}): {plan.counts.images} image(s), <b data-testid="reader-file-matched">{plan.counts.matched}</b> matched to cases of {plan.studyName};{' '}
            {plan.counts.boxes} box(es), {plan.counts.polygons} polygon(s).
          </p>
          {plan.match.unmatched.length > 0 && (
            <details open={plan.match.unmatched.length <= 10} data-testid="reader-file-unmatched">
              <summary>{plan.match.unmatched.length} image name(s) matched no case and will not be imported</summary>
              <ul>{plan.match.unmatched.map((u) => <li key={u.file}>{u.file}: {u.reason}</li>)}</ul>
            </details>
          )}
          {plan.file.warnings.length > 0 && <ul className="muted small" data-testid="reader-file-warnings">{plan.file.warnings.map((w, i) => <li key={i}>{w}</li>)}</ul>}
          <label>Reader name <input value={name} onChange={(e) => setName(e.target.value)} data-testid="reader-file-name" /></label>{' '}
          <button className="primary" disabled={busy || !name.trim() || plan.counts.matched === 0} onClick={() => void apply()} data-testid="reader-file-apply">
            {plan.counts.matched === 0 ? 'Nothing matches this study' : `Import as a new reader`}
          </button>{' '}
          <button onClick={() => void next(queue.slice(1))} disabled={busy}>Skip this file</button>
        </div>
      )}
    </div>
  );
}
