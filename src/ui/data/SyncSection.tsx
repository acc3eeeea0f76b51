import { useEffect, useState } from 'react';
import { syncStore, useSync } from '../../state/sync';

/**
 * Data page section: sync with a CouchDB server (optional). Server address, login and password
 * (the password is kept in memory only); the status line names the server. Images are not
 * uploaded: every workstation imports the same study folder and boxes are matched by the image's
 * content hash (attachments are off).
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
      <p className="muted">Image attachments: off (images stay on each workstation).</p>
    </section>
  );
}
