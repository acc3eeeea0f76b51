import { test as base, expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Sync through CouchDB's replication protocol, against the real local server (`npm run
 * sync-server`, started here on its own port, set up with scripts/sync-setup.mjs) and the app
 * built with that server's origin in its Content-Security-Policy (HEATCHECK_SYNC_ORIGIN), served
 * by `vite preview` on its own port. Every reader is a separate browser context (its own
 * IndexedDB: a separate workstation).
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SERVER_PORT = Number(process.env.HEATCHECK_SYNC_E2E_SERVER_PORT ?? 5994);
const APP_PORT = Number(process.env.HEATCHECK_SYNC_E2E_APP_PORT ?? 4182);
const SERVER = `http://127.0.0.1:${SERVER_PORT}`;
const APP = `http://127.0.0.1:${APP_PORT}/`;
const READERS = [{ name: 'alice', password: 'alice-pw' }, { name: 'bob', password: 'bob-pw' }, { name: 'carol', password: 'carol-pw' }, { name: 'dave', password: 'dave-pw' }];
const COORD = { name: 'coord', password: 'coord-pw' };

type B = { id: string; x0: number; y0: number; x1: number; y1: number };
let server: { url: string; stop(): Promise<void>; restart(): Promise<void> };
let preview: ChildProcess;

const test = base.extend({});
test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(240_000);
  const { startSyncServerProcess } = await import('../scripts/syncServerProcess.mjs' as string);
  server = await startSyncServerProcess({ port: SERVER_PORT, origins: [`http://127.0.0.1:${APP_PORT}`], readers: READERS, coordinators: [COORD] });
  const env = { ...process.env, HEATCHECK_SYNC_ORIGIN: SERVER };
  execFileSync('npx', ['vite', 'build', '--outDir', 'dist-sync', '--emptyOutDir'], { cwd: root, env, stdio: 'pipe' });
  preview = spawn('npx', ['vite', 'preview', '--outDir', 'dist-sync', '--port', String(APP_PORT), '--strictPort', '--host', '127.0.0.1'], { cwd: root, env, stdio: 'pipe', detached: true });
  for (let i = 0; ; i++) {
    try { if ((await fetch(APP)).ok) break; } catch { /* not up yet */ }
    if (i > 120) throw new Error('vite preview of dist-sync did not start');
    await new Promise((r) => setTimeout(r, 500));
  }
});
test.afterAll(async () => {
  if (preview?.pid) { try { process.kill(-preview.pid, 'SIGTERM'); } catch { /* gone */ } }
  await server?.stop();
});

async function workstation(browser: Browser): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ baseURL: APP, viewport: { width: 1400, height: 860 } });
  await ctx.addInitScript(() => { try { localStorage.setItem('heatcheck.welcomeSeen', '1'); } catch { /* opaque origin */ } });
  const page = await ctx.newPage();
  await page.goto('./?backend=wasm#/annotate');
  await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-case', /^demo:/, { timeout: 170_000 });
  return { ctx, page };
}
async function signIn(page: Page, user: string, password: string) {
  await page.goto('./?backend=wasm#/data');
  await page.getByTestId('sync-server').fill(SERVER);
  await page.getByTestId('sync-user').fill(user);
  await page.getByTestId('sync-password').fill(password);
  await page.getByTestId('sync-connect').click();
}
async function caseIds(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const db: IDBDatabase = await new Promise((res, rej) => { const q = indexedDB.open('heatcheck'); q.onsuccess = () => res(q.result); q.onerror = () => rej(q.error); });
    const cs = await new Promise<Array<{ id: string; studyId: string; order: number }>>((res) => { const q = db.transaction('cases').objectStore('cases').getAll(); q.onsuccess = () => res(q.result); });
    db.close();
    return cs.filter((c) => c.studyId === 'demo').sort((a, b) => a.order - b.order).map((c) => c.id);
  });
}
async function boxesOf(page: Page, reader: string, caseId: string): Promise<B[]> {
  return page.evaluate(async ([r, c]) => {
    const db: IDBDatabase = await new Promise((res, rej) => { const q = indexedDB.open('heatcheck'); q.onsuccess = () => res(q.result); q.onerror = () => rej(q.error); });
    const rec = await new Promise<{ boxes: B[] } | undefined>((res) => { const q = db.transaction('annotations').objectStore('annotations').get([r, c]); q.onsuccess = () => res(q.result); });
    db.close();
    return (rec?.boxes ?? []).map((b) => ({ id: b.id, x0: b.x0, y0: b.y0, x1: b.x1, y1: b.y1 })).sort((a, b) => a.id.localeCompare(b.id));
  }, [reader, caseId] as const);
}
async function statusOf(page: Page, reader: string, caseId: string): Promise<string | null> {
  return page.evaluate(async ([r, c]) => {
    const db: IDBDatabase = await new Promise((res, rej) => { const q = indexedDB.open('heatcheck'); q.onsuccess = () => res(q.result); q.onerror = () => rej(q.error); });
    const rec = await new Promise<{ status: string } | undefined>((res) => { const q = db.transaction('annotations').objectStore('annotations').get([r, c]); q.onsuccess = () => res(q.result); });
    db.close();
    return rec?.status ?? null;
  }, [reader, caseId] as const);
}
/** The coordinator view's whole-study figures, at full precision (the attributes beside the shown ones). */
async function studyFigures(page: Page) {
  await page.goto('./?backend=wasm#/annotate');
  await page.getByTestId('mode-coordinator').click();
  await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-blinded', 'false');
  await page.getByTestId('study-agreement-run').click();
  const f = page.getByTestId('study-agreement-figures');
  await expect(f).toBeVisible({ timeout: 120_000 });
  const [cases, pairs, vsOthers, vsConsensus] = await Promise.all(['data-cases', 'data-pairs', 'data-vs-others', 'data-vs-consensus'].map((a) => f.getAttribute(a)));
  return { cases: Number(cases), pairs: Number(pairs), vsOthers: Number(vsOthers), vsConsensus: Number(vsConsensus) };
}
async function openCase(page: Page, id: string) {
  await page.locator(`li[data-case="${id}"] button`).click();
  await expect(page.getByTestId('page-annotate')).toHaveAttribute('data-case', id);
  await page.mouse.move(0, 0);
}
/** A box from the keyboard: B at the view centre, moved by `moves` arrow presses, Enter keeps it. */
async function drawBox(page: Page, moves: string[]) {
  await page.keyboard.press('b');
  for (const k of moves) await page.keyboard.press(k);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
}

test('@sync three readers (one offline for a while) and a coordinator: the coordinator gets every box; readers are refused others\' databases and the coordinator view', async ({ browser }) => {
  test.setTimeout(900_000);
  const ws = [] as Array<{ ctx: BrowserContext; page: Page; name: string }>;
  for (const r of READERS.slice(0, 3)) {
    const w = await workstation(browser);
    await signIn(w.page, r.name, r.password);
    await expect(w.page.getByTestId('sync-role')).toContainText('reader');
    await expect(w.page.getByTestId('sync-status')).toHaveAttribute('data-state', /connected|syncing/);
    await expect(w.page.getByTestId('sync-status')).toContainText(SERVER);
    ws.push({ ...w, name: r.name });
  }
  const ids = await caseIds(ws[0].page);
  const cases = ids.slice(0, 3);
  // alice goes offline before she draws
  await ws[0].ctx.setOffline(true);
  for (const [k, w] of ws.entries()) {
    await w.page.goto('./?backend=wasm#/annotate');
    await expect(w.page.getByTestId('page-annotate')).toHaveAttribute('data-reader', w.name);
    for (const [j, c] of cases.entries()) {
      await openCase(w.page, c);
      await drawBox(w.page, [...Array(k * 3 + j).fill('ArrowRight'), ...Array(k + 1).fill('Shift+ArrowDown')]);
      // finished reads are the ones consensus and agreement count
      await w.page.keyboard.press('d');
      await expect(w.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
    }
  }
  await expect(ws[0].page.getByTestId('sync-status')).toHaveAttribute('data-state', 'offline', { timeout: 60_000 });
  await expect(ws[0].page.getByTestId('sync-status')).toContainText(SERVER);

  // a reader cannot open the coordinator view: the server does not give it the others' boxes
  await ws[1].page.getByTestId('mode-coordinator').click();
  await expect(ws[1].page.getByTestId('toast')).toContainText('coordinator login');
  await expect(ws[1].page.getByTestId('page-annotate')).toHaveAttribute('data-blinded', 'true');
  // nor read another reader's database over HTTP, with its own login or none
  const refused = await ws[1].page.evaluate(async ([server, pw]) => {
    const withLogin = await fetch(`${server}/heatcheck-reader-alice/_all_docs?include_docs=true`, { headers: { authorization: 'Basic ' + btoa(`bob:${pw}`) } });
    const changes = await fetch(`${server}/heatcheck-reader-carol/_changes?include_docs=true`, { headers: { authorization: 'Basic ' + btoa(`bob:${pw}`) } });
    const anonymous = await fetch(`${server}/heatcheck-reader-alice/_all_docs`);
    return [withLogin.status, changes.status, anonymous.status];
  }, [SERVER, READERS[1].password] as const);
  for (const s of refused) expect([401, 403]).toContain(s);
  // and bob's browser holds no box of alice or carol
  for (const c of cases) { expect(await boxesOf(ws[1].page, 'alice', c)).toEqual([]); expect(await boxesOf(ws[1].page, 'carol', c)).toEqual([]); }

  // the coordinator signs in; alice comes back online
  // the coordinator's workstation, and one with no server for the file exchange below, start together
  const [co, local] = await Promise.all([workstation(browser), workstation(browser)]);
  await signIn(co.page, COORD.name, COORD.password);
  await expect(co.page.getByTestId('sync-role')).toContainText('coordinator');
  await ws[0].ctx.setOffline(false);
  // the coordinator publishes the study's case list; a reader's workstation finds its images the same
  await co.page.getByTestId('publish-case-list').click();
  await expect(co.page.getByTestId('publish-message')).toContainText(`Published ${ids.length} cases`);
  await ws[1].page.goto('./?backend=wasm#/data');
  await expect(ws[1].page.getByTestId('case-list-check')).toHaveAttribute('data-state', 'match');
  await expect(ws[1].page.getByTestId('case-list-check')).toContainText(`Case list matches: all ${ids.length} published cases`);
  for (const w of ws) {
    for (const c of cases) {
      const mine = await boxesOf(w.page, w.name, c);
      expect(mine).toHaveLength(1);
      await expect.poll(() => boxesOf(co.page, w.name, c), { timeout: 120_000 }).toEqual(mine);
    }
  }
  await expect(ws[0].page.getByTestId('sync-status')).toHaveAttribute('data-state', 'connected', { timeout: 60_000 });
  // the coordinator view opens for the coordinator login and says on what grounds
  await co.page.goto('./?backend=wasm#/annotate');
  await co.page.getByTestId('mode-coordinator').click();
  await expect(co.page.getByTestId('page-annotate')).toHaveAttribute('data-blinded', 'false');
  await expect(co.page.getByTestId('coordinator-basis')).toContainText(`coordinator login on ${SERVER}`);

  // the same figures as the file-exchange merge: each reader exports her reader file, a fresh
  // workstation with no server merges the three files, and its coordinator view computes them
  for (const w of ws) for (const c of cases) await expect.poll(() => statusOf(co.page, w.name, c), { timeout: 60_000 }).toBe('done');
  const synced = await studyFigures(co.page);
  const files: string[] = [];
  for (const w of ws) {
    await w.page.goto('./?backend=wasm#/data');
    // the button and the reader's list share the test id
    await w.page.locator('select[data-testid="export-reader"]').selectOption(w.name);
    const [dl] = await Promise.all([w.page.waitForEvent('download'), w.page.locator('button[data-testid="export-reader"]').click()]);
    const file = test.info().outputPath(`reader-${w.name}.json`);
    writeFileSync(file, readFileSync((await dl.path())!));
    expect(JSON.parse(readFileSync(file, 'utf8')).readers.map((r: { id: string }) => r.id)).toEqual([w.name]);
    files.push(file);
  }
  const before = await studyFigures(local.page);
  await local.page.goto('./?backend=wasm#/data');
  for (const file of files) {
    await local.page.getByTestId('merge-files').setInputFiles(file);
    await expect(local.page.getByTestId('merge-panel')).toBeVisible();
    await expect(local.page.getByTestId('merge-conflict-count')).toHaveText('0');
    await local.page.getByTestId('merge-apply').click();
    await expect(local.page.getByTestId('merge-message')).toContainText('reader record');
  }
  const merged = await studyFigures(local.page);
  // the three readers' nine finished reads are in both, on top of whatever the demo holds
  expect(merged.pairs).toBe(before.pairs + 9);
  expect(synced.cases).toBe(merged.cases);
  expect(synced.pairs).toBe(merged.pairs);
  expect(synced.vsOthers).toBeCloseTo(merged.vsOthers, 12);
  expect(synced.vsConsensus).toBeCloseTo(merged.vsConsensus, 12);
  expect(Number.isFinite(merged.vsOthers) && Number.isFinite(merged.vsConsensus)).toBe(true);
  for (const w of [...ws, co, local]) await w.ctx.close();
});

test('@sync one reader in two browsers edits the same box at once: both are told, both versions kept until one is chosen', async ({ browser }) => {
  test.setTimeout(600_000);
  const dave = READERS[3];
  const a = await workstation(browser), b = await workstation(browser);
  await signIn(a.page, dave.name, dave.password);
  await signIn(b.page, dave.name, dave.password);
  await expect(a.page.getByTestId('sync-role')).toContainText('reader');
  await expect(b.page.getByTestId('sync-role')).toContainText('reader');
  const c = (await caseIds(a.page))[5];
  for (const w of [a, b]) { await w.page.goto('./?backend=wasm#/annotate'); await openCase(w.page, c); }
  await drawBox(a.page, []);
  const [box] = await boxesOf(a.page, 'dave', c);
  await expect.poll(() => boxesOf(b.page, 'dave', c), { timeout: 60_000 }).toEqual([box]);
  await expect(b.page.getByTestId('sync-notice')).toContainText('another workstation or browser');
  // both offline; each moves the same box its own way
  await a.ctx.setOffline(true); await b.ctx.setOffline(true);
  await a.page.keyboard.press('s'); for (let i = 0; i < 3; i++) await a.page.keyboard.press('ArrowRight');
  await b.page.keyboard.press('s'); for (let i = 0; i < 4; i++) await b.page.keyboard.press('ArrowDown');
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  await expect(b.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  const movedA = (await boxesOf(a.page, 'dave', c))[0], movedB = (await boxesOf(b.page, 'dave', c))[0];
  expect(movedA.x0).toBe(box.x0 + 3); expect(movedB.y0).toBe(box.y0 + 4);
  await a.ctx.setOffline(false); await b.ctx.setOffline(false);
  // both are told which box, and both versions are listed (nothing lost)
  for (const w of [a, b]) {
    const n = w.page.locator(`[data-testid="sync-conflict"][data-box="${box.id}"]`);
    await expect(n).toBeVisible({ timeout: 90_000 });
    await expect(n).toContainText(`[${movedA.x0}, ${movedA.y0}, ${movedA.x1}, ${movedA.y1}]`);
    await expect(n).toContainText(`[${movedB.x0}, ${movedB.y0}, ${movedB.x1}, ${movedB.y1}]`);
  }
  // one of them keeps the shown version; the conflict is gone in both, and both show the same box
  await a.page.getByTestId('conflict-keep-shown').click();
  for (const w of [a, b]) await expect(w.page.locator('[data-testid="sync-conflict"]')).toHaveCount(0, { timeout: 90_000 });
  await expect.poll(async () => JSON.stringify(await boxesOf(a.page, 'dave', c)), { timeout: 60_000 }).toBe(JSON.stringify(await boxesOf(b.page, 'dave', c)));
  await a.ctx.close(); await b.ctx.close();
});

test('@sync a wrong password is a clear message naming the server', async ({ browser }) => {
  test.setTimeout(300_000);
  const w = await workstation(browser);
  await signIn(w.page, 'alice', 'not-her-password');
  await expect(w.page.getByTestId('sync-status')).toHaveAttribute('data-code', 'BAD_LOGIN');
  await expect(w.page.getByTestId('sync-status')).toContainText(SERVER);
  await expect(w.page.getByTestId('sync-status')).toContainText('wrong user name or password');
  await w.ctx.close();
});

/** The trust table's cells (state and shown figure), in `scope`: the local one or the published one. */
async function tableCells(scope: ReturnType<Page['getByTestId']>) {
  const cells = scope.locator('td[data-testid^="cell-"]');
  const out: Record<string, { state: string | null; value: string | null }> = {};
  for (const c of await cells.all()) {
    const id = (await c.getAttribute('data-testid'))!;
    const v = c.locator('.cell-value');
    out[id] = { state: await c.getAttribute('data-state'), value: (await v.count()) ? await v.textContent() : null };
  }
  return out;
}

test('@sync model results: a coordinator publishes the dashboard\'s report; another coordinator workstation lists it and opens it read only with the same cells; readers\' workstations never receive it', async ({ browser }) => {
  test.setTimeout(1_500_000);
  const co = await workstation(browser);
  await signIn(co.page, COORD.name, COORD.password);
  await expect(co.page.getByTestId('sync-role')).toContainText('coordinator');
  // the case list too: readers replicate it (and only it) from the study database
  await co.page.getByTestId('publish-case-list').click();
  await expect(co.page.getByTestId('publish-message')).toContainText('Published');

  // a small evaluation: one demo model, 2 abnormal cases, the cascade on 2 cases, its last step only
  await co.page.goto('./?backend=wasm#/dashboard');
  await expect(co.page.getByTestId('page-dashboard')).toBeVisible();
  await co.page.getByTestId('eval-abnormal').selectOption('2');
  await co.page.getByTestId('eval-normal').selectOption('0');
  await co.page.getByTestId('eval-random').selectOption('2');
  await co.page.getByTestId('eval-steps').selectOption('1');
  await co.page.getByTestId('eval-preset').selectOption('quick');
  const boxes = co.page.locator('[data-testid=eval-model]');
  const modelId = (await boxes.first().getAttribute('data-model-id'))!;
  for (const b of (await boxes.all()).slice(1)) await b.uncheck();
  await expect(co.page.locator('[data-testid=eval-model]:checked')).toHaveCount(1);
  // before a report there is nothing to publish; the warning is there from the start
  await expect(co.page.getByTestId('publish-report')).toBeDisabled();
  await expect(co.page.getByTestId('publish-report-warning')).toContainText('Every login on that server, readers included, can read it over HTTP');
  await expect(co.page.getByTestId('publish-report-warning')).toContainText('publish after reading has ended');
  await expect(co.page.getByTestId('published-none')).toBeVisible();
  await co.page.getByTestId('eval-start').click();
  await expect(co.page.getByTestId('eval-progress')).toHaveAttribute('data-status', 'done', { timeout: 1_200_000 });
  const local = await tableCells(co.page.getByTestId('trust-table'));
  expect(Object.keys(local).length).toBe(24);
  const [exported] = await Promise.all([co.page.waitForEvent('download'), co.page.getByTestId('export-json').click()]);
  const localJson = JSON.parse(readFileSync((await exported.path())!, 'utf8'));

  await co.page.getByTestId('publish-report').click();
  await expect(co.page.getByTestId('publish-report-message')).toContainText(`Published the trust report (1 model, 6 methods, 2 cases) to the study database on ${SERVER}`);
  await expect(co.page.getByTestId('published-report')).toHaveCount(1);
  const row = co.page.getByTestId('published-report');
  await expect(row.getByTestId('published-by')).toHaveText(COORD.name);
  // publishing the same report again writes nothing and says who published it
  await co.page.getByTestId('publish-report').click();
  await expect(co.page.getByTestId('publish-report-message')).toContainText(`is already in the study database on ${SERVER}: published by ${COORD.name}`);
  await expect(co.page.getByTestId('published-report')).toHaveCount(1);
  // the list's JSON is the report as exported, and saving it opens nothing
  const [listed] = await Promise.all([co.page.waitForEvent('download'), row.getByTestId('published-json').click()]);
  expect(JSON.parse(readFileSync((await listed.path())!, 'utf8'))).toEqual(localJson);
  await expect(co.page.getByTestId('published-view')).toHaveCount(0);
  // opening it here does not touch the local results
  await row.getByTestId('published-open').click();
  await expect(co.page.getByTestId('published-label')).toContainText('Published report, read only');
  await expect(co.page.getByTestId('published-label')).toContainText('not a live computation');
  expect(await tableCells(co.page.getByTestId('published-view'))).toEqual(local);
  await expect(co.page.getByTestId('eval-done')).toBeVisible();
  await co.page.getByTestId('published-close').click();
  await expect(co.page.getByTestId('published-view')).toHaveCount(0);
  expect(await tableCells(co.page.getByTestId('trust-table'))).toEqual(local);

  // another coordinator workstation: no local report; the published one is listed and opens with the same cells
  const co2 = await workstation(browser);
  await signIn(co2.page, COORD.name, COORD.password);
  await expect(co2.page.getByTestId('sync-role')).toContainText('coordinator');
  await co2.page.goto('./?backend=wasm#/dashboard');
  await expect(co2.page.getByTestId('dash-empty')).toBeVisible();
  const row2 = co2.page.getByTestId('published-report');
  await expect(row2).toHaveCount(1, { timeout: 60_000 });
  await expect(row2.getByTestId('published-by')).toHaveText(COORD.name);
  await expect(row2.getByTestId('published-models')).toContainText(localJson.models[0].name ?? modelId);
  await expect(row2.getByTestId('published-methods')).toContainText('Grad-CAM');
  await row2.getByTestId('published-open').click();
  const view = co2.page.getByTestId('published-view');
  await expect(view).toBeVisible();
  await expect(co2.page.getByTestId('published-label')).toContainText(`Published report, read only: published by ${COORD.name}`);
  expect(await tableCells(view)).toEqual(local);
  await co2.page.screenshot({ path: '/tmp/heatcheck-sync-published-report.png', fullPage: true });
  // its JSON is the one the first workstation exported
  const [dl] = await Promise.all([co2.page.waitForEvent('download'), co2.page.getByTestId('published-download').click()]);
  expect(JSON.parse(readFileSync((await dl.path())!, 'utf8'))).toEqual(localJson);
  await expect(co2.page.getByTestId('dash-empty')).toBeVisible();

  // a reader's workstation: the case list arrives, model results do not (neither shown nor stored)
  const rd = await workstation(browser);
  await signIn(rd.page, READERS[0].name, READERS[0].password);
  await expect(rd.page.getByTestId('sync-role')).toContainText('reader');
  await expect(rd.page.getByTestId('case-list-check')).toHaveAttribute('data-state', 'match', { timeout: 60_000 });
  const stored = await rd.page.evaluate(async () => {
    const names = (await indexedDB.databases()).map((d) => d.name ?? '').filter((n) => n.endsWith('-study'));
    const ids: string[] = [];
    for (const name of names) {
      const db: IDBDatabase = await new Promise((res, rej) => { const q = indexedDB.open(name); q.onsuccess = () => res(q.result); q.onerror = () => rej(q.error); });
      if (db.objectStoreNames.contains('document-store')) {
        ids.push(...await new Promise<string[]>((res) => { const q = db.transaction('document-store').objectStore('document-store').getAllKeys(); q.onsuccess = () => res(q.result.map(String)); }));
      }
      db.close();
    }
    return { names, ids };
  });
  expect(stored.names.length).toBe(1);
  expect(stored.ids).toContain('cases');
  expect(stored.ids.filter((id) => id.startsWith('report:') || id.startsWith('model:'))).toEqual([]);
  await rd.page.goto('./?backend=wasm#/dashboard');
  await expect(rd.page.getByTestId('published-reports')).toContainText('not shown on a reader\'s workstation');
  await expect(rd.page.getByTestId('published-list')).toHaveCount(0);
  for (const w of [co, co2, rd]) await w.ctx.close();
});
