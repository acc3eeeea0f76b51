import { setCoordinatorView } from '../../state/sync';
import { useEffect, useState } from 'react';
import { persistCurrentReader, readersStore, useReaders } from '../../state/readers';
import { appStore, useApp } from '../../state/appStore';
import type { ReaderRecord } from '../../state/db';

function ReaderRow({ r, current }: { r: ReaderRecord; current: boolean }) {
  const [name, setName] = useState(r.name);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setName(r.name), [r.name]);
  const save = async () => {
    if (name === r.name) return;
    try { await readersStore.getState().rename(r.id, name); setError(null); } catch (e) { setError((e as Error).message); setName(r.name); }
  };
  return (
    <tr data-reader={r.id}>
      <td><code>{r.id}</code></td>
      <td>
        <input aria-label={`Name of reader ${r.id}`} value={name} onChange={(e) => setName(e.target.value)} onBlur={save} onKeyDown={(e) => { if (e.key === 'Enter') void save(); }} />
        {error && <div className="error-text">{error}</div>}
      </td>
      <td>{r.simulated ? <span className="muted" title="Boxes made by the demo's simulated reader">simulated</span> : 'person'}</td>
      <td>{current ? <b>reading now</b> : <button onClick={() => { appStore.getState().setCurrentReader(r.id); persistCurrentReader(r.id); }}>Read as {r.name}</button>}</td>
    </tr>
  );
}

/** Data page section: Readers (create, rename, who reads, blinding). */
export function ReadersSection() {
  const readers = useReaders((s) => s.readers);
  const blinded = useReaders((s) => s.blinded);
  const loaded = useReaders((s) => s.loaded);
  const error = useReaders((s) => s.error);
  const current = useApp((s) => s.currentReader);
  useEffect(() => { if (!loaded) void readersStore.getState().load(); }, [loaded]);
  return (
    <section className="data-section" aria-labelledby="data-readers" data-testid="readers-section">
      <h2 id="data-readers">Readers</h2>
      <p className="muted">Who reads, and whether readers are blinded to each other. Boxes are kept per reader; the consensus counts each reader once.</p>
      {error && <p className="error-text">{error}</p>}
      <table className="readers-table">
        <thead><tr><th>Id</th><th>Name</th><th>Kind</th><th></th></tr></thead>
        <tbody>{readers.map((r) => <ReaderRow key={r.id} r={r} current={r.id === current} />)}</tbody>
      </table>
      <p>
        <button onClick={() => void readersStore.getState().create()}>Add a reader</button>{' '}
        <label className="check" style={{ display: 'inline-flex', marginLeft: 12 }}>
          <input type="checkbox" checked={blinded} onChange={(e) => void setCoordinatorView(!e.target.checked).then((r) => { if (!r.ok) window.alert(r.why); })} /> Blinded: each reader sees only their own boxes (off: coordinator view with everyone's boxes, consensus and agreement)
        </label>
      </p>
    </section>
  );
}
