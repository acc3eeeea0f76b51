import { toCsv } from '../../core/study/csv';
import { trustReportJson, type TrustReport } from '../../core/trust/report';
import { cellText } from '../../core/trust/verdict';
import { seedCell, SEED_SOURCE, SEED_TRUSTWORTHY } from './seedReference';

/**
 * Exports of the trust report: metrics JSON (the report itself, every parameter included), a flat
 * CSV (one row per method x criterion, then one row per case value), and a self-contained HTML
 * report (inline CSS, tables, plots as inline SVG; no script, no external asset). The table and CSV
 * parts are pure; the plots' SVG strings are made by the caller (they need a DOM).
 */

export function trustJson(r: TrustReport): string {
  return trustReportJson(r);
}

/** One row per method x criterion x unit (its state, figure, n, p, reason), one per verdict, then one per unit case value and classifier case. */
export function trustCsv(r: TrustReport): string {
  const rows: unknown[][] = [];
  for (const m of r.methods) {
    for (const c of r.criteria) {
      const cell = r.cells[m.id][c.id];
      rows.push(['cell', m.id, c.id, cell.average, '', cell.state, cell.value ?? '', '', '', cell.n, '', cell.nNeeded ?? '', cell.reason ?? '']);
      for (const u of cell.units) {
        rows.push(['unit', m.id, c.id, u.models.join(' '), '', u.state, u.value ?? '', u.ci?.[0] ?? '', u.ci?.[1] ?? '', u.n, u.p ?? '', u.nNeeded ?? '', u.reason ?? '']);
        for (const pc of u.perCase) rows.push(['case', m.id, c.id, u.models.join(' '), pc.caseId, '', pc.value, '', '', 1, '', '', '']);
      }
    }
    const v = r.verdicts[m.id];
    rows.push(['verdict', m.id, 'trustworthy', '', '', v.state, '', '', '', '', '', '', v.reasons.join('; ')]);
  }
  for (const c of r.classifier) for (const p of c.perCase) rows.push(['case', '', 'classifier-probability', c.model, p.caseId, '', p.probability, '', '', 1, '', '', `label ${p.label}`]);
  for (const c of r.classifier) rows.push(['cell', '', 'classifier-auroc', c.model, '', c.auroc === null ? 'n/a' : '', c.auroc ?? '', '', '', c.n, '', '', c.reason ?? '']);
  return toCsv(['row', 'method', 'criterion', 'models', 'case', 'state', 'value', 'ci_lo', 'ci_hi', 'n', 'p', 'n_needed', 'reason'], rows);
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const verdict = (pass: boolean | null) => (pass === null ? '' : pass ? '<b class="pass">✓ pass</b>' : '<b class="fail">✗ fail</b>');

export function trustTableHtml(r: TrustReport): string {
  const head = r.criteria.map((c) => `<th scope="col">${escapeHtml(c.label)}</th>`).join('');
  const body = r.methods
    .map((m) => {
      const cells = r.criteria.map((c) => {
        const seed = seedCell(m.id, c.id as never);
        const s = seed ? `<div class="seed">seed: ${seed.pass === null ? escapeHtml(seed.text) : verdict(seed.pass)}</div>` : '';
        return `<td data-state="${escapeHtml(r.cells[m.id][c.id].state)}">${escapeHtml(cellText(r.cells[m.id][c.id]))}${s}</td>`;
      }).join('');
      return `<tr><th scope="row">${escapeHtml(m.label)}</th>${cells}<td>${escapeHtml(r.verdicts[m.id].state)}<div class="seed">seed: no</div></td></tr>`;
    })
    .join('\n');
  return `<table class="trust"><caption>Methods x criteria, every criterion per model or model pair; seed: ${escapeHtml(SEED_SOURCE)} (trustworthy: ${SEED_TRUSTWORTHY})</caption><thead><tr><th scope="col">Method</th>${head}<th scope="col">Trustworthy on all four</th></tr></thead><tbody>${body}</tbody></table>`;
}

export interface ReportSection {
  title: string;
  /** Inline SVG (or HTML) of the plot. */
  figure: string;
  /** The plot's numbers. */
  table: { head: string[]; rows: Array<Array<string | number>> };
}

export function simpleTableHtml(t: ReportSection['table']): string {
  const cell = (v: string | number) => escapeHtml(typeof v === 'number' ? (Number.isFinite(v) ? String(Math.round(v * 1e4) / 1e4) : 'n/a') : v);
  return `<table><thead><tr>${t.head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${t.rows.map((r) => `<tr>${r.map((v) => `<td>${cell(v)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#111;padding:0 16px}
table{border-collapse:collapse;margin:8px 0 18px;font-size:12px}th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}
caption{text-align:left;font-weight:600;margin-bottom:4px}.pass{color:#0b6b2f}.fail{color:#a11b1b}.ci,.np,.seed{color:#555;font-size:11px}
.seed{margin-top:2px}h2{margin-top:28px;border-bottom:1px solid #ddd}details{margin-bottom:10px}code{font-size:12px}svg{max-width:100%;height:auto}`;

/** The self-contained HTML report. */
export function reportHtml(r: TrustReport, sections: ReportSection[]): string {
  const cases = r.cases;
  const abn = cases.filter((c) => c.label === 1).length;
  const params = r.methods.map((m) => `<li><code>${escapeHtml(m.id)}</code>: <code>${escapeHtml(JSON.stringify(m.parameters))}</code></li>`).join('');
  const unavailable = '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Heatcheck trust report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head>
<body>
<h1>Heatcheck trust report</h1>
<p>Created ${escapeHtml(r.createdAt)}${r.complete ? '' : ' (<b>incomplete</b>: the evaluation was still running)'} · backend ${escapeHtml(r.backend ?? 'n/a')} · preset ${escapeHtml(r.preset)} · ${cases.length} cases (${abn} abnormal, ${cases.length - abn} normal) · models: ${r.models.map((m) => escapeHtml(m.id)).join(', ')} · settings <code>${escapeHtml(JSON.stringify(r.settings))}</code>.</p>
${unavailable}
<h2>Trust table</h2>
${trustTableHtml(r)}
${sections.map((s) => `<h2>${escapeHtml(s.title)}</h2>\n<figure>${s.figure}</figure>\n<details open><summary>Numbers</summary>${simpleTableHtml(s.table)}</details>`).join('\n')}
<h2>Parameters</h2>
<ul>${params}</ul>
<p>Maps: ${r.counts.mapsComputed} computed, ${r.counts.mapsCached} from the cache; map time ${r.timings.mapSeconds} s; wall ${r.timings.wallSeconds} s.</p>
</body></html>
`;
}
