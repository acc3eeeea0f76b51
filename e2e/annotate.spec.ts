import { test, expect, openApp } from './fixtures';
import type { Page } from '@playwright/test';

/**
 * The annotation workspace in real Chromium with real IndexedDB. Coordinates are checked against
 * the snapping contract (a pointer lands on the nearest image pixel edge; a drag of d screen pixels
 * moves an edge by round(d / scale) image pixels), computed here from the viewer's own transform.
 */
type V = { s: number; x: number; y: number };
type B = { id: string; x0: number; y0: number; x1: number; y1: number };

interface DemoCase { id: string; label: 0 | 1 | null; boxes: Record<string, B[]> }
/** The demo's new reader: the app opens on it (the simulated R1-R3 keep their own work). */
const ME = 'you';

/** Opens the app on the demo study (generated on first start) and lists its cases with the simulated readers' boxes. */
async function setup(page: Page): Promise<DemoCase[]> {
  await page.setViewportSize({ width: 1400, height: 860 });
  await openApp(page, { hash: 'annotate' });
  await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-case', /^demo:/, { timeout: 170_000 });
  await expect(page.getByTestId('progress')).toContainText('/ 40 done');
  await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-reader', ME);
  return page.evaluate(async () => {
    const db: IDBDatabase = await new Promise((res, rej) => { const q = indexedDB.open('heatcheck'); q.onsuccess = () => res(q.result); q.onerror = () => rej(q.error); });
    const all = <T,>(store: string) => new Promise<T[]>((res, rej) => { const q = db.transaction(store).objectStore(store).getAll(); q.onsuccess = () => res(q.result as T[]); q.onerror = () => rej(q.error); });
    const cases = (await all<{ id: string; studyId: string; label: 0 | 1 | null; order: number }>('cases')).filter((c) => c.studyId === 'demo').sort((a, b) => a.order - b.order);
    const anns = await all<{ readerId: string; caseId: string; boxes: B[] }>('annotations');
    db.close();
    return cases.map((c) => ({ id: c.id, label: c.label, boxes: Object.fromEntries(anns.filter((a) => a.caseId === c.id).map((a) => [a.readerId, a.boxes])) }));
  });
}
/** A demo case where no simulated reader drew a box (a normal case). */
const clean = (cases: DemoCase[]) => cases.filter((c) => Object.values(c.boxes).every((b) => b.length === 0));
async function openCase(page: Page, id: string) {
  await page.locator(`li[data-case="${id}"] button`).click();
  await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-case', id);
  await page.mouse.move(0, 0);
}
async function view(page: Page): Promise<V> {
  const [s, x, y] = (await page.getByTestId('viewer').getAttribute('data-view'))!.split(',').map(Number);
  return { s, x, y };
}
async function origin(page: Page) {
  const bb = (await page.getByTestId('viewer').boundingBox())!;
  return { x: bb.x, y: bb.y };
}
/** Screen point (integer page pixels) of an image point. */
const scr = (v: V, o: { x: number; y: number }, ix: number, iy: number) => ({ x: Math.round(o.x + v.x + ix * v.s), y: Math.round(o.y + v.y + iy * v.s) });
/** The image pixel edge a page point snaps to. */
const snap = (v: V, o: { x: number; y: number }, p: { x: number; y: number }) => ({ x: Math.round((p.x - o.x - v.x) / v.s), y: Math.round((p.y - o.y - v.y) / v.s) });

async function drag(page: Page, a: { x: number; y: number }, b: { x: number; y: number }) {
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 3 });
  await page.mouse.move(b.x, b.y, { steps: 3 });
  await page.mouse.up();
}
async function saved(page: Page) {
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
}
async function stored(page: Page, reader: string, caseId: string): Promise<{ boxes: B[]; status: string; rev: number } | undefined> {
  return page.evaluate(async ([r, c]) => {
    const db: IDBDatabase = await new Promise((res, rej) => { const q = indexedDB.open('heatcheck'); q.onsuccess = () => res(q.result); q.onerror = () => rej(q.error); });
    const rec = await new Promise<unknown>((res, rej) => { const q = db.transaction('annotations').objectStore('annotations').get([r, c]); q.onsuccess = () => res(q.result); q.onerror = () => rej(q.error); });
    db.close();
    return rec as { boxes: B[]; status: string; rev: number } | undefined;
  }, [reader, caseId]);
}
const coords = (b: B) => [b.x0, b.y0, b.x1, b.y1];

test('@annotate draw, move, resize (also zoomed in), nudge, delete, undo and redo store exact image coordinates', async ({ page }) => {
  const c1 = clean(await setup(page))[0].id;
  await openCase(page, c1);
  const o = await origin(page);
  let v = await view(page);
  expect(v.s).toBeGreaterThan(1); // 512 px image fitted into a larger viewer

  // draw
  const a = scr(v, o, 100, 100), b = scr(v, o, 200, 160);
  await drag(page, a, b);
  const p = snap(v, o, a), q = snap(v, o, b);
  let box = [p.x, p.y, q.x, q.y];
  await saved(page);
  let rec = await stored(page, ME, c1);
  expect(rec!.boxes.map(coords)).toEqual([box]);
  await expect(page.getByTestId('selected-size')).toContainText(`${box[2] - box[0]} × ${box[3] - box[1]} px`);

  // move: 30 x 20 screen px
  const inside = scr(v, o, 150, 130);
  await drag(page, inside, { x: inside.x + 30, y: inside.y + 20 });
  const dx = Math.round(30 / v.s), dy = Math.round(20 / v.s);
  box = [box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy];
  await saved(page);
  expect((await stored(page, ME, c1))!.boxes.map(coords)).toEqual([box]);

  // zoom in three steps and resize the east edge: only x1 moves, by round(37 / scale)
  for (let i = 0; i < 3; i++) await page.keyboard.press('+');
  v = await view(page);
  expect(v.s).toBeGreaterThan(2.5);
  // space + drag pans the box's centre to the middle of the viewer (the boxes do not move)
  const bb = (await page.getByTestId('viewer').boundingBox())!;
  const centre = scr(v, o, (box[0] + box[2]) / 2, (box[1] + box[3]) / 2);
  const mid = { x: Math.round(bb.x + bb.width / 2), y: Math.round(bb.y + bb.height / 2) };
  await page.keyboard.down('Space');
  await drag(page, { x: mid.x, y: mid.y }, { x: mid.x + (mid.x - centre.x), y: mid.y + (mid.y - centre.y) });
  await page.keyboard.up('Space');
  const panned = await view(page);
  expect(panned.s).toBe(v.s);
  expect(panned.x - v.x).toBeCloseTo(mid.x - centre.x, 6);
  expect(panned.y - v.y).toBeCloseTo(mid.y - centre.y, 6);
  v = panned;
  const east = scr(v, o, box[2], (box[1] + box[3]) / 2);
  await drag(page, east, { x: east.x + 37, y: east.y + 5 });
  box = [box[0], box[1], box[2] + Math.round(37 / v.s), box[3]];
  await saved(page);
  expect((await stored(page, ME, c1))!.boxes.map(coords)).toEqual([box]);
  // north-west corner: x0 and y0 only
  const nw = scr(v, o, box[0], box[1]);
  await drag(page, nw, { x: nw.x - 23, y: nw.y - 11 });
  box = [box[0] + Math.round(-23 / v.s), box[1] + Math.round(-11 / v.s), box[2], box[3]];
  await saved(page);
  expect((await stored(page, ME, c1))!.boxes.map(coords)).toEqual([box]);
  await page.screenshot({ path: '/tmp/annotate-zoomed-resize.png' });

  // nudge: 1 px right, 10 px down
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Shift+ArrowDown');
  const nudged = [box[0] + 1, box[1] + 10, box[2] + 1, box[3] + 10];
  await saved(page);
  expect((await stored(page, ME, c1))!.boxes.map(coords)).toEqual([nudged]);

  // undo twice, redo with Ctrl+Y and Ctrl+Shift+Z
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+z');
  await saved(page);
  expect((await stored(page, ME, c1))!.boxes.map(coords)).toEqual([box]);
  await page.keyboard.press('Control+y');
  await page.keyboard.press('Control+Shift+z');
  await saved(page);
  expect((await stored(page, ME, c1))!.boxes.map(coords)).toEqual([nudged]);

  // Esc abandons a box being drawn
  const e0 = scr(v, o, 20, 20);
  await page.mouse.move(e0.x, e0.y);
  await page.mouse.down();
  await page.mouse.move(e0.x + 60, e0.y + 60, { steps: 4 });
  await page.keyboard.press('Escape');
  await page.mouse.up();
  await saved(page);
  expect((await stored(page, ME, c1))!.boxes.map(coords)).toEqual([nudged]);

  // delete (Delete and Backspace), undo brings it back
  await page.getByTestId('box-list').locator('button').first().click();
  await page.keyboard.press('Delete');
  await saved(page);
  expect((await stored(page, ME, c1))!.boxes).toEqual([]);
  await page.keyboard.press('Control+z');
  await saved(page);
  rec = await stored(page, ME, c1);
  expect(rec!.boxes.map(coords)).toEqual([nudged]);
  await page.getByTestId('box-list').locator('button').first().click();
  await page.keyboard.press('Backspace');
  await saved(page);
  expect((await stored(page, ME, c1))!.boxes).toEqual([]);
});

test('@annotate switching reader keeps blinding; the consensus contour appears once two readers agree', async ({ page }) => {
  const cases = await setup(page);
  // a demo case the simulated readers marked: each reader sees only their own boxes
  const marked = cases.find((c) => c.boxes.R1?.length && c.boxes.R2?.length)!;
  await page.getByTestId('reader-select').selectOption('R1');
  await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-reader', 'R1');
  await openCase(page, marked.id);
  const listed = () => page.getByTestId('box-list').locator('button').evaluateAll((els) => els.map((e) => e.getAttribute('data-coords')));
  expect(await listed()).toEqual(marked.boxes.R1.map((b) => coords(b).join(',')));
  await page.getByTestId('reader-select').selectOption('R2');
  await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-reader', 'R2');
  expect(await listed()).toEqual(marked.boxes.R2.map((b) => coords(b).join(',')));
  await expect(page.getByTestId('agreement')).toHaveCount(0);
  await expect(page.getByTestId('viewer')).toHaveAttribute('data-consensus-segments', '0');
  await page.screenshot({ path: '/tmp/annotate-demo-blinded-r2.png' });
  await page.getByTestId('mode-coordinator').click();
  await expect(page.getByTestId('viewer')).not.toHaveAttribute('data-consensus-segments', '0');
  await expect(page.getByTestId('fleiss')).not.toHaveText('–');
  await page.screenshot({ path: '/tmp/annotate-demo-coordinator.png' });
  await page.getByTestId('mode-blinded').click();

  // a clean case: R1 draws, one reader is no consensus; R2 draws overlapping: the intersection (4 sides)
  const c1 = clean(cases)[1].id;
  await page.getByTestId('reader-select').selectOption('R1');
  await openCase(page, c1);
  const o = await origin(page);
  const v = await view(page);
  await drag(page, scr(v, o, 100, 100), scr(v, o, 220, 200));
  await saved(page);
  await page.getByTestId('mode-coordinator').click();
  await expect(page.getByTestId('viewer')).toHaveAttribute('data-consensus-segments', '0');
  await page.getByTestId('mode-blinded').click();

  await page.getByTestId('reader-select').selectOption('R2');
  await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-reader', 'R2');
  await expect(page.getByTestId('box-list').locator('button')).toHaveCount(0); // R1's box stays hidden
  await page.screenshot({ path: '/tmp/annotate-blinded-r2.png' });
  await drag(page, scr(v, o, 150, 140), scr(v, o, 260, 240));
  await saved(page);
  expect((await stored(page, 'R2', c1))!.boxes).toHaveLength(1);
  expect((await stored(page, 'R1', c1))!.boxes).toHaveLength(1);
  await page.getByTestId('mode-coordinator').click();
  await expect(page.getByTestId('viewer')).toHaveAttribute('data-consensus-segments', '4');
  // hand-worked: 120x100 and 110x100 boxes overlapping in 70x60 -> IoU 4200 / 18800
  const r1 = (await stored(page, 'R1', c1))!.boxes[0], r2 = (await stored(page, 'R2', c1))!.boxes[0];
  const inter = Math.max(0, Math.min(r1.x1, r2.x1) - Math.max(r1.x0, r2.x0)) * Math.max(0, Math.min(r1.y1, r2.y1) - Math.max(r1.y0, r2.y0));
  const area = (b: B) => (b.x1 - b.x0) * (b.y1 - b.y0);
  await expect(page.getByTestId('agreement')).toContainText((inter / (area(r1) + area(r2) - inter)).toFixed(3));
  await page.screenshot({ path: '/tmp/annotate-coordinator-consensus.png' });
  // the contour toggles off and on
  await page.keyboard.press('c');
  await expect(page.getByTestId('viewer')).toHaveAttribute('data-consensus-segments', '0');
  await page.keyboard.press('c');
  await expect(page.getByTestId('viewer')).toHaveAttribute('data-consensus-segments', '4');

  // back to blinded: R2 still sees only their own box, and R1 only theirs
  await page.getByTestId('mode-blinded').click();
  await expect(page.getByTestId('viewer')).toHaveAttribute('data-consensus-segments', '0');
  await expect(page.getByTestId('box-list').locator('button')).toHaveCount(1);
  await page.getByTestId('reader-select').selectOption('R1');
  await expect(page.getByTestId('box-list').locator('button')).toHaveCount(1);
});

test('@annotate a reload restores every box exactly; a second tab sees the edits and its own are seen here', async ({ page, context }) => {
  const c1 = clean(await setup(page))[2].id;
  await openCase(page, c1);
  const o = await origin(page);
  const v = await view(page);
  await drag(page, scr(v, o, 40, 40), scr(v, o, 90, 120));
  await drag(page, scr(v, o, 300, 300), scr(v, o, 400, 350));
  await saved(page);
  const before = (await stored(page, ME, c1))!.boxes;
  expect(before).toHaveLength(2);
  const listed = async (pg: Page) => pg.getByTestId('box-list').locator('button').evaluateAll((els) => els.map((e) => e.getAttribute('data-coords')));
  const want = before.map((b) => coords(b).join(','));

  await page.reload();
  await expect(page.getByTestId('box-list').locator('button')).toHaveCount(2);
  expect(await listed(page)).toEqual(want);

  const tab2 = await context.newPage();
  await tab2.setViewportSize({ width: 1400, height: 860 });
  await tab2.goto(page.url());
  await expect(tab2.getByTestId('box-list').locator('button')).toHaveCount(2);
  expect(await listed(tab2)).toEqual(want);
  // an edit in the second tab shows up in the first without a reload
  const o2 = await origin(tab2);
  const v2 = await view(tab2);
  await drag(tab2, scr(v2, o2, 200, 50), scr(v2, o2, 260, 110));
  await saved(tab2);
  await expect(page.getByTestId('box-list').locator('button')).toHaveCount(3);
  // and one in the first shows up in the second
  await page.getByTestId('box-list').locator('button').first().click();
  await page.keyboard.press('Delete');
  await saved(page);
  await expect(tab2.getByTestId('box-list').locator('button')).toHaveCount(2);
  expect((await stored(page, ME, c1))!.boxes).toHaveLength(2);
  await tab2.close();
});

test('@annotate ten cases with the keyboard only: answers, progress and navigation', async ({ page }) => {
  const cases = await setup(page);
  // a new reader (not simulated) starts with an empty worklist
  await page.goto('./#/data');
  await page.getByRole('button', { name: 'Add a reader' }).click();
  await expect(page.locator('[data-reader="R4"]')).toBeVisible();
  await page.locator('[data-reader="R4"]').getByRole('button', { name: /Read as/ }).click();
  await page.goto('./#/annotate');
  await page.reload();
  await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-reader', 'R4');
  await expect(page.getByTestId('progress')).toContainText('0 / 40 done');
  const ids = cases.map((c) => c.id);
  await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-case', ids[0]);
  await page.keyboard.press('?');
  await expect(page.getByTestId('hotkey-overlay')).toBeVisible();
  await page.screenshot({ path: '/tmp/annotate-hotkeys.png' });
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('hotkey-overlay')).toHaveCount(0);
  // d without boxes refuses and says why
  await page.keyboard.press('d');
  await expect(page.getByTestId('toast')).toContainText('No abnormality found');
  for (let k = 0; k < 10; k++) {
    await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-case', ids[k]);
    if (k % 3 === 2) { // look around first
      await page.keyboard.press('+');
      await page.keyboard.press('i');
      await page.keyboard.press('r');
    }
    if (k === 4) await page.screenshot({ path: '/tmp/annotate-keyboard-walk-mid.png' });
    await page.keyboard.press('0'); // no abnormality found, then on to the next unfinished case
  }
  await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-case', ids[10]);
  await expect(page.getByTestId('progress')).toContainText('10 / 40 done');
  await page.keyboard.press('p');
  await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-case', ids[9]);
  await expect(page.getByTestId('case-status')).toHaveAttribute('data-status', 'no-finding');
  await page.keyboard.press('0'); // withdraw the answer
  await expect(page.getByTestId('progress')).toContainText('9 / 40 done');
  await page.keyboard.press('u');
  await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-case', ids[10]);
  await saved(page);
  for (const id of ids.slice(0, 9)) expect((await stored(page, 'R4', id))!.status).toBe('no-finding');
  expect((await stored(page, 'R4', ids[9]))!.status).toBe('in-progress');
  expect(await stored(page, 'R4', ids[10])).toBeUndefined(); // unread stays distinct from "no abnormality found"
  await page.screenshot({ path: '/tmp/annotate-keyboard-walk.png' });
});
