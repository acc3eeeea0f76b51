import { readFileSync } from 'node:fs';
import path from 'node:path';
import { encode as encodePng } from 'fast-png';
import type { Browser, Page } from '@playwright/test';
import { test, expect, openApp, fixtureFolder } from './fixtures';
import { generatePhantomCase } from '../src/core/phantom';
import { pixelHash } from '../src/core/study/hash';
import { TS, writeDicom, encodeJ2k } from '../src/core/study/importers/testing/dicomFixtures';

/** Fixtures made here: phantom PNGs in MURA's layout, a JPEG 2000 DICOM, a truncated file. Never patient data. */
const { root, put } = fixtureFolder('data');

const MURA: Array<[string, 0 | 1, string]> = [
  ['XR_WRIST/patient00001/study1_positive/image1.png', 1, 'WRIST'],
  ['XR_WRIST/patient00001/study1_positive/image2.png', 1, 'WRIST'],
  ['XR_ELBOW/patient00002/study1_negative/image1.png', 0, 'ELBOW'],
  ['XR_HAND/patient00003/study2_negative/image1.png', 0, 'HAND'],
];

async function goToData(page: Page) {
  await openApp(page, { backend: 'cpu', hash: 'data' });
  await expect(page.getByTestId('study-section')).toBeVisible();
}

async function downloadText(page: Page, testId: string): Promise<{ name: string; text: string }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  return { name: dl.suggestedFilename(), text: readFileSync((await dl.path())!, 'utf8') };
}

async function mergeFile(page: Page, file: string) {
  await page.getByTestId('merge-files').setInputFiles(file);
  await expect(page.getByTestId('merge-panel')).toBeVisible();
}

test('@data a MURA-shaped folder of phantom PNGs imports with the right labels and body parts; a broken file is listed, the rest goes on', async ({ page }) => {
  const dir = path.join(root, 'mura-a', 'valid');
  MURA.forEach(([rel], i) => {
    const c = generatePhantomCase(11, i, { size: 64 });
    put(path.join('mura-a', 'valid', rel), encodePng({ width: 64, height: 64, data: c.image, channels: 1, depth: 8 }));
  });
  put('mura-a/valid/XR_HAND/patient00003/study2_negative/image2.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
  await goToData(page);
  await page.getByTestId('import-folder').setInputFiles(dir);
  await expect(page.getByTestId('import-report')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('import-added')).toHaveText('4');
  await expect(page.getByTestId('import-problems')).toHaveText('1');
  await expect(page.getByTestId('problems-table')).toContainText('image2.png');
  await expect(page.getByTestId('current-study')).toHaveText('valid');
  for (const [rel, label, part] of MURA) {
    const row = page.locator(`[data-testid="study-cases"] tr[data-case="${rel}"]`);
    await expect(row).toHaveAttribute('data-label', String(label));
    await expect(row).toHaveAttribute('data-body-part', part);
  }
});

test('@data a JPEG 2000 DICOM made in the test decodes in the worker and displays at its size with the file\'s window', async ({ page, watch }) => {
  const w = 24, h = 16;
  const values = Array.from({ length: w * h }, (_, i) => (i % w) * 160 + Math.floor(i / w) * 7);
  const file = put('j2k/chest.dcm', writeDicom({
    rows: h, cols: w, values, bitsStored: 12, transferSyntax: TS.j2kLossless, frame: await encodeJ2k(values, h, w, 16), window: [2048, 4096],
    patient: { name: 'TEST^PHANTOM', id: 'E2E-1' },
  }));
  await goToData(page);
  await page.getByTestId('import-files').setInputFiles(file);
  await expect(page.getByTestId('import-added')).toHaveText('1', { timeout: 60_000 });
  await page.locator('[data-testid="study-cases"] tr[data-case="chest.dcm"] button').click();
  const canvas = page.getByTestId('study-preview');
  await expect(canvas).toHaveAttribute('data-width', String(w));
  await expect(canvas).toHaveAttribute('data-height', String(h));
  const [x, y] = [5, 9];
  const pixel = await canvas.evaluate((c: HTMLCanvasElement, [px, py]) => Array.from(c.getContext('2d')!.getImageData(px, py, 1, 1).data), [x, y]);
  // window centre 2048, width 4096, LINEAR (PS3.3 C.11.2.1.2): grey = round(255 * ((v - 2047.5) / 4095 + 0.5))
  const v = values[y * w + x];
  const g = Math.round(255 * ((v - 2047.5) / 4095 + 0.5));
  expect(pixel).toEqual([g, g, g, 255]);
  expect(watch.requests.some((u) => /openjpegwasm_decode.*\.wasm$/.test(u))).toBe(true);
});

/** A second browser profile with the same watch on console errors and foreign requests. */
async function freshProfile(browser: Browser, baseURL: string) {
  const context = await browser.newContext({ baseURL, acceptDownloads: true });
  // a returning user: the first-run welcome (a modal) already seen, as in the other specs
  await context.addInitScript(() => localStorage.setItem('heatcheck.welcomeSeen', '1'));
  const page = await context.newPage();
  const problems: string[] = [];
  const origin = new URL(baseURL).origin;
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => { const u = r.url(); if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) problems.push(`foreign request ${u}`); });
  return { context, page, problems };
}

const stripTime = (text: string) => { const j = JSON.parse(text); delete j.exportedAt; return j; };

test('@data export the project, import it in a fresh profile: identical; a reader\'s file with other boxes is a conflict the user resolves', async ({ page, browser, baseURL }) => {
  // Profile A: two images, identifiers in one DICOM, reader R1's boxes merged from a file made here.
  const a = generatePhantomCase(5, 0, { size: 48 }).image;
  const b = Uint16Array.from({ length: 20 * 10 }, (_, i) => i * 100);
  put('rt/study/a.png', encodePng({ width: 48, height: 48, data: a, channels: 1, depth: 8 }));
  put('rt/study/b.dcm', writeDicom({ rows: 10, cols: 20, values: b, window: [9000, 18000], patient: { name: 'ROUND^TRIP', id: 'RT-77', birthDate: '19800202' } }));
  const hashA = await pixelHash(a);
  const readerFile = (x1: number) => JSON.stringify({
    schema: 'heatcheck.project', version: 1, kind: 'reader', exportedAt: '2024-01-01T00:00:00.000Z', app: { name: 'heatcheck', version: 'test' }, identifiersIncluded: false,
    studies: [], cases: [{ hash: hashA, id: 'x', study: 'x', name: 'a.png', label: null, width: 48, height: 48, order: 0 }],
    readers: [{ id: 'R1', name: 'R1', order: 0 }],
    annotations: [{ reader: 'R1', case: hashA, status: 'done', updatedAt: 1000, rev: 1, boxes: [{ id: 'b1', x0: 4, y0: 6, x1, y1: 20 }] }],
    settings: {}, results: [],
  });
  const r1 = put('rt/reader-R1.json', readerFile(30));
  const r1b = put('rt/reader-R1-other.json', readerFile(36));

  await goToData(page);
  await page.getByTestId('import-folder').setInputFiles(path.join(root, 'rt/study'));
  await expect(page.getByTestId('import-added')).toHaveText('2', { timeout: 60_000 });
  await mergeFile(page, r1);
  await expect(page.getByTestId('merge-conflict-count')).toHaveText('0');
  await page.getByTestId('merge-apply').click();
  await expect(page.getByTestId('merge-message')).toContainText('1 reader record');

  const first = await downloadText(page, 'export-project');
  expect(first.text).not.toMatch(/ROUND|RT-77|19800202/); // identifiers stay out by default
  const firstJson = stripTime(first.text);
  expect(firstJson.cases.map((c: { name: string }) => c.name).sort()).toEqual(['a.png', 'b.dcm']);
  expect(firstJson.annotations.filter((x: { reader: string }) => x.reader === 'R1')[0].boxes[0]).toEqual({ id: 'b1', x0: 4, y0: 6, x1: 30, y1: 20 });
  const projectFile = put('rt/project.json', first.text);
  await page.getByTestId('include-identifiers').check();
  expect((await downloadText(page, 'export-project')).text).toContain('RT-77');

  // Profile B: nothing stored; import the project file; export again.
  const B = await freshProfile(browser, baseURL!);
  try {
    await goToData(B.page);
    await mergeFile(B.page, projectFile);
    await expect(B.page.getByTestId('merge-conflict-count')).toHaveText('0');
    await B.page.getByTestId('merge-apply').click();
    await expect(B.page.getByTestId('merge-message')).toContainText('2 new case(s)');
    await expect(B.page.getByTestId('current-study')).toHaveText('study');
    const second = await downloadText(B.page, 'export-project');
    expect(stripTime(second.text)).toEqual(firstJson);

    // The same reader, the same case, other boxes: shown, and written only after a decision.
    await mergeFile(B.page, r1b);
    await expect(B.page.getByTestId('merge-conflict-count')).toHaveText('1');
    const row = B.page.locator('[data-testid="merge-conflicts"] tr[data-reader="R1"]');
    await expect(row).toContainText('[4, 6, 30, 20]');
    await expect(row).toContainText('[4, 6, 36, 20]');
    await expect(B.page.getByTestId('merge-apply')).toBeDisabled();
    await row.getByLabel('theirs').check();
    await B.page.getByTestId('merge-apply').click();
    await expect(B.page.getByTestId('merge-message')).toContainText('1 reader record');
    const third = stripTime((await downloadText(B.page, 'export-project')).text);
    expect(third.annotations.find((x: { reader: string; case: string }) => x.reader === 'R1' && x.case === hashA).boxes[0].x1).toBe(36);
    expect(B.problems).toEqual([]);
  } finally {
    await B.context.close();
  }
});
