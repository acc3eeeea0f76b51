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

/**
 * Tokens of a file or folder name that look like a person's identifiers even without DICOM
 * metadata: a run of 6+ digits (record, accession and compact date numbers), a date written
 * with separators, or a token after MRN / PID / ACC / DOB / SSN / NHS.
 */
const IDENTIFIER_TOKENS = [
  /\d{6,}/,
  /(?:19|20)\d{2}[-_. ]?(?:0[1-9]|1[0-2])[-_. ]?(?:0[1-9]|[12]\d|3[01])/,
  /(?:0[1-9]|[12]\d|3[01])[-_. ](?:0[1-9]|1[0-2])[-_. ](?:19|20)\d{2}/,
  /(?:^|[^a-z])(?:mrn|pid|acc|dob|ssn|nhs)(?:[^a-z]|$)/i,
];

export const REMOVED = '[removed]';

/** True when a name component holds an identifier-like token or a known identifier value. */
function identifying(component: string, identifiers: Record<string, string>): boolean {
  return scrubText(component, identifiers) !== component || IDENTIFIER_TOKENS.some((re) => re.test(component));
}

/**
 * The redaction every exported name goes through (case names and ids, image sources, study names):
 * each path component that holds a DICOM identifier value of the case or an identifier-like token
 * is replaced as a whole by "[removed]" (the extension kept), plus `-<tag>` when a tag is given (the
 * first 8 hex digits of the image's content hash) so that redacted names stay distinct.
 * `MRN1234567_chest.dcm` -> `[removed]-1a2b3c4d.dcm`; `XR_WRIST/patient00001/image1.png` is kept.
 */
export function redactName(name: string, identifiers: Record<string, string> = {}, tag?: string): string {
  return name.split('/').map((part) => {
    if (!identifying(part, identifiers)) return part;
    const ext = /\.[A-Za-z0-9]{1,5}$/.exec(part)?.[0] ?? '';
    const extOk = ext && !identifying(ext, identifiers) ? ext : '';
    return `${REMOVED}${tag ? `-${tag}` : ''}${extOk}`;
  }).join('/');
}

interface RedactCase { id: string; studyId: string; name: string; imageHash: string; meta?: Record<string, unknown> }
interface RedactStudy { id: string; name: string }

/** One export's redaction: names, case ids and any text that repeats them. Identity when identifiers are included. */
export interface Redactor {
  caseName(c: RedactCase): string;
  caseId(c: RedactCase): string;
  studyName(s: RedactStudy | string): string;
  /** Free text (a source path, a setting, a result value): every case id, name, study name and identifier value replaced by its redacted form. */
  text(s: string): string;
  /**
   * Every string (values and keys) of a JSON-like value with case ids, names and study names
   * replaced by their redacted forms (typed arrays untouched: apply before encoding).
   */
  deep<T>(v: T): T;
}

export function makeRedactor(snap: { cases: RedactCase[]; studies?: RedactStudy[] }, includeIdentifiers: boolean): Redactor {
  if (includeIdentifiers) {
    return { caseName: (c) => c.name, caseId: (c) => c.id, studyName: (s) => (typeof s === 'string' ? s : s.name), text: (s) => s, deep: (v) => v };
  }
  const names = new Map<string, string>();
  const ids = new Map<string, string>();
  const pairs = new Map<string, string>();
  const idValues = new Set<string>();
  for (const c of snap.cases) {
    const ident = identifiersOf(c.meta);
    const name = redactName(c.name, ident, c.imageHash.slice(0, 8));
    const prefix = `${c.studyId}:`;
    const id = c.id.startsWith(prefix) ? prefix + redactName(c.id.slice(prefix.length), ident, c.imageHash.slice(0, 8)) : redactName(c.id, ident, c.imageHash.slice(0, 8));
    names.set(c.id, name);
    ids.set(c.id, id);
    if (id !== c.id) pairs.set(c.id, id);
    if (name !== c.name) pairs.set(c.name, name);
    for (const v of Object.values(ident)) {
      if (!v) continue;
      idValues.add(v);
      for (const p of v.split(/[\^=\\]/)) if (p.trim().length >= 3) idValues.add(p.trim());
    }
  }
  const studyName = (s: RedactStudy | string) => redactName(typeof s === 'string' ? s : s.name);
  for (const s of snap.studies ?? []) { const r = studyName(s); if (r !== s.name) pairs.set(s.name, r); }
  const ordered = [...pairs].filter(([k]) => k.length >= 3).sort((a, b) => b[0].length - a[0].length);
  const allIdent = Object.fromEntries([...idValues].map((v, i) => [`v${i}`, v]));
  const known = (s: string) => {
    let out = s;
    for (const [from, to] of ordered) if (out.includes(from)) out = out.split(from).join(to);
    return out;
  };
  const text = (s: string) => (idValues.size ? scrubText(known(s), allIdent) : known(s));
  const deep = <T,>(v: T): T => {
    if (typeof v === 'string') return known(v) as T;
    if (Array.isArray(v)) return v.map((x) => deep(x)) as T;
    if (v && typeof v === 'object' && !ArrayBuffer.isView(v) && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [known(k), deep(x)])) as T;
    }
    return v;
  };
  return {
    caseName: (c) => names.get(c.id) ?? redactName(c.name, identifiersOf(c.meta), c.imageHash.slice(0, 8)),
    caseId: (c) => ids.get(c.id) ?? c.id,
    studyName,
    text,
    deep,
  };
}
