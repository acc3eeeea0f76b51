/**
 * The study's case list in the study database (`heatcheck-study`), published by the coordinator
 * and checked by every workstation against the images it imported itself (images are never
 * uploaded: each workstation imports the same study folder).
 *
 * One document per case, `_id` `case:<case name>`: the case name is the image's path inside the
 * imported study folder (the case's key in a study; the study's own id differs from one
 * workstation to the next, the names do not). It carries the image's content hash (sha256 of the
 * decoded pixels, as the importer computes it), its size and the non-pixel metadata a reader may
 * see (body part, file format, modality). No pixels, no DICOM identifiers, and no labels or
 * findings: every login reads the study database, and a case's label (normal or abnormal) and its
 * abnormality are the study's answers, hidden from blinded readers. Beside them one manifest
 * document (`CASES_DOC_ID`) says how many cases the list has, from which study, when and by whom.
 */
export const CASE_DOC_PREFIX = 'case:';
export const caseDocId = (name: string) => `${CASE_DOC_PREFIX}${name}`;

/** One published case (the document's body without `_id`/`_rev`). */
export interface PublishedCase {
  type: 'case';
  name: string;
  imageHash: string;
  width: number;
  height: number;
  order: number;
  bodyPart?: string;
  /** File format the image was decoded from (png, jpeg, dicom). */
  format?: string;
  /** DICOM Modality, when the file had one. */
  modality?: string;
}

export interface CaseListManifest {
  type: 'case-list';
  /** The coordinator's study name (shown to readers; matching is by case name and hash). */
  study: string;
  count: number;
  publishedAt: number;
  publishedBy: string;
}

/** What a workstation has of a case: its name in the study and its image's content hash. */
export interface LocalCase { name: string; imageHash: string }

/** A stored case as the app keeps it (src/storage/db.ts CaseRecord): the fields published are read from it. */
export type CaseRecordLike = Pick<PublishedCase, 'name' | 'imageHash' | 'width' | 'height' | 'order' | 'bodyPart'> & { meta?: Record<string, unknown> };

/** The published form of a stored case: its key, hash, size and metadata that is not pixels, identifiers or labels. */
export function publishedCase(c: CaseRecordLike): PublishedCase {
  const p: PublishedCase = { type: 'case', name: c.name, imageHash: c.imageHash, width: c.width, height: c.height, order: c.order };
  if (c.bodyPart) p.bodyPart = c.bodyPart;
  const source = c.meta?.source as Record<string, unknown> | undefined;
  if (typeof source?.format === 'string') p.format = source.format;
  if (typeof source?.modality === 'string') p.modality = source.modality;
  return p;
}

export interface CaseListCheck {
  /** Cases in the published list, and here. */
  published: number;
  local: number;
  /** Same name, same image. */
  matching: number;
  /** Same name, another image: boxes drawn on one would be compared with boxes drawn on the other. */
  mismatched: Array<{ name: string; publishedHash: string; localHash: string }>;
  /** Published, not here; `hereAs`: the same image is here under another name. */
  missing: Array<{ name: string; imageHash: string; hereAs?: string }>;
  /** Here, not published; `publishedAs`: the same image is published under another name. */
  extra: Array<{ name: string; imageHash: string; publishedAs?: string }>;
  /** The manifest's count differs from the case documents here (the list is still arriving, or was cut). */
  incomplete: boolean;
  ok: boolean;
}

/** Compares the published case list with this workstation's cases, by case name, then image hash. */
export function checkCaseList(published: PublishedCase[], local: LocalCase[], manifest: CaseListManifest | null = null): CaseListCheck {
  const pub = new Map(published.map((c) => [c.name, c]));
  const here = new Map(local.map((c) => [c.name, c]));
  const pubByHash = new Map<string, string>();
  for (const c of published) if (!pubByHash.has(c.imageHash)) pubByHash.set(c.imageHash, c.name);
  const hereByHash = new Map<string, string>();
  for (const c of local) if (!hereByHash.has(c.imageHash)) hereByHash.set(c.imageHash, c.name);
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const r: CaseListCheck = { published: pub.size, local: here.size, matching: 0, mismatched: [], missing: [], extra: [], incomplete: manifest !== null && manifest.count !== pub.size, ok: false };
  for (const p of pub.values()) {
    const h = here.get(p.name);
    if (!h) {
      const other = hereByHash.get(p.imageHash);
      r.missing.push(other !== undefined && !pub.has(other) ? { name: p.name, imageHash: p.imageHash, hereAs: other } : { name: p.name, imageHash: p.imageHash });
    } else if (h.imageHash !== p.imageHash) r.mismatched.push({ name: p.name, publishedHash: p.imageHash, localHash: h.imageHash });
    else r.matching++;
  }
  for (const h of here.values()) {
    if (pub.has(h.name)) continue;
    const other = pubByHash.get(h.imageHash);
    r.extra.push(other !== undefined && !here.has(other) ? { name: h.name, imageHash: h.imageHash, publishedAs: other } : { name: h.name, imageHash: h.imageHash });
  }
  r.mismatched.sort(byName); r.missing.sort(byName); r.extra.sort(byName);
  r.ok = !r.mismatched.length && !r.missing.length && !r.extra.length && !r.incomplete && r.published > 0;
  return r;
}

/** One line per problem, each naming the file (and both hashes where they differ). */
export function caseListMessages(c: CaseListCheck, manifest: CaseListManifest | null = null): string[] {
  const out: string[] = [];
  const from = manifest ? ` (published by ${manifest.publishedBy} from study "${manifest.study}")` : '';
  if (c.published === 0) return ['No case list has been published to the study database yet; the coordinator publishes it from the Data page.'];
  if (c.incomplete && manifest) out.push(`The case list${from} has ${manifest.count} cases and ${c.published} have arrived here so far; the check is partial until the rest arrive.`);
  for (const m of c.mismatched) out.push(`${m.name}: a different image here. Image hash in the study's case list ${m.publishedHash}, of the file imported here ${m.localHash}. Boxes on this case would not be comparable; import the study folder the coordinator published.`);
  for (const m of c.missing) out.push(m.hereAs ? `${m.name}: in the study's case list, not here under that name; the same image (hash ${m.imageHash.slice(0, 16)}…) is here as ${m.hereAs}.` : `${m.name}: in the study's case list${from}, not imported here (image hash ${m.imageHash.slice(0, 16)}…).`);
  for (const m of c.extra) out.push(m.publishedAs ? `${m.name}: imported here, not in the study's case list under that name; the same image (hash ${m.imageHash.slice(0, 16)}…) is published as ${m.publishedAs}.` : `${m.name}: imported here, not in the study's case list (image hash ${m.imageHash.slice(0, 16)}…).`);
  return out;
}

/** The check in one line, for the sync panel's heading. */
export function caseListSummary(c: CaseListCheck): string {
  if (c.published === 0) return 'No case list published yet.';
  if (c.ok) return `Case list matches: all ${c.matching} published cases are here with the same images.`;
  const parts: string[] = [];
  if (c.mismatched.length) parts.push(`${c.mismatched.length} with a different image`);
  if (c.missing.length) parts.push(`${c.missing.length} missing here`);
  if (c.extra.length) parts.push(`${c.extra.length} here but not published`);
  if (c.incomplete) parts.push('list still arriving');
  return `Case list differs: ${c.matching} of ${c.published} published cases match; ${parts.join(', ')}.`;
}
