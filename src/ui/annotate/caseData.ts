import { openDatabase, type CaseRecord, type ImageRecord, type StudyRecord } from '../../state/db';

/**
 * Reads the study to annotate straight from IndexedDB: the study named by the `currentStudy`
 * setting, else the most recent one. (The study store owns loading and importing; this page only reads.)
 */
export async function loadStudyCases(): Promise<{ study: StudyRecord | null; cases: CaseRecord[] }> {
  const db = await openDatabase();
  const studies = await db.getAll('studies');
  if (!studies.length) return { study: null, cases: [] };
  const pref = (await db.get('settings', 'currentStudy'))?.value;
  const study = studies.find((s) => s.id === pref) ?? [...studies].sort((a, b) => b.createdAt - a.createdAt)[0];
  const cases = await db.getAllFromIndex('cases', 'byStudy', study.id);
  cases.sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
  return { study, cases };
}

const cache = new Map<string, Promise<ImageRecord | undefined>>();
/** An image by content hash; the last few are kept so next/previous are instant. */
export function loadImage(hash: string): Promise<ImageRecord | undefined> {
  let p = cache.get(hash);
  if (!p) {
    p = openDatabase().then((db) => db.get('images', hash));
    p.catch(() => cache.delete(hash));
    cache.set(hash, p);
    while (cache.size > 6) cache.delete(cache.keys().next().value!);
  }
  return p;
}
