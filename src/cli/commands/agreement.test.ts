import { describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encode as encodePng } from 'fast-png';
import { main } from '../main';
import { runCli } from '../testing/runCli';

const cli = runCli;

type Shape = { name: 'rect'; x: number; y: number; width: number; height: number } | { name: 'polygon'; all_points_x: number[]; all_points_y: number[] } | { name: 'circle'; cx: number; cy: number; r: number };
const q = (v: unknown) => `"${JSON.stringify(v).replace(/"/g, '""')}"`;
/** A VIA 2.0.x CSV export, written the way VIA writes it. */
function viaCsv(images: Array<[string, Shape[]]>): string {
  const lines = ['filename,file_size,file_attributes,region_count,region_id,region_shape_attributes,region_attributes'];
  for (const [file, shapes] of images) {
    if (!shapes.length) lines.push(`${file},1000,"{}",0,0,"{}","{}"`);
    shapes.forEach((s, i) => lines.push(`${file},1000,"{}",${shapes.length},${i},${q(s)},"{}"`));
  }
  return lines.join('\n') + '\n';
}

/** Three readers on seven cases: boxes and polygons (convex, concave, self-crossing, integer vertices through pixel centres). */
function fixtures(): Record<string, Array<[string, Shape[]]>> {
  let s = 99;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const jitter = (v: number) => Math.round((v + (rnd() - 0.5) * 8) * 2) / 2; // half-pixel steps: edges on centres too
  const rect = (x: number, y: number, w: number, h: number): Shape => ({ name: 'rect', x: jitter(x), y: jitter(y), width: Math.max(1, jitter(w)), height: Math.max(1, jitter(h)) });
  const polygon = (pts: Array<[number, number]>): Shape => ({ name: 'polygon', all_points_x: pts.map((p) => jitter(p[0])), all_points_y: pts.map((p) => jitter(p[1])) });
  const readers: Record<string, Array<[string, Shape[]]>> = { A: [], B: [], C: [] };
  for (const r of ['A', 'B', 'C']) {
    readers[r].push(['case1.png', [rect(10, 10, 20, 15)]]);
    readers[r].push(['case2.png', [polygon([[20, 5], [40, 30], [5, 35]])]]);
    readers[r].push(['case3.png', [rect(5, 5, 10, 10), polygon([[30, 10], [50, 10], [50, 30], [40, 30], [40, 20], [30, 20]])]]);
    readers[r].push(['case4.png', r === 'B' ? [] : [polygon([[20, 2], [26, 20], [10, 9], [30, 9], [14, 20]])]]);
    if (r !== 'C') readers[r].push(['case5.png', [rect(15, 15, 10, 10)]]);
    readers[r].push(['case6.png', []]);
  }
  // case7: three readers, three disjoint boxes: the consensus is empty, so both IoUs are 0
  readers.A.push(['case7.png', [{ name: 'rect', x: 0, y: 0, width: 5, height: 5 }, { name: 'circle', cx: 50, cy: 50, r: 4 }]]);
  readers.B.push(['case7.png', [{ name: 'rect', x: 10, y: 0, width: 5, height: 5 }]]);
  readers.C.push(['case7.png', [{ name: 'rect', x: 20, y: 0, width: 5, height: 5 }]]);
  return readers;
}

function compareCase(got: Record<string, unknown>, want: Record<string, unknown>) {
  for (const k of ['width', 'height', 'readers', 'drew']) expect([k, got[k]]).toEqual([k, want[k]]);
  for (const k of ['readerVsConsensusIoU', 'readerVsOthersIoU', 'meanPairwiseIoU', 'meanPairwiseDice', 'fleissKappa']) {
    const g = got[k] as number | null, w = want[k] as number | null;
    if (w === null) expect([got.case, k, g]).toEqual([got.case, k, null]);
    else expect([got.case, k, typeof g === 'number' && Math.abs(g - w) < 1e-12]).toEqual([got.case, k, true]);
  }
  const gp = got.pairwise as Array<{ a: string; b: string; iou: number; dice: number }>;
  const wp = want.pairwise as typeof gp;
  expect(gp.map((p) => [p.a, p.b])).toEqual(wp.map((p) => [p.a, p.b]));
  gp.forEach((p, i) => {
    expect(Math.abs(p.iou - wp[i].iou)).toBeLessThan(1e-12);
    expect(Math.abs(p.dice - wp[i].dice)).toBeLessThan(1e-12);
  });
  const gr = got.perReader as Record<string, { vsConsensusIoU: number; vsOthersIoU: number }>;
  const wr = want.perReader as typeof gr;
  expect(Object.keys(gr).sort()).toEqual(Object.keys(wr).sort());
  for (const r of Object.keys(wr)) {
    expect(Math.abs(gr[r].vsConsensusIoU - wr[r].vsConsensusIoU)).toBeLessThan(1e-12);
    expect(Math.abs(gr[r].vsOthersIoU - wr[r].vsOthersIoU)).toBeLessThan(1e-12);
  }
}

describe('heatcheck agreement on three VIA CSVs (boxes and polygons) vs an independent NumPy computation', () => {
  it('per case and pooled: reader vs consensus (self included), leave-one-out, pairwise IoU and Dice, Fleiss kappa', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hc-agree-'));
    try {
      const files = Object.entries(fixtures()).map(([r, images]) => {
        const f = path.join(dir, `${r}.csv`);
        writeFileSync(f, viaCsv(images));
        return f;
      });
      const out = path.join(dir, 'agreement.json');
      const res = await cli(['agreement', '--readers', files.join(','), '--out', out]);
      expect(res.code).toBe(0);
      expect(res.err).toMatch(/A\.csv: skipped 1 circle region/);
      const got = JSON.parse(readFileSync(out, 'utf8'));
      const want = JSON.parse(execFileSync('/usr/bin/python3', ['scripts/agreement_reference.py', '2', ...files], { encoding: 'utf8' }));
      expect(got.cases.map((c: { case: string }) => c.case)).toEqual(want.cases.map((c: { case: string }) => c.case));
      got.cases.forEach((c: Record<string, unknown>, i: number) => compareCase(c, want.cases[i]));
      expect(got.cases.every((c: { canvas: string }) => c.canvas === 'regions')).toBe(true);
      for (const k of ['cases', 'pairs']) expect(got.pooled[k]).toBe(want.pooled[k]);
      for (const k of ['readerVsConsensusIoU', 'readerVsOthersIoU', 'meanPairwiseIoU', 'meanPairwiseDice', 'fleissKappa', 'meanCaseFleissKappa']) {
        expect([k, Math.abs(got.pooled[k] - want.pooled[k]) < 1e-12]).toEqual([k, true]);
      }
      // the figures mean something: self-inclusion is optimistic, and the disjoint case scores 0 on both
      expect(got.pooled.readerVsConsensusIoU).toBeGreaterThan(got.pooled.readerVsOthersIoU);
      const c7 = got.cases.find((c: { case: string }) => c.case === 'case7');
      expect([c7.readerVsConsensusIoU, c7.readerVsOthersIoU]).toEqual([0, 0]);
      expect(got.cases.find((c: { case: string }) => c.case === 'case6').readerVsConsensusIoU).toBeNull();
      expect(res.json.pooled).toEqual(got.pooled);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the same readers as VIA JSON, COCO and VIA CSV give the same IoU figures', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hc-agree-fmt-'));
    try {
      const fx = fixtures();
      const csvFiles = Object.entries(fx).map(([r, images]) => { const f = path.join(dir, `${r}.csv`); writeFileSync(f, viaCsv(images)); return f; });
      // A as a VIA 2 project, B as COCO (polygons as segmentation, rects as bbox only), C as the CSV
      const viaJson = { _via_settings: {}, _via_attributes: { region: {}, file: {} }, _via_img_metadata: Object.fromEntries(fx.A.map(([file, shapes]) => [`${file}1000`, { filename: file, size: 1000, file_attributes: {}, regions: shapes.map((sh) => ({ shape_attributes: sh, region_attributes: {} })) }])) };
      const images = fx.B.map(([file], i) => ({ id: i + 1, file_name: `images/${file}` }));
      const annotations = fx.B.flatMap(([, shapes], i) => shapes.map((sh) => sh.name === 'rect'
        ? { image_id: i + 1, category_id: 1, bbox: [sh.x, sh.y, sh.width, sh.height], iscrowd: 0 }
        : sh.name === 'polygon' ? { image_id: i + 1, category_id: 1, segmentation: [sh.all_points_x.flatMap((x, k) => [x, sh.all_points_y[k]])], iscrowd: 0 } : null).filter(Boolean));
      const a = path.join(dir, 'A.json'), b = path.join(dir, 'B.json');
      writeFileSync(a, JSON.stringify(viaJson));
      writeFileSync(b, JSON.stringify({ images, annotations, categories: [{ id: 1, name: 'abnormality' }] }));
      const one = await cli(['agreement', '--readers', csvFiles.join(','), '--out', path.join(dir, 'one.json')]);
      const mixed = await cli(['agreement', '--readers', [a, b, csvFiles[2]].join(','), '--out', path.join(dir, 'mixed.json')]);
      expect([one.code, mixed.code]).toEqual([0, 0]);
      const p1 = one.json.pooled as Record<string, number>, p2 = mixed.json.pooled as Record<string, number>;
      for (const k of ['pairs', 'readerVsConsensusIoU', 'readerVsOthersIoU', 'meanPairwiseIoU', 'meanPairwiseDice', 'fleissKappa']) expect([k, p2[k]]).toEqual([k, p1[k]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with --study: names matched to cases, the image grid used, unmatched names listed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hc-agree-study-'));
    try {
      mkdirSync(path.join(dir, 'study', 'images'), { recursive: true });
      writeFileSync(path.join(dir, 'study', 'cases.csv'), 'id,image,label,body_part,abnormality\nc1,images/case1.png,1,CHEST,nodule\nc2,images/case2.png,0,CHEST,\n');
      for (const n of ['case1', 'case2']) writeFileSync(path.join(dir, 'study', 'images', `${n}.png`), encodePng({ width: 64, height: 48, data: new Uint8Array(64 * 48), channels: 1, depth: 8 }));
      const a = path.join(dir, 'a.csv'), b = path.join(dir, 'b.csv');
      writeFileSync(a, viaCsv([['case1.jpg', [{ name: 'rect', x: 0, y: 0, width: 10, height: 10 }]], ['other.png', []]]));
      writeFileSync(b, viaCsv([['case1.png', [{ name: 'polygon', all_points_x: [0, 10, 10, 0], all_points_y: [5, 5, 10, 10] }]]]));
      const out = path.join(dir, 'r.json');
      const res = await cli(['agreement', '--readers', `${a},${b}`, '--study', path.join(dir, 'study'), '--out', out, '--names', 'Ann,Bo']);
      expect(res.code).toBe(0);
      const r = JSON.parse(readFileSync(out, 'utf8'));
      expect(r.cases.map((c: Record<string, unknown>) => [c.case, c.width, c.height, c.canvas])).toEqual([['c1', 64, 48, 'image']]);
      expect(r.unmatched).toEqual([{ reader: 'Ann', file: 'other.png', reason: 'no case named other' }]);
      // Ann covers 10 x 10, Bo the lower 10 x 5: consensus (2 of 2) is Bo's half; IoU(Ann, cons) = 0.5, IoU(Bo, cons) = 1
      expect(r.cases[0].perReader).toEqual({ Ann: { vsConsensusIoU: 0.5, vsOthersIoU: 0.5 }, Bo: { vsConsensusIoU: 1, vsOthersIoU: 0.5 } });
      expect(r.pooled.readerVsConsensusIoU).toBe(0.75);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('errors name the file and what it is', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hc-agree-bad-'));
    try {
      const f = path.join(dir, 'labels.csv');
      writeFileSync(f, 'image,label\na.png,1\n');
      const res = await cli(['agreement', '--readers', f, '--out', path.join(dir, 'o.json')]);
      expect(res.code).toBe(4);
      expect(res.json.code).toBe('BAD_INPUT_READER_FILE');
      expect(res.json.message).toMatch(/labels\.csv: is not a reader file/);
      const missing = await cli(['agreement', '--readers', path.join(dir, 'nope.csv'), '--out', path.join(dir, 'o.json')]);
      expect([missing.code, missing.json.code]).toEqual([3, 'NOT_FOUND_READER_FILE']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
