import type { TrustCell, TrustReport } from '../../worker/api/trustSession';
import { CRITERIA_LABELS, fmt, fmtCi, fmtP } from './format';
import { seedCell, SEED_SOURCE, SEED_TRUSTWORTHY } from './seedReference';

/** Pass/fail by icon and word, never by colour alone. */
export function Verdict({ pass }: { pass: boolean | null }) {
  if (pass === null) return null;
  return <span className={`verdict ${pass ? 'pass' : 'fail'}`}><span aria-hidden="true">{pass ? '✓' : '✗'}</span> {pass ? 'pass' : 'fail'}</span>;
}

function Cell({ c }: { c: TrustCell }) {
  if (c.state !== 'ok') return <span className={`cell-note ${c.state}`}>{c.note}</span>;
  return (
    <span className="cell-ok">
      <Verdict pass={c.pass} />
      <span className="cell-value">{fmt(c.value)}</span>
      <span className="cell-ci">{fmtCi(c.ci)}</span>
      <span className="cell-np">n {c.n} · p {fmtP(c.p)}</span>
    </span>
  );
}

const CRITERIA = ['localization', 'randomization', 'repeatability', 'reproducibility'] as const;

/** The seed's table: methods x four criteria, the verdict, and the seed's result beside each cell. */
export function TrustTable({ report, onOpenMethod }: { report: TrustReport; onOpenMethod?: (method: string) => void }) {
  const loc = report.localization[report.config.primaryModel]?.[report.config.methods[0]];
  const metric = String(loc?.params.metric ?? 'auroc').toUpperCase();
  return (
    <table className="trust-table" data-testid="trust-table">
      <caption>
        Trust criteria per method (ours: {report.config.primaryModel}, {report.config.preset === 'quick' ? 'quick preview' : 'paper defaults'} preset; each cell: verdict, mean, 95% bootstrap CI, cases, p). Seed: {SEED_SOURCE}.
      </caption>
      <thead>
        <tr>
          <th scope="col">Method</th>
          {CRITERIA.map((c) => <th key={c} scope="col">{CRITERIA_LABELS[c]}{c === 'localization' ? ` (${metric} vs edge map)` : c === 'randomization' ? ' (SSIM, fully randomized)' : ' (SSIM > 0.5)'}</th>)}
          <th scope="col">Trustworthy on all four</th>
        </tr>
      </thead>
      <tbody>
        {report.rows.map((row) => (
          <tr key={row.method} data-method={row.method}>
            <th scope="row">
              {onOpenMethod ? <button type="button" className="link" onClick={() => onOpenMethod(row.method)} title="Open the worst case of this method in Compare">{row.label}</button> : row.label}
            </th>
            {CRITERIA.map((c) => {
              const seed = seedCell(row.method, c);
              return (
                <td key={c} data-criterion={c} data-state={row.cells[c].state} data-testid={`cell-${row.method}-${c}`}>
                  <Cell c={row.cells[c]} />
                  {seed && <span className="seed-ref">seed: {seed.pass === null ? seed.text : <Verdict pass={seed.pass} />}</span>}
                </td>
              );
            })}
            <td data-testid={`verdict-${row.method}`}>
              {row.trustworthy === null ? <span className="cell-note pending">not all known</span> : <span className={`verdict ${row.trustworthy ? 'pass' : 'fail'}`}><span aria-hidden="true">{row.trustworthy ? '✓' : '✗'}</span> {row.trustworthy ? 'yes' : 'no'}</span>}
              <span className="seed-ref">seed: no ({SEED_TRUSTWORTHY})</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
