import type { Page } from '@playwright/test';

/**
 * Writes a small synthetic study straight into the app's IndexedDB (for the benchmark and as a
 * 2048 px case the demo does not have): `n` cases of `size` x `size` 8-bit images (a soft
 * gradient with a bright disc), readers R1-R3. The app must have opened its database first.
 */
export async function seedStudy(page: Page, opts: { n?: number; size?: number; studyId?: string } = {}): Promise<string[]> {
  return page.evaluate(async ({ n, size, studyId }) => {
    // wait until the app has created its database (opening it here first would create it empty)
    for (let i = 0; i < 600 && !(await indexedDB.databases()).some((d) => d.name === 'heatcheck' && (d.version ?? 0) > 0); i++) await new Promise((r) => setTimeout(r, 50));
    const db: IDBDatabase = await new Promise((res, rej) => {
      const r = indexedDB.open('heatcheck');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const ids: string[] = [];
    const tx = db.transaction(['studies', 'cases', 'images', 'readers', 'settings'], 'readwrite');
    tx.objectStore('studies').put({ id: studyId, name: `Synthetic ${size}px`, source: 'import', createdAt: Date.now() });
    tx.objectStore('settings').put({ key: 'currentStudy', value: studyId });
    for (const [i, id] of ['R1', 'R2', 'R3'].entries()) tx.objectStore('readers').put({ id, name: id, order: i });
    for (let k = 0; k < n; k++) {
      const px = new Uint8Array(size * size);
      const cx = size * (0.3 + 0.4 * ((k * 37) % 10) / 10), cy = size * (0.3 + 0.4 * ((k * 53) % 10) / 10), rad = size * 0.08;
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
        const d = Math.hypot(x - cx, y - cy);
        px[y * size + x] = Math.min(255, 40 + (80 * y) / size + (d < rad ? 110 * (1 - d / rad) + 40 : 0) + ((x * 7 + y * 13) % 9));
      }
      const hash = `${studyId}-img-${k}`;
      const id = `${studyId}-case-${String(k + 1).padStart(2, '0')}`;
      ids.push(id);
      tx.objectStore('images').put({ hash, width: size, height: size, pixels: px });
      tx.objectStore('cases').put({ id, studyId, imageHash: hash, name: `case ${k + 1}`, label: k % 2 === 0 ? 1 : 0, bodyPart: k % 3 === 0 ? 'wrist' : 'hand', width: size, height: size, order: k });
    }
    await new Promise<void>((res, rej) => { tx.oncomplete = () => res(); tx.onerror = () => rej(tx.error); });
    db.close();
    return ids;
  }, { n: opts.n ?? 12, size: opts.size ?? 512, studyId: opts.studyId ?? 'synthetic' });
}
