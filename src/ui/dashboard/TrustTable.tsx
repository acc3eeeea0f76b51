import { useState } from 'react';
import type { CellState, TrustCell, TrustReport, TrustUnit } from '../../core/trust/report';
import { fmt, fmtCi, fmtP } from './format';
import { seedCell, SEED_SOURCE, SEED_TRUSTWORTHY } from './seedReference';

/** Pass/fail by icon and word, never by colour alone. */
export function Verdict({ pass }: { pass: boolean | null }) {
  if (pass === null) return null;
  return <span className={`verdict ${pass ? 'pass' : 'fail'}`}><span aria-hidden="true">{pass ? '✓' : '✗'}</span> {pass ? 'pass' : 'fail'}</span>;
}

const ICON: Record<CellState, string> = { pass: '✓', fail: '✗', inconclusive: '?', 'n/a': '–', pending: '…' };

/** A state by icon and word: pass, fail, inconclusive (too few cases), n/a (with its reason), pending. */
export function StateBadge({ state }: { state: CellState }) {
  return <span className={`verdict state-${state.replace('/', '')}`} data-state={state}><span aria-hidden="true">{ICON[state]}</span> {state}</span>;
}

function Cell({ c }: { c: TrustCell }) {
  return (
    <span className="cell-ok">
      <StateBadge state={c.state} />
      {c.value !== null && <span className="cell-value" title={c.average}>{fmt(c.value)}</span>}
      {c.units.length > 1 && c.value !== null && <span className="cell-np">{c.average}</span>}
      {c.units.length === 1 && c.units[0].ci && <span className="cell-ci">{fmtCi(c.units[0].ci)}</span>}
      {c.value !== null && <span className="cell-np">n {c.n}{c.units.length === 1 ? ` · p ${fmtP(c.units[0].p)}` : ''}</span>}
      {c.state === 'inconclusive' && c.nNeeded ? <span className="cell-note inconclusive">needs about {c.nNeeded} cases</span> : null}
      {(c.state === 'n/a' || c.state === 'pending') && c.reason ? <span className={`cell-note ${c.state === 'n/a' ? 'na' : 'pending'}`}>{c.reason}</span> : null}
      {c.warnings.length > 0 && <span className="cell-note warning" title={c.warnings.join('\n')}>⚠ {c.warnings.length} map warning{c.warnings.length > 1 ? 's' : ''}</span>}
    </span>
  );
}

function UnitCases({ u, name, onOpenCase }: { u: TrustUnit; name: (id: string) => string; onOpenCase?: (caseId: string) => void }) {
  return (
    <li data-testid="unit">
      <b>{u.models.join(' vs ')}</b> <StateBadge state={u.state} /> {u.value !== null && <>{fmt(u.value)} {fmtCi(u.ci)} · n {u.n} · p {fmtP(u.p)}</>} {u.reason && <span className="muted small">{u.reason}</span>}
      <ul>
        {u.perCase.map((pc) => (
          <li key={pc.caseId}>
            {name(pc.caseId)}: {fmt(pc.value)}{' '}
            {onOpenCase && <button type="button" className="link" onClick={() => onOpenCase(pc.caseId)} data-testid={`open-case-${pc.caseId}`}>Open in Compare</button>}
          </li>
        ))}
        {u.skipped.map((s) => <li key={s.caseId} className="muted small">{name(s.caseId)}: left out ({s.reason})</li>)}
      </ul>
    </li>
  );
}

const VERDICT_TEXT = { trustworthy: 'yes', 'not trustworthy': 'no', undetermined: 'undetermined', pending: 'not all known' } as const;

/** The seed's table: methods x criteria (from the report's registry), the verdict, and the seed's result beside each cell. Clicking a cell lists its cases per unit. */
export function TrustTable({ report, onOpenMethod, onOpenCase }: { report: TrustReport; onOpenMethod?: (method: string) => void; onOpenCase?: (caseId: string) => void }) {
  const [open, setOpen] = useState<{ method: string; criterion: string } | null>(null);
  const names = new Map(report.cases.map((c) => [c.id, c.name]));
  const name = (id: string) => names.get(id) ?? id;
  const openCell = open ? report.cells[open.method]?.[open.criterion] : null;
  return (
    <>
      <table className="trust-table" data-testid="trust-table">
        <caption>
          Trust criteria per method ({report.preset === 'quick' ? 'quick preview' : 'paper defaults'} preset; every criterion per model or model pair, the cell summarising its units: it passes only when every unit passes; click a cell for its cases). Seed: {SEED_SOURCE}.
        </caption>
        <thead>
          <tr>
            <th scope="col">Method</th>
            {report.criteria.map((c) => <th key={c.id} scope="col">{c.label} <span className="muted small">(per {c.unit === 'model' ? 'model' : 'model pair'})</span></th>)}
            <th scope="col">Trustworthy on all four</th>
          </tr>
        </thead>
        <tbody>
          {report.methods.map((m) => {
            const v = report.verdicts[m.id];
            return (
              <tr key={m.id} data-method={m.id}>
                <th scope="row">
                  {onOpenMethod ? <button type="button" className="link" onClick={() => onOpenMethod(m.id)} title="Open the worst case of this method in Compare">{m.label}</button> : m.label}
                </th>
                {report.criteria.map((c) => {
                  const cell = report.cells[m.id][c.id];
                  const seed = seedCell(m.id, c.id as never);
                  return (
                    <td key={c.id} data-criterion={c.id} data-state={cell.state} data-testid={`cell-${m.id}-${c.id}`} onClick={() => setOpen({ method: m.id, criterion: c.id })} className="clickable">
                      <Cell c={cell} />
                      {cell.units.length > 0 && <button type="button" className="link small" aria-label={`Cases of ${m.label}, ${c.label}`} onClick={(e) => { e.stopPropagation(); setOpen({ method: m.id, criterion: c.id }); }}>cases</button>}
                      {seed && <span className="seed-ref">seed: {seed.pass === null ? seed.text : <Verdict pass={seed.pass} />}</span>}
                    </td>
                  );
                })}
                <td data-testid={`verdict-${m.id}`} data-verdict={v.state} title={v.reasons.join('\n')}>
                  {v.state === 'pending' ? <span className="cell-note pending">not all known</span> : <span className={`verdict ${v.state === 'trustworthy' ? 'pass' : v.state === 'not trustworthy' ? 'fail' : 'state-inconclusive'}`}><span aria-hidden="true">{v.state === 'trustworthy' ? '✓' : v.state === 'not trustworthy' ? '✗' : '?'}</span> {VERDICT_TEXT[v.state]}</span>}
                  <span className="seed-ref">seed: no ({SEED_TRUSTWORTHY})</span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {open && openCell && (
        <section className="cell-cases" data-testid="cell-cases" aria-label="Cases of the cell">
          <h3>{report.methods.find((m) => m.id === open.method)?.label} · {report.criteria.find((c) => c.id === open.criterion)?.label}: <StateBadge state={openCell.state} /> {openCell.reason && <span className="muted small">{openCell.reason}</span>} <button type="button" className="link" onClick={() => setOpen(null)}>Close</button></h3>
          <p className="muted small">Per case: {report.criteria.find((c) => c.id === open.criterion)?.perCase}.</p>
          <ul>{openCell.units.map((u) => <UnitCases key={u.models.join('|')} u={u} name={name} onOpenCase={onOpenCase} />)}</ul>
        </section>
      )}
    </>
  );
}
