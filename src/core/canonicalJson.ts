/**
 * JSON with object keys sorted at every level and undefined members left out, so equal values give
 * equal text whatever their key order: cache keys (storage/results.ts), the scheduler's job keys and
 * a published report's content id (sync/modelResults.ts) all hash or compare this form.
 * Non-finite numbers become strings ("Infinity", "NaN"), as the report's JSON export writes them.
 */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) return JSON.stringify(String(v));
    return JSON.stringify(v) ?? 'null';
  }
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}
