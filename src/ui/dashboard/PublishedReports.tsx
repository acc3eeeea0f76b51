import { syncStore, useSync } from '../../state/sync';
import type { TrustReport } from '../../core/trust/report';
import type { PublishedReportSummary } from '../../core/sync/modelResults';
import { download } from '../common/download';
import { TrustTable } from './TrustTable';
import { trustJson } from './report';

const when = (ms: number) => new Date(ms).toLocaleString();
const modelNames = (r: PublishedReportSummary) => r.models.map((m) => m.name ?? m.id).join(', ');

/** The published report's JSON, as the dashboard's "Metrics JSON" export writes it. */
function downloadPublished(o: { reportId: string; report: TrustReport } | null) {
  if (o) download(`heatcheck-published-${o.reportId.slice(0, 12)}.json`, 'application/json', trustJson(o.report));
}

/**
 * Model results in the study database, on the dashboard of a workstation signed in to a sync
 * server: publish the current report (with the warning that every login on the server can read
 * it), the list of published reports (coordinator), and one of them opened read only, above and
 * apart from the local results (which it does not replace).
 */
export function PublishedReports({ report }: { report: TrustReport | null }) {
  const status = useSync((s) => s.status);
  const server = useSync((s) => s.server);
  const reports = useSync((s) => s.reports);
  const pub = useSync((s) => s.reportPublish);
  const opened = useSync((s) => s.opened);
  if (!status?.role) return null;
  const coordinator = status.role === 'coordinator';
  return (
    <section className="dash-published" aria-labelledby="dash-published-title" data-testid="published-reports">
      <h2 id="dash-published-title">Study database: model results</h2>
      <p className="muted small" data-testid="publish-report-warning">
        Publishing writes this trust report (its models, predictions, case labels and per-case values) to the study database on {server}, for the
        other coordinator workstations. <b>Every login on that server, readers included, can read it over HTTP</b>: CouchDB cannot hide a document of a
        database a login reads. Readers' workstations do not fetch or show it, but seeing model results can bias a reader: publish after reading has ended.
      </p>
      <button type="button" data-testid="publish-report" disabled={!report || !report.complete || pub.busy} onClick={() => report && void syncStore().getState().publishReport(report)}>
        {pub.busy ? 'Publishing…' : 'Publish report to the study database'}
      </button>
      {!report && <span className="muted small"> Evaluate first: there is no report here to publish.</span>}
      {report && !report.complete && <span className="muted small"> The evaluation is still running.</span>}
      {pub.message && <p role="status" data-testid="publish-report-message">{pub.message}</p>}
      {pub.error && <p className="error-text" role="alert" data-testid="publish-report-error">{pub.error}</p>}
      {!coordinator && <p className="muted small">Published reports are not shown on a reader's workstation (blinding); a coordinator login lists them here.</p>}
      {coordinator && (
        reports === null ? <p className="muted small">Pulling the study database…</p>
          : reports.length === 0 ? <p className="muted small" data-testid="published-none">No trust report has been published to the study database yet.</p>
            : (
              <table className="num-table published-list" data-testid="published-list">
                <caption className="muted small">Published trust reports ({reports.length}), newest first</caption>
                <thead><tr><th scope="col">Published by</th><th scope="col">When</th><th scope="col">Models</th><th scope="col">Methods</th><th scope="col">Cases</th><th scope="col">Preset</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
                <tbody>
                  {reports.map((r) => (
                    <tr key={r.docId} data-testid="published-report" data-doc-id={r.docId} aria-current={opened?.docId === r.docId ? 'true' : undefined}>
                      <td data-testid="published-by">{r.publishedBy}</td>
                      <td>{when(r.publishedAt)}</td>
                      <td data-testid="published-models">{modelNames(r)}</td>
                      <td data-testid="published-methods">{r.methods.map((m) => m.label).join(', ')}</td>
                      <td>{r.cases}</td>
                      <td>{r.preset}{r.complete ? '' : ' (incomplete)'}</td>
                      <td>
                        <button type="button" className="link" data-testid="published-open" onClick={() => syncStore().getState().openReport(r.docId)}>Open</button>{' '}
                        <button type="button" className="link" data-testid="published-json" onClick={() => downloadPublished(syncStore().getState().reportOf(r.docId))}>JSON</button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
      )}
      {coordinator && opened && (
        <div className="published-view" data-testid="published-view" data-doc-id={opened.docId}>
          <p className="published-label" data-testid="published-label">
            <b>Published report, read only</b>: published by {opened.publishedBy} at {when(opened.publishedAt)} (computed {new Date(opened.report.createdAt).toLocaleString()}
            {opened.report.backend ? ` on ${opened.report.backend}` : ''}). It is not a live computation: it does not follow readers' edits, and the local results
            below are unchanged.{' '}
            <button type="button" data-testid="published-download" onClick={() => downloadPublished(opened)}>Download JSON</button>{' '}
            <button type="button" data-testid="published-close" onClick={() => syncStore().getState().closeReport()}>Close</button>
          </p>
          <TrustTable report={opened.report} />
        </div>
      )}
    </section>
  );
}
