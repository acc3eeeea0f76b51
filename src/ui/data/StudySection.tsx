import { useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import { useStore } from 'zustand';
import { studyStore } from '../../state/study';
import { readersStore } from '../../state/readers';
import { importStudy, type ImportReport, type ImportSource } from '../../state/importExport';
import type { CaseRecord, ImageRecord } from '../../state/db';
import { importer } from '../../worker/importClient';
import { sourcesFromDrop, sourcesFromInput } from './importFiles';
import { ImagePreview } from './ImagePreview';

const labelText = (l: 0 | 1 | null) => (l === 1 ? 'abnormal' : l === 0 ? 'normal' : '—');

function Report({ r, files }: { r: ImportReport; files: number }) {
  const labelled = r.added.filter((a) => a.label !== null).length;
  return (
    <div className="import-report" data-testid="import-report" data-added={r.added.length} role="status">
      {r.added.length === 0 ? (
        <p data-testid="import-nothing">
          <b data-testid="import-added">0</b> of {files} file(s) imported: nothing was added and nothing changed; the current study stays as it was
          {r.duplicates.length > 0 && <> (<b data-testid="import-duplicates">{r.duplicates.length}</b> duplicate(s) of images already stored)</>}
          {r.problems.length > 0 && <>; <b data-testid="import-problems">{r.problems.length}</b> file(s) could not be imported, listed below</>}.
        </p>
      ) : (
        <p>
          <b data-testid="import-added">{r.added.length}</b> image(s) imported into {r.intoExisting ? 'the current study' : 'a new study'} <b>{r.studyName}</b> ({labelled} labelled)
          {r.readers.length > 0 && <>, read by <span data-testid="import-readers">{r.readers.map((x) => x.name).join(', ')}</span></>}
          {r.duplicates.length > 0 && <>; <b data-testid="import-duplicates">{r.duplicates.length}</b> duplicate(s) not added</>}
          {r.problems.length > 0 && <>; <b data-testid="import-problems">{r.problems.length}</b> file(s) could not be imported</>}.
        </p>
      )}
      {r.storageError && <p className="error-text">{r.storageError}</p>}
      {r.problems.length > 0 && (
        <table className="problems-table" data-testid="problems-table">
          <thead><tr><th>File</th><th>Problem</th><th>What to do</th></tr></thead>
          <tbody>{r.problems.map((p, i) => <tr key={i} data-code={p.code}><td><code>{p.file}</code></td><td>{p.problem}</td><td>{p.todo}</td></tr>)}</tbody>
        </table>
      )}
      {r.duplicates.length > 0 && (
        <details><summary>Duplicates (same pixels as an image already there)</summary>
          <ul>{r.duplicates.map((d, i) => <li key={i}><code>{d.file}</code> = {d.sameAs}</li>)}</ul>
        </details>
      )}
    </div>
  );
}

/** Data page section: Study (import PNG/JPEG/DICOM files, folders, MURA; the current study's cases). */
export function StudySection() {
  const study = useStore(studyStore(), (s) => s.currentStudy);
  const cases = useStore(studyStore(), (s) => s.cases);
  const [busy, setBusy] = useState<string | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [target, setTarget] = useState<'new' | 'current'>('new');
  const [readerNames, setReaderNames] = useState('Reader 1, Reader 2, Reader 3');
  const [files, setFiles] = useState(0);
  const [active, setActive] = useState(0);
  const rowButtons = useRef<Array<HTMLButtonElement | null>>([]);
  const [over, setOver] = useState(false);
  const [preview, setPreview] = useState<ImageRecord | null>(null);
  const filesRef = useRef<HTMLInputElement>(null);
  const folderRef = useRef<HTMLInputElement>(null);

  const run = async (sources: ImportSource[]) => {
    if (!sources.length || busy) return;
    setBusy(`Reading ${sources.length} file(s)…`);
    setError(null);
    setReport(null);
    setFiles(sources.length);
    try {
      const into = target === 'current' ? study?.id : undefined;
      const r = await importStudy(sources, {
        studyName: name,
        intoStudyId: into,
        readerNames: readerNames.split(/[,;\n]/),
        decode: (files) => importer().decodeImportBatch(files),
        onProgress: (done, total) => setBusy(`Decoded ${done} of ${total}…`),
      });
      setReport(r);
      // only an import that added images changes the study shown (0 added: nothing changes)
      if (r.studyId && r.added.length > 0) {
        if (r.studyId !== study?.id) await studyStore().getState().selectStudy(r.studyId);
        else setStudyCases(await studyStore().getState().listCases(r.studyId));
        await readersStore.getState().load();
      }
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
      if (filesRef.current) filesRef.current.value = '';
      if (folderRef.current) folderRef.current.value = '';
    }
  };
  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    await run(await sourcesFromDrop(e.dataTransfer));
  };
  const show = async (hash: string) => setPreview((await studyStore().getState().getImage(hash)) ?? null);
  const setStudyCases = (list: CaseRecord[]) => studyStore().setState({ cases: list });
  // the case table is one tab stop: arrows (and Home/End, PageUp/PageDown) move between its rows
  const shownCases = cases.slice(0, 500);
  const focusRow = (i: number) => {
    const j = Math.max(0, Math.min(shownCases.length - 1, i));
    setActive(j);
    rowButtons.current[j]?.focus();
  };
  const onTableKey = (e: KeyboardEvent) => {
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10, Home: -Infinity, End: Infinity };
    const d = moves[e.key];
    if (d === undefined) return;
    e.preventDefault();
    focusRow(d === -Infinity ? 0 : d === Infinity ? shownCases.length - 1 : Math.min(active, shownCases.length - 1) + d);
  };

  return (
    <section className="data-section" aria-labelledby="data-study" data-testid="study-section">
      <h2 id="data-study">Study</h2>
      <p className="muted">
        Import a study: PNG, JPEG or DICOM images (uncompressed, RLE, JPEG baseline and lossless, JPEG-LS, JPEG 2000), a MURA folder
        (<code>XR_&lt;PART&gt;/patient&lt;N&gt;/study&lt;K&gt;_positive|negative/</code>, with <code>*_labeled_studies.csv</code> when present), or any
        folder with a labels CSV (<code>image,label[,body_part]</code>). Images are decoded in the background at full resolution; DICOM patient
        identifiers stay in this browser and are left out of every export unless you ask for them.
      </p>
      <div
        className={`drop-zone${over ? ' over' : ''}`}
        data-testid="drop-zone"
        onDragOver={(e) => { e.preventDefault(); setOver(true); }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => void onDrop(e)}
      >
        <p>Drop files or a folder here, or</p>
        <label className="file-button">Choose files…
          <input ref={filesRef} type="file" multiple data-testid="import-files" onChange={(e) => void run(sourcesFromInput(e.target.files))} />
        </label>
        <label className="file-button">Choose a folder…
          <input ref={folderRef} type="file" multiple data-testid="import-folder" {...{ webkitdirectory: '', directory: '' }} onChange={(e) => void run(sourcesFromInput(e.target.files))} />
        </label>
      </div>
      <div className="import-options">
        <fieldset className="import-target">
          <legend>Import into</legend>
          <label><input type="radio" name="import-target" value="new" checked={target === 'new'} onChange={() => setTarget('new')} data-testid="import-into-new" /> a new study</label>
          <label><input type="radio" name="import-target" value="current" checked={target === 'current'} disabled={!study} onChange={() => setTarget('current')} data-testid="import-into-current" /> the current study{study ? ` (${study.name})` : ''}</label>
        </fieldset>
        {target === 'new' && (
          <>
            <label>Study name <input value={name} onChange={(e) => setName(e.target.value)} placeholder="the folder's name" data-testid="import-study-name" /></label>
            <label>Its readers (names, comma-separated) <input value={readerNames} onChange={(e) => setReaderNames(e.target.value)} size={30} data-testid="import-reader-names" /></label>
          </>
        )}
      </div>
      {busy && <p role="status" data-testid="import-busy">{busy}</p>}
      {error && <p className="error-text" role="alert">{error}</p>}
      {report && <Report r={report} files={files} />}
      {study && (
        <div className="study-cases">
          <h3>Current study: <span data-testid="current-study">{study.name}</span> ({cases.length} cases)</h3>
          <div className="study-cases-body">
            <div className="study-cases-table">
              <table data-testid="study-cases" onKeyDown={onTableKey} aria-label={`Cases of ${study.name}: one tab stop; arrow keys move between rows, Enter shows the image`}>
                <thead><tr><th>Image</th><th>Label</th><th>Body part</th><th>Size</th></tr></thead>
                <tbody>
                  {shownCases.map((c, i) => (
                    <tr key={c.id} data-case={c.name} data-label={c.label ?? ''} data-body-part={c.bodyPart ?? ''}>
                      <td><button className="link" ref={(el) => { rowButtons.current[i] = el; }} tabIndex={i === Math.min(active, shownCases.length - 1) ? 0 : -1} onFocus={() => setActive(i)} onClick={() => void show(c.imageHash)}>{c.name}</button></td>
                      <td>{labelText(c.label)}</td>
                      <td>{c.bodyPart ?? '—'}</td>
                      <td>{c.width} x {c.height}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {cases.length > 500 && <p className="muted">First 500 of {cases.length} shown.</p>}
            </div>
            {preview && <ImagePreview image={preview} />}
          </div>
        </div>
      )}
    </section>
  );
}
