import { useEffect, useState } from 'react';
import { syncStore, useSync } from '../../state/sync';

/** Header: the sync state (connected / offline / syncing n documents / last synced at / errors), naming the server. Nothing without a server. */
export function SyncBadge() {
  const status = useSync((s) => s.status);
  const server = useSync((s) => s.server);
  const [, tick] = useState(0);
  useEffect(() => { void syncStore().getState().load(); }, []);
  useEffect(() => { const t = setInterval(() => tick((x) => x + 1), 15_000); return () => clearInterval(t); }, []);
  if (!status && !server) return null;
  const at = status?.lastSyncedAt ? ` · last synced ${new Date(status.lastSyncedAt).toLocaleTimeString()}` : '';
  let text: string;
  if (!status) text = `Not connected to ${server}: sign in on the Data page`;
  else if (status.state === 'error') text = status.message ?? `Sync error with ${status.server}`;
  else if (status.state === 'offline') text = `Offline: ${status.message ?? status.server}${at}`;
  else if (status.state === 'syncing') text = `Syncing ${status.pending} document(s) with ${status.server}${at}`;
  else if (status.state === 'connecting') text = `Connecting to ${status.server}…`;
  else text = `Connected to ${status.server}${at}`;
  return (
    <a className={`meta-item sync-badge sync-${status?.state ?? 'off'}`} href="#/data" data-testid="sync-status" data-state={status?.state ?? 'off'} data-code={status?.code ?? ''} title={text} role={status?.state === 'error' ? 'alert' : 'status'}>
      {text}
    </a>
  );
}

/** Conflicts (kept until someone chooses) and sync problems, on every page. */
export function SyncNotices() {
  const conflicts = useSync((s) => s.conflicts);
  const problems = useSync((s) => s.problems);
  if (!conflicts.length && !problems.length) return null;
  const fmt = (b: { x0: number; y0: number; x1: number; y1: number } | null) => (b ? `[${Math.round(b.x0)}, ${Math.round(b.y0)}, ${Math.round(b.x1)}, ${Math.round(b.y1)}]` : 'deleted');
  return (
    <div className="sync-notices" data-testid="sync-notices">
      {conflicts.map((c) => (
        <div key={c.boxId} className="sync-conflict" role="alert" data-testid="sync-conflict" data-box={c.boxId}>
          Reader {c.readerId}, case {c.caseId}: box {c.boxId} was changed in two places at once. Shown: {fmt(c.shown.box)}; also kept: {c.others.map((o) => fmt(o.box)).join(', ')}. Nothing is lost until you choose.
          <button onClick={() => void syncStore().getState().resolve(c.boxId, c.shown.rev)} data-testid="conflict-keep-shown">Keep shown</button>
          {c.others.map((o, i) => <button key={o.rev} onClick={() => void syncStore().getState().resolve(c.boxId, o.rev)} data-testid={`conflict-keep-other-${i}`}>Keep {fmt(o.box)}</button>)}
        </div>
      ))}
      {problems.map((p, i) => (
        <div key={i} className="sync-problem" role="alert" data-testid="sync-problem">{p} <button onClick={() => syncStore().getState().dismissProblem(i)}>OK</button></div>
      ))}
    </div>
  );
}
