import { readFileSync } from 'node:fs';
import path from 'node:path';
import { encode as encodePng } from 'fast-png';
import { test, expect, openApp, fixtureFolder } from './fixtures';
import { generatePhantomCase } from '../src/core/phantom';
import { parseViaCsv } from '../src/core/annotation/formats';
import { studyReaderAgreement } from '../src/core/annotation';

/** Two phantom PNGs and two readers' VIA CSVs (boxes and a polygon), made here. */
const { root, put } = fixtureFolder('regions');
const q = (v: unknown) => `"${JSON.stringify(v).replace(/"/g, '""')}"`;
const HEADER = 'filename,file_size,file_attributes,region_count,region_id,region_shape_attributes,region_attributes';
const READER_A = [HEADER,
  `via01.png,1000,"{}",2,0,${q({ name: 'rect', x: 10, y: 10, width: 30, height: 20 })},"{}"`,
  `via01.png,1000,"{}",2,1,${q({ name: 'circle', cx: 5, cy: 5, r: 3 })},"{}"`,
  'via02.png,1000,"{}",0,0,"{}","{}"',
  `missing.png,1000,"{}",1,0,${q({ name: 'rect', x: 1, y: 1, width: 2, height: 2 })},"{}"`, ''].join('\n');
const READER_B = [HEADER,
  `via01.png,1000,"{}",1,0,${q({ name: 'polygon', all_points_x: [14, 44, 40, 12], all_points_y: [8, 12, 36, 30] })},"{}"`, ''].join('\n');

test('@data VIA files import as readers (boxes and polygons); the coordinator view draws them and shows both reader-vs-consensus figures', async ({ page }) => {
  for (const [i, n] of ['via01', 'via02'].entries()) {
    const c = generatePhantomCase(31, i, { size: 64 });
    put(`study/${n}.png`, encodePng({ width: 64, height: 64, data: c.image, channels: 1, depth: 8 }));
  }
  const a = put('dr-a.csv', READER_A);
  const b = put('dr-b.csv', READER_B);
  await openApp(page, { backend: 'cpu', hash: 'data' });
  await page.getByTestId('import-folder').setInputFiles(path.join(root, 'study'));
  await expect(page.getByTestId('import-added')).toHaveText('2', { timeout: 60_000 });

  await page.getByTestId('reader-files').setInputFiles(a);
  await expect(page.getByTestId('reader-file-matched')).toHaveText('2');
  await expect(page.getByTestId('reader-file-unmatched')).toContainText('missing.png: no case named missing');
  await expect(page.getByTestId('reader-file-warnings')).toContainText('skipped 1 circle region');
  await expect(page.getByTestId('reader-file-name')).toHaveValue('dr-a');
  await page.getByTestId('reader-file-name').fill('Dr A');
  await page.getByTestId('reader-file-apply').click();
  await expect(page.getByTestId('reader-file-message')).toContainText('reader "Dr A" added with 1 region(s) on 2 case(s)');
  await page.getByTestId('reader-files').setInputFiles(b);
  await expect(page.getByTestId('reader-file-matched')).toHaveText('1');
  await page.getByTestId('reader-file-name').fill('Dr B');
  await page.getByTestId('reader-file-apply').click();
  await expect(page.getByTestId('reader-file-message')).toContainText('reader "Dr B" added with 1 region(s) on 1 case(s)');

  // VIA CSV export of Dr B gives the polygon back
  await page.getByTestId('export-via-reader').selectOption('Dr-B');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-via-csv').click()]);
  const back = parseViaCsv(readFileSync((await dl.path())!, 'utf8'), 'export.csv');
  expect(back.images.map((i) => [i.file, i.regions])).toEqual([['via01.png', [{ polygon: [[14, 8], [44, 12], [40, 36], [12, 30]] }]]]);

  await page.goto('./?backend=cpu#/annotate');
  await page.getByTestId('reader-select').selectOption('Dr-A');
  await page.locator('[data-testid="worklist"] li[data-case$="via01.png"] button').click();
  await page.getByTestId('mode-coordinator').click();
  await expect(page.getByTestId('viewer')).not.toHaveAttribute('data-consensus-segments', '0');
  const want = studyReaderAgreement([{ id: 'via01', width: 64, height: 64, readers: {
    'Dr-A': [[10, 10, 40, 30]],
    'Dr-B': [{ polygon: [[14, 8], [44, 12], [40, 36], [12, 30]] }],
  } }]).cases[0];
  await expect(page.getByTestId('reader-vs-consensus-iou')).toHaveText(want.readerVsConsensusIoU.toFixed(3));
  await expect(page.getByTestId('reader-vs-others-iou')).toHaveText(want.readerVsOthersIoU.toFixed(3));
  await expect(page.getByTestId('mean-iou')).toHaveText(want.meanPairwiseIoU.toFixed(3));
  // the whole study: via02 holds no regions, so the study figures are via01's
  await page.getByTestId('study-agreement-run').click();
  await expect(page.getByTestId('study-vs-consensus')).toHaveText(want.readerVsConsensusIoU.toFixed(3));
  await expect(page.getByTestId('study-vs-others')).toHaveText(want.readerVsOthersIoU.toFixed(3));
  await page.screenshot({ path: '/tmp/regions-coordinator.png' });
});
