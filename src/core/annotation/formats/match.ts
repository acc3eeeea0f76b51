/**
 * Matching a reader file's image names to a study's cases by file name: the name's path without
 * its extension first (folders in both must agree), then its base name without extension. A name
 * that matches no case, or whose base name is shared by several cases, is listed as unmatched with
 * the reason, never dropped silently.
 */
import type { ImageRegions } from './types';

const stem = (p: string) => p.replace(/\\/g, '/').replace(/^.*:\/\/[^/]*\//, '').replace(/\?.*$/, '').replace(/\.[A-Za-z0-9]{1,5}$/, '');
export const baseStem = (p: string) => {
  const s = stem(p);
  return s.slice(s.lastIndexOf('/') + 1);
};

export interface MatchCase { id: string; name: string }
export interface MatchResult {
  matched: Array<{ caseId: string; image: ImageRegions }>;
  unmatched: Array<{ file: string; reason: string }>;
}

export function matchImagesToCases(images: readonly ImageRegions[], cases: readonly MatchCase[]): MatchResult {
  const byStem = new Map<string, string[]>();
  const byBase = new Map<string, string[]>();
  for (const c of cases) {
    for (const [m, k] of [[byStem, stem(c.name)], [byBase, baseStem(c.name)]] as const) {
      const l = m.get(k) ?? [];
      if (!l.includes(c.id)) l.push(c.id);
      m.set(k, l);
    }
  }
  const out: MatchResult = { matched: [], unmatched: [] };
  const taken = new Map<string, string>();
  for (const img of images) {
    const s = stem(img.file);
    let ids = byStem.get(s);
    if (!ids || ids.length !== 1) ids = byBase.get(baseStem(img.file));
    if (!ids?.length) {
      out.unmatched.push({ file: img.file, reason: `no case named ${baseStem(img.file)}` });
      continue;
    }
    if (ids.length > 1) {
      out.unmatched.push({ file: img.file, reason: `${ids.length} cases are named ${baseStem(img.file)}; give the file its folder path` });
      continue;
    }
    const earlier = taken.get(ids[0]);
    if (earlier !== undefined) {
      out.unmatched.push({ file: img.file, reason: `the same case as ${earlier}` });
      continue;
    }
    taken.set(ids[0], img.file);
    out.matched.push({ caseId: ids[0], image: img });
  }
  return out;
}
