import { toCsv } from '../study/csv';
import { encodeValue } from './jsonValue';
import type { ResultRec } from './types';

/**
 * Metrics export. JSON: {schema: 'heatcheck.metrics', version: 1, exportedAt, results: [{key, kind,
 * createdAt, value}]} with every stored parameter (the key names everything that made a result).
 * CSV: one row per result, columns key, kind, createdAt and every leaf of the value as a dotted
 * path (params.steps, ci.lo, ...); arrays of numbers longer than 16 (maps, curves) are left to the
 * JSON and noted as `[n values]`.
 */
export const METRICS_SCHEMA = 'heatcheck.metrics';

export function metricsJson(results: ResultRec[], opts: { kinds?: string[]; now?: Date } = {}) {
  const pick = results.filter((r) => !opts.kinds || opts.kinds.includes(r.kind)).sort((a, b) => a.kind.localeCompare(b.kind) || a.key.localeCompare(b.key));
  return {
    schema: METRICS_SCHEMA,
    version: 1,
    exportedAt: (opts.now ?? new Date()).toISOString(),
    results: pick.map((r) => ({ key: r.key, kind: r.kind, createdAt: r.createdAt, value: encodeValue(r.value) })),
  };
}

export function flatten(v: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (v === null || v === undefined || typeof v !== 'object') {
    out[prefix || 'value'] = v ?? '';
    return out;
  }
  if (ArrayBuffer.isView(v)) {
    out[prefix || 'value'] = `[${(v as unknown as ArrayLike<number>).length} values]`;
    return out;
  }
  if (Array.isArray(v)) {
    if (v.length > 16 && v.every((x) => typeof x === 'number')) out[prefix || 'value'] = `[${v.length} values]`;
    else if (v.every((x) => x === null || typeof x !== 'object')) out[prefix || 'value'] = v.join(' ');
    else v.forEach((x, i) => flatten(x, prefix ? `${prefix}.${i}` : String(i), out));
    return out;
  }
  for (const k of Object.keys(v as object).sort()) flatten((v as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k, out);
  return out;
}

export function metricsCsv(results: ResultRec[], opts: { kinds?: string[] } = {}): string {
  const pick = results.filter((r) => !opts.kinds || opts.kinds.includes(r.kind)).sort((a, b) => a.kind.localeCompare(b.kind) || a.key.localeCompare(b.key));
  const flat = pick.map((r) => flatten(r.value));
  const cols = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  return toCsv(['key', 'kind', 'createdAt', ...cols], pick.map((r, i) => [r.key, r.kind, new Date(r.createdAt).toISOString(), ...cols.map((c) => flat[i][c] ?? '')]));
}
