import { useState } from 'react';
import { currentStudyAgreement } from '../../state/studyAgreement';

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '–');

/**
 * Coordinator view: the study's reader-vs-consensus figures on request (every case with a finished
 * reader; the same numbers as `heatcheck agreement` on these readers' files).
 */
export function StudyAgreementLine({ quorum }: { quorum: number }) {
  const [res, setRes] = useState<{ q: number; pairs: number; cases: number; vsAll: number; vsOthers: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const p = await currentStudyAgreement(quorum);
      setRes({ q: quorum, pairs: p.pairs, cases: p.cases, vsAll: p.readerVsConsensusIoU, vsOthers: p.readerVsOthersIoU });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="study-agreement" data-testid="study-agreement">
      <button onClick={() => void run()} disabled={busy} data-testid="study-agreement-run">{busy ? 'Computing…' : 'Whole study'}</button>
      {res && (
        // the full-precision figures ride along as attributes, for comparing two workstations exactly
        <p className="small" data-testid="study-agreement-figures" data-cases={res.cases} data-pairs={res.pairs} data-vs-others={String(res.vsOthers)} data-vs-consensus={String(res.vsAll)}>
          {res.cases} case(s), {res.pairs} reader reads with regions, quorum {res.q}: leave-one-out IoU <b data-testid="study-vs-others">{fmt(res.vsOthers)}</b>;
          incl. self <b data-testid="study-vs-consensus">{fmt(res.vsAll)}</b> <span className="muted">(the journal's optimistic figure)</span>
        </p>
      )}
      {error && <p className="error-text">{error}</p>}
    </div>
  );
}
