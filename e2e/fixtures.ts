import { test as base, expect, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Every e2e test records console errors and every request; a test fails when the page logs an
 * error or asks any origin other than its own (no network at run time).
 */
export interface Watch {
  consoleErrors: string[];
  foreignRequests: string[];
  requests: string[];
}

export const test = base.extend<{ watch: Watch; showWelcome: boolean; welcomeSetup: void }>({
  /**
   * The first-run welcome is a modal dialog; specs about other things start as a returning user
   * (the welcome already seen). The newcomer spec sets `test.use({ showWelcome: true })`.
   */
  showWelcome: [false, { option: true }],
  welcomeSetup: [async ({ page, showWelcome }, use) => {
    if (!showWelcome) await page.addInitScript(() => { try { localStorage.setItem('heatcheck.welcomeSeen', '1'); } catch { /* opaque origin */ } });
    await use();
  }, { auto: true }],
  watch: async ({ page, baseURL }, use) => {
    const origin = new URL(baseURL!).origin;
    const w: Watch = { consoleErrors: [], foreignRequests: [], requests: [] };
    page.on('console', (m) => { if (m.type() === 'error') w.consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => w.consoleErrors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      const url = r.url();
      w.requests.push(url);
      if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) w.foreignRequests.push(url);
    });
    page.context().on('request', (r) => {
      const url = r.url();
      if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:') && !w.foreignRequests.includes(url)) w.foreignRequests.push(url);
    });
    await use(w);
    expect(w.foreignRequests, 'requests to other origins').toEqual([]);
    expect(w.consoleErrors, 'console errors').toEqual([]);
  },
});

export { expect };

/** Opens the app (optionally with a forced backend) and waits for the compute backend to be ready. */
export async function openApp(page: Page, opts: { backend?: string; hash?: string; threads?: number } = {}) {
  const params = new URLSearchParams();
  if (opts.backend) params.set('backend', opts.backend);
  if (opts.threads !== undefined) params.set('threads', String(opts.threads));
  const q = params.size ? `?${params}` : '';
  await page.goto(`./${q}#/${opts.hash ?? 'annotate'}`);
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /.+/, { timeout: 60_000 });
}

/**
 * The image hash of the first abnormal demo case (case order), once the demo study's 40 cases are
 * in IndexedDB (it is generated at start). An abnormal case, so Grad-CAM's ReLU has something to keep.
 */
export async function firstAbnormalDemoImageHash(page: Page): Promise<string> {
  let imageHash = '';
  await expect.poll(async () => {
    imageHash = await page.evaluate(() => new Promise<string>((res) => {
      const r = indexedDB.open('heatcheck');
      r.onsuccess = () => {
        const db = r.result;
        if (!db.objectStoreNames.contains('cases')) { db.close(); res(''); return; }
        const g = db.transaction('cases').objectStore('cases').getAll();
        g.onsuccess = () => {
          db.close();
          const all = (g.result as Array<{ id: string; label: number | null; imageHash: string }>).filter((c) => c.id.startsWith('demo:')).sort((a, b) => a.id.localeCompare(b.id));
          res(all.length === 40 ? all.find((c) => c.label === 1)?.imageHash ?? '' : '');
        };
        g.onerror = () => { db.close(); res(''); };
      };
      r.onerror = () => res('');
    }));
    return imageHash;
  }, { timeout: 120_000 }).not.toBe('');
  return imageHash;
}

/**
 * A temporary folder for the files a spec makes (removed after the spec's tests) and `put`, which
 * writes one file under it, making its folders, and returns its path. Call at a spec's top level.
 */
export function fixtureFolder(name: string): { root: string; put(rel: string, data: Uint8Array | string): string } {
  const root = mkdtempSync(path.join(tmpdir(), `heatcheck-e2e-${name}-`));
  test.afterAll(() => rmSync(root, { recursive: true, force: true }));
  return {
    root,
    put(rel, data) {
      const f = path.join(root, rel);
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, data);
      return f;
    },
  };
}

/**
 * On the Dashboard: clicks a trust-table cell, checks it lists its cases for `units` units (models,
 * or model pairs), opens the first listed case in Compare and checks the URL; returns that case id.
 */
export async function openFirstCaseOfCell(page: Page, cell: string, units: number): Promise<string> {
  await page.getByTestId(cell).click();
  await expect(page.getByTestId('cell-cases').getByTestId('unit')).toHaveCount(units);
  const open = page.getByTestId('cell-cases').locator('[data-testid^="open-case-"]').first();
  const caseId = (await open.getAttribute('data-testid'))!.slice('open-case-'.length);
  await open.click();
  await expect(page).toHaveURL(new RegExp(`#/compare/${encodeURIComponent(caseId).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  return caseId;
}
