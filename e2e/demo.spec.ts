import { test, expect, openApp } from './fixtures';

/** The app opens on the built-in demo study, generated in the worker from the phantom generator. */
test('opens on the demo study with its 40 cases, images and simulated readers', async ({ page, watch }) => {
  void watch;
  await openApp(page);
  // Generation runs in the worker at start (the header counts it); wait for the study record, written last.
  await expect.poll(() => page.evaluate(() => new Promise<boolean>((res) => {
    const r = indexedDB.open('heatcheck');
    r.onsuccess = () => {
      const db = r.result;
      const g = db.transaction('studies').objectStore('studies').get('demo');
      g.onsuccess = () => { db.close(); res(!!g.result); };
      g.onerror = () => { db.close(); res(false); };
    };
    r.onerror = () => res(false);
  })), { timeout: 120_000 }).toBe(true);
  await expect(page.getByTestId('study-name')).toHaveText('Demo study (synthetic phantoms)');

  const found = await page.evaluate(async () => {
    const db: IDBDatabase = await new Promise((res, rej) => {
      const r = indexedDB.open('heatcheck');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const get = <T,>(store: string, key: IDBValidKey) => new Promise<T>((res, rej) => {
      const r = db.transaction(store).objectStore(store).get(key);
      r.onsuccess = () => res(r.result as T);
      r.onerror = () => rej(r.error);
    });
    const all = <T,>(store: string) => new Promise<T[]>((res, rej) => {
      const r = db.transaction(store).objectStore(store).getAll();
      r.onsuccess = () => res(r.result as T[]);
      r.onerror = () => rej(r.error);
    });
    type Case = { id: string; studyId: string; imageHash: string; label: number; width: number; height: number };
    const study = await get<{ name: string; source: string }>('studies', 'demo');
    const cases = (await all<Case>('cases')).filter((c) => c.studyId === 'demo');
    const first = cases.find((c) => c.id === 'demo:case-0001')!;
    const img = await get<{ width: number; height: number; pixels: Uint8Array }>('images', first.imageHash);
    let min = 255, max = 0, sum = 0, sum2 = 0;
    for (const v of img.pixels) { min = Math.min(min, v); max = Math.max(max, v); sum += v; sum2 += v * v; }
    const n = img.pixels.length;
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', img.pixels as Uint8Array<ArrayBuffer>));
    const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
    const readers = await all<{ id: string; simulated?: boolean }>('readers');
    const anns = await all<{ readerId: string; caseId: string; status: string }>('annotations');
    db.close();
    return {
      study, count: cases.length, abnormal: cases.filter((c) => c.label === 1).length,
      first: { w: img.width, h: img.height, n, min, max, sd: Math.sqrt(sum2 / n - (sum / n) ** 2), hashOk: hex === first.imageHash, cw: first.width },
      simulated: readers.filter((r) => ['R1', 'R2', 'R3'].includes(r.id)).map((r) => r.simulated),
      reads: anns.filter((a) => a.caseId.startsWith('demo:')).length,
    };
  });
  expect(found.study).toMatchObject({ name: 'Demo study (synthetic phantoms)', source: 'demo' });
  expect(found.count).toBe(40);
  expect(found.abnormal).toBe(20);
  expect(found.first).toMatchObject({ w: 512, h: 512, n: 512 * 512, hashOk: true, cw: 512 });
  expect(found.first.max - found.first.min).toBeGreaterThan(150);
  expect(found.first.sd).toBeGreaterThan(20);
  expect(found.simulated).toEqual([true, true, true]);
  expect(found.reads).toBe(120);

  // A reload does not generate it again: same study, same cases.
  await page.reload();
  await expect(page.getByTestId('study-name')).toHaveText('Demo study (synthetic phantoms)', { timeout: 60_000 });
});
