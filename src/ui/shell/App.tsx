import { useEffect } from 'react';
import { PAGES, appStore, useApp, type PageId } from '../../state/appStore';
import { BackendBadge } from './BackendBadge';
import { SyncBadge, SyncNotices } from './SyncBadge';
import { Welcome, welcomeSeen } from './Welcome';
import { readerName, useReaders } from '../../state/readers';
import { AnnotatePage } from '../annotate/AnnotatePage';
import { ComparePage } from '../compare/ComparePage';
import { DashboardPage } from '../dashboard/DashboardPage';
import { DataPage } from '../data/DataPage';

function pageFromHash(): PageId {
  const id = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return (PAGES.find((p) => p.id === id)?.id ?? 'annotate') as PageId;
}

export function App() {
  const page = useApp((s) => s.page);
  const studyName = useApp((s) => s.studyName);
  const reader = useApp((s) => s.currentReader);
  const readers = useReaders((s) => s.readers);
  const readerRec = readers.find((r) => r.id === reader);

  // first visit: the welcome opens by itself; Help opens it again
  useEffect(() => { if (!welcomeSeen()) appStore.getState().setWelcomeOpen(true); }, []);

  useEffect(() => {
    const sync = () => appStore.getState().setPage(pageFromHash());
    sync();
    window.addEventListener('hashchange', sync);
    return () => window.removeEventListener('hashchange', sync);
  }, []);

  return (
    <div className="app">
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="app-header">
        <div className="brand" aria-label="Heatcheck">
          <span className="brand-mark" aria-hidden="true" />
          Heatcheck
        </div>
        <nav className="app-nav" aria-label="Main">
          {PAGES.map((p) => (
            <a key={p.id} href={`#/${p.id}`} aria-current={page === p.id ? 'page' : undefined} className={page === p.id ? 'active' : ''}>
              {p.label}
            </a>
          ))}
        </nav>
        <div className="header-meta">
          <span className="meta-item" data-testid="study-name" title="Study">{studyName}</span>
          <span className="meta-item" data-testid="current-reader" data-reader={reader} title="Current reader">
            Reader: {reader ? readerName(readers, reader) : '—'}{readerRec?.simulated ? ' · simulated' : ''}
          </span>
          <SyncBadge />
          <BackendBadge />
          <button className="help-button" data-testid="help-button" onClick={() => appStore.getState().setWelcomeOpen(true)} aria-label="Help: welcome and what to try">Help</button>
        </div>
      </header>
      <SyncNotices />
      <main id="main" className="app-main" tabIndex={-1}>
        {page === 'annotate' && <AnnotatePage />}
        {page === 'compare' && <ComparePage />}
        {page === 'dashboard' && <DashboardPage />}
        {page === 'data' && <DataPage />}
      </main>
      <Welcome />
    </div>
  );
}
