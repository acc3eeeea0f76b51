/**
 * Privacy: DICOM patient and study identifiers are stored with a case (meta.identifiers) so the
 * user can see them, and never leave in an export unless asked for. Case names and image sources
 * (file paths) that contain one of the identifier values have it replaced by "[removed]".
 */
export const IDENTIFIERS_KEY = 'identifiers';

export function identifiersOf(meta: Record<string, unknown> | undefined): Record<string, string> {
  const v = meta?.[IDENTIFIERS_KEY];
  return v && typeof v === 'object' ? (v as Record<string, string>) : {};
}

export function stripIdentifiers(meta: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!meta || !(IDENTIFIERS_KEY in meta)) return meta;
  const { [IDENTIFIERS_KEY]: _gone, ...rest } = meta;
  return Object.keys(rest).length ? rest : undefined;
}

/** Removes identifier values (3+ characters; PN components too) from a free-text field such as a file path. */
export function scrubText(text: string, identifiers: Record<string, string>): string {
  const values = new Set<string>();
  for (const v of Object.values(identifiers)) {
    if (!v) continue;
    values.add(v);
    for (const part of v.split(/[\^=\\]/)) if (part.trim().length >= 3) values.add(part.trim());
  }
  let out = text;
  for (const v of [...values].sort((a, b) => b.length - a.length)) {
    if (v.length < 3) continue;
    out = out.split(v).join('[removed]');
    const lower = out.toLowerCase();
    const lv = v.toLowerCase();
    if (lower.includes(lv)) {
      let res = '', i = 0;
      for (let j = lower.indexOf(lv); j >= 0; j = lower.indexOf(lv, i)) { res += out.slice(i, j) + '[removed]'; i = j + v.length; }
      out = res + out.slice(i);
    }
  }
  return out;
}
