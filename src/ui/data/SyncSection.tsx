import { useEffect, useState } from 'react';
import { syncStore, useSync } from '../../state/sync';

const SHOWN_PROBLEMS = 50;

/**
 * The study's case list in the study database: the coordinator publishes it (on request), every
 * login's check of this workstation's images against it (by case name and image content hash).
 */
function CaseListPanel({ role }: { role: 'reader' | 'coordinator' }) {
  const caseList = useSync((s) => s.caseList);
  const publish = useSync((s) => s.publish);
  useEffect(() => { void syncStore().getState().recheckCaseList(); }, []);
  const state = !caseList || (!caseList.caughtUp && caseList.check.published === 0) ? 'pending' : caseList.check.published === 0 ? 'none' : caseList.check.ok ? 'match' : 'differs';
  return (
    <div className="sync-case-list" data-testid="case-list-panel">
      <h3>Study case list</h3>
      {role === 'coordinator' && (
        <>
          <p className="muted">
            Publishes the current study's cases to the study database: per case its name, image content hash, size, format, body part and modality (no
            pixels, no label or finding, which every reader login could read, no patient identifiers). Each reader's workstation checks its imported images against it. It is not republished by itself: publish again after
            importing or removing cases.
          </p>
          <button type="button" data-testid="publish-case-list" disabled={publish.busy} onClick={() => void syncStore().getState().publishCaseList()}>
            {publish.busy ? 'Publishing…' : 'Publish case list'}
          </button>
          {publish.message && <p data-testid="publish-message" role="status">{publish.message}</p>}
          {publish.error && <p className="error-text" role="alert" data-testid="publish-error">{publish.error}</p>}
        </>
      )}
      <p data-testid="case-list-check" data-state={state} data-published={caseList?.check.published ?? 0} data-matching={caseList?.check.matching ?? 0}>
        {caseList ? caseList.summary : 'Waiting for the study database…'}
        {caseList?.publishedBy && <span className="muted"> Published by {caseList.publishedBy} from "{caseList.publishedFrom}"{caseList.publishedAt ? ` at ${new Date(caseList.publishedAt).toLocaleString()}` : ''}; checked against "{caseList.study ?? 'no study'}" here.</span>}
        {' '}<button type="button" data-testid="case-list-recheck" onClick={() => void syncStore().getState().recheckCaseList()}>Check again</button>
      </p>
      {caseList && caseList.check.published > 0 && caseList.messages.length > 0 && (
        <ul className="case-list-problems" data-testid="case-list-problems">
          {caseList.messages.slice(0, SHOWN_PROBLEMS).map((m) => <li key={m} data-testid="case-list-problem">{m}</li>)}
          {caseList.messages.length > SHOWN_PROBLEMS && <li className="muted">and {caseList.messages.length - SHOWN_PROBLEMS} more.</li>}
        </ul>
      )}
    </div>
  );
}

/**
 * Data page section: sync with a CouchDB server (optional). Server address, login and password
 * (the password is kept in memory only); the status line names the server. Images are not
 * uploaded: every workstation imports the same study folder and boxes are matched by the image's
 * content hash (attachments are off); the study's case list in the study database says which images
 * those are, and each workstation's images are checked against it.
 */
export function SyncSection() {
  const server = useSync((s) => s.server);
  const user = useSync((s) => s.user);
  const status = useSync((s) => s.status);
  const [url, setUrl] = useState(server ?? '');
  const [name, setName] = useState(user ?? '');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => { if (server && !url) setUrl(server); if (user && !name) setName(user); }, [server, user]); // eslint-disable-line react-hooks/exhaustive-deps
  const connect = async () => {
    setBusy(true);
    try { await syncStore().getState().connect(url, name, password); } finally { setBusy(false); }
  };
  return (
    <section className="data-section" aria-labelledby="data-sync" data-testid="sync-section">
      <h2 id="data-sync">Sync with a server (optional)</h2>
      <p className="muted">
        Without a server everything stays in this browser. With a CouchDB server, each reader's boxes replicate to their own database on it (live;
        edits made offline go when the network returns), and a coordinator login gathers every reader's boxes. The server enforces blinding: a reader's
        workstation never receives another reader's boxes. Images are not uploaded: import the same study folder on every workstation (boxes are matched
        by the image's content hash).
      </p>
      <form className="sync-form" onSubmit={(e) => { e.preventDefault(); void connect(); }}>
        <label>Server <input data-testid="sync-server" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://couch.example.org:6984" autoComplete="url" /></label>
        <label>Login <input data-testid="sync-user" value={name} onChange={(e) => setName(e.target.value)} autoComplete="username" /></label>
        <label>Password <input data-testid="sync-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" /></label>
        <button type="submit" data-testid="sync-connect" disabled={busy || !url || !name}>Connect</button>
        {status && <button type="button" data-testid="sync-disconnect" onClick={() => void syncStore().getState().disconnect()}>Disconnect</button>}
      </form>
      {status?.role && <p data-testid="sync-role">Signed in to {status.server} as {user}, {status.role === 'coordinator' ? 'coordinator (every reader\'s boxes come here, read only)' : 'reader (your boxes only; blinded by the server)'}.</p>}
      {status?.role && <CaseListPanel role={status.role} />}
      <p className="muted">Image attachments: off (images stay on each workstation).</p>
    </section>
  );
}
