import { toCsv } from '../../core/study/csv';
import type { TrustReport } from '../../worker/api/trustSession';
import { CRITERIA_LABELS, fmt, fmtCi, fmtP } from './format';
import { seedCell, SEED_SOURCE, SEED_TRUSTWORTHY } from './seedReference';

/**
 * Exports of the trust report: metrics JSON (the report itself, every parameter included), a flat
 * CSV (one row per method x criterion, then one row per case value), and a self-contained HTML
 * report (inline CSS, tables, plots as inline SVG; no script, no external asset). The table and CSV
 * parts are pure; the plots' SVG strings are made by the caller (they need a DOM).
 */

const CRITERIA = ['localization', 'randomization', 'repeatability', 'reproducibility'] as const;

export function trustJson(r: TrustReport): string {
  return JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2);
}

export function trustCsv(r: TrustReport): string {
  const rows: unknown[][] = [];
  for (const row of r.rows) {
    for (const c of CRITERIA) {
      const cell = row.cells[c];
      rows.push(['summary', row.method, c, cell.models.join(' '), '', cell.state, cell.value ?? '', cell.ci?.[0] ?? '', cell.ci?.[1] ?? '', cell.n, cell.p ?? '', cell.pass === null ? '' : cell.pass, cell.note ?? '']);
    }
    rows.push(['summary', row.method, 'trustworthy', '', '', row.trustworthy === null ? 'pending' : 'ok', '', '', '', '', '', row.trustworthy === null ? '' : row.trustworthy, '']);
  }
  const perCase = (criterion: string, model: string, method: string, per: Array<{ caseId: string; value: number }>) => {
    for (const p of per) rows.push(['case', method, criterion, model, p.caseId, 'ok', p.value, '', '', 1, '', '', '']);
  };
  for (const [model, byMethod] of Object.entries(r.localization)) for (const [method, res] of Object.entries(byMethod)) perCase('localization', model, method, res.perCase);
  for (const [method, res] of Object.entries(r.randomization)) perCase('randomization', String(res.params.model ?? ''), method, res.perCase);
  for (const [method, res] of Object.entries(r.repeatability)) perCase('repeatability', (r.config.repeatabilityPair ?? []).join(' '), method, res.perCase);
  for (const [method, res] of Object.entries(r.reproducibility)) perCase('reproducibility', (r.config.reproducibilityPair ?? []).join(' '), method, res.perCase);
  for (const c of r.classifier) for (const p of c.perCase) rows.push(['case', '', 'classifier-probability', c.model, p.caseId, 'ok', p.probability, '', '', 1, '', '', `label ${p.label}`]);
  for (const c of r.classifier) rows.push(['summary', '', 'classifier-auroc', c.model, '', c.auroc === null ? 'na' : 'ok', c.auroc ?? '', '', '', c.n, '', '', '']);
  return toCsv(['row', 'method', 'criterion', 'models', 'case', 'state', 'value', 'ci_lo', 'ci_hi', 'n', 'p', 'pass', 'note'], rows);
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const verdict = (pass: boolean | null) => (pass === null ? '' : pass ? '<b class="pass">✓ pass</b>' : '<b class="fail">✗ fail</b>');

export function trustTableHtml(r: TrustReport): string {
  const head = CRITERIA.map((c) => `<th scope="col">${CRITERIA_LABELS[c]}</th>`).join('');
  const body = r.rows
    .map((row) => {
      const cells = CRITERIA.map((c) => {
        const cell = row.cells[c];
        const seed = seedCell(row.method, c);
        const ours = cell.state === 'ok' ? `${verdict(cell.pass)} ${fmt(cell.value)} <span class="ci">${fmtCi(cell.ci)}</span> <span class="np">n ${cell.n}, p ${fmtP(cell.p)}</span>` : `<i>${escapeHtml(cell.note ?? '')}</i>`;
        const s = seed ? `<div class="seed">seed: ${seed.pass === null ? escapeHtml(seed.text) : verdict(seed.pass)}</div>` : '';
        return `<td>${ours}${s}</td>`;
      }).join('');
      const t = row.trustworthy === null ? '<i>not all known</i>' : row.trustworthy ? '<b class="pass">✓ yes</b>' : '<b class="fail">✗ no</b>';
      return `<tr><th scope="row">${escapeHtml(row.label)}</th>${cells}<td>${t}<div class="seed">seed: no</div></td></tr>`;
    })
    .join('\n');
  return `<table class="trust"><caption>Methods x criteria on ${escapeHtml(r.config.primaryModel)}; seed: ${escapeHtml(SEED_SOURCE)} (trustworthy: ${SEED_TRUSTWORTHY})</caption><thead><tr><th scope="col">Method</th>${head}<th scope="col">Trustworthy on all four</th></tr></thead><tbody>${body}</tbody></table>`;
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
  const cases = r.config.cases;
  const abn = cases.filter((c) => c.label === 1).length;
  const params = Object.entries(r.methodParams).map(([m, p]) => `<li><code>${escapeHtml(m)}</code>: <code>${escapeHtml(JSON.stringify(p))}</code></li>`).join('');
  const unavailable = r.unavailable.length ? `<p><b>Unavailable models:</b> ${r.unavailable.map((u) => `${escapeHtml(u.model)} (${escapeHtml(u.reason)})`).join('; ')}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Heatcheck trust report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head>
<body>
<h1>Heatcheck trust report</h1>
<p>Created ${escapeHtml(r.createdAt)}${r.complete ? '' : ' (<b>incomplete</b>: the evaluation was still running)'} · backend ${escapeHtml(r.backend ?? 'n/a')} · preset ${escapeHtml(r.config.preset)} · ${cases.length} cases (${abn} abnormal, ${cases.length - abn} normal) · cascade on ${r.config.randomizationCases} abnormal cases · models: ${r.config.models.map(escapeHtml).join(', ')} · primary ${escapeHtml(r.config.primaryModel)} · repeatability ${escapeHtml((r.config.repeatabilityPair ?? []).join(' vs ') || 'n/a')} · reproducibility ${escapeHtml((r.config.reproducibilityPair ?? []).join(' vs ') || 'n/a')} · quorum ${r.config.quorum} · case set ${escapeHtml(r.config.caseSet)}.</p>
${unavailable}
<h2>Trust table</h2>
${trustTableHtml(r)}
${sections.map((s) => `<h2>${escapeHtml(s.title)}</h2>\n<figure>${s.figure}</figure>\n<details open><summary>Numbers</summary>${simpleTableHtml(s.table)}</details>`).join('\n')}
<h2>Parameters</h2>
<ul>${params}</ul>
<p>Maps: ${r.timing.maps} (${r.timing.computed} computed, ${r.timing.cached} from the cache); compute ${Math.round(r.timing.computeMs)} ms; wall ${Math.round(r.timing.wallMs)} ms.</p>
</body></html>
`;
}
