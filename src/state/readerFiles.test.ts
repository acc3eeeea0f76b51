import 'fake-indexeddb/auto';
import { describe, expect, test } from 'vitest';
import { encode as encodePng } from 'fast-png';
import { openDatabase } from './db';
import { exportFile, importStudy, type ImportSource } from './importExport';
import { applyReaderFile, planReaderFile } from './readerFiles';
import { decodeFiles } from '../core/study/importers/batch';
import { parseViaCsv } from '../core/annotation/formats';
import { studyReaderAgreement } from '../core/annotation';
import { currentStudyAgreement } from './studyAgreement';
import { createAnnotationsStore, idbAnnotationIO } from './annotations';

let n = 0;
const freshDb = () => { const name = `rf-test-${Date.now()}-${n++}`; return () => openDatabase(name); };
const png = (seed: number) => new Blob([encodePng({ width: 8, height: 6, data: Uint8Array.from({ length: 48 }, (_, i) => (i * seed) & 255), channels: 1, depth: 8 }) as Uint8Array<ArrayBuffer>]);
const src = (path: string, file: Blob): ImportSource => ({ path, file });

const VIA = [
  'filename,file_size,file_attributes,region_count,region_id,region_shape_attributes,region_attributes',
  'chest01.jpg,100,"{}",2,0,"{""name"":""rect"",""x"":1,""y"":1,""width"":3,""height"":2}","{}"',
  'chest01.jpg,100,"{}",2,1,"{""name"":""polygon"",""all_points_x"":[0,6,0],""all_points_y"":[0,0,5]}","{}"',
  'chest02.jpg,100,"{}",0,0,"{}","{}"',
  'elsewhere.jpg,100,"{}",1,0,"{""name"":""ellipse"",""cx"":1,""cy"":1,""rx"":1,""ry"":1,""theta"":0}","{}"',
  '',
].join('\n');

describe('a VIA reader file into the current study', () => {
  test('matched by file name into a new reader, one record per listed case; unmatched listed; VIA CSV export gives the regions back', async () => {
    const open = freshDb();
    const rep = await importStudy([src('study/chest01.png', png(3)), src('study/chest02.png', png(5)), src('study/chest03.png', png(7))], { decode: (f) => decodeFiles(f), open, now: 1 });
    const db = await open();
    await db.put('settings', { key: 'currentStudy', value: rep.studyId });
    const readersBefore = await db.count('readers'); // the study's own readers, made by its import
    const plan = await planReaderFile(VIA, 'dr-lee.csv', open);
    expect(plan.counts).toEqual({ images: 3, matched: 2, boxes: 1, polygons: 1 });
    expect(plan.match.unmatched).toEqual([{ file: 'elsewhere.jpg', reason: 'no case named elsewhere' }]);
    expect(plan.file.warnings[0]).toMatch(/skipped 1 ellipse region/);
    expect(plan.suggestedName).toBe('dr-lee');
    const res = await applyReaderFile(plan, 'Dr Lee', open, 5);
    expect(res).toMatchObject({ reader: { id: 'Dr-Lee', name: 'Dr Lee' }, cases: 2, regions: 2 });
    const recs = (await db.getAllFromIndex('annotations', 'byReader', 'Dr-Lee')).sort((a, b) => a.caseId.localeCompare(b.caseId));
    expect(recs.map((r) => [r.caseId.split(':').pop(), r.status, r.boxes.map((b) => [b.x0, b.y0, b.x1, b.y1]), r.polygons?.map((p) => p.points)])).toEqual([
      ['chest01.png', 'done', [[1, 1, 4, 3]], [[[0, 0], [6, 0], [0, 5]]]],
      ['chest02.png', 'no-finding', [], undefined],
    ]);
    // editing the imported reader's boxes in the app keeps the polygons (they are not edited here)
    const store = createAnnotationsStore({ io: idbAnnotationIO(open), channel: null });
    const chest01 = recs[0].caseId;
    await store.getState().load('Dr-Lee', chest01);
    store.getState().setBoxes('Dr-Lee', chest01, []);
    await store.getState().flush();
    const edited = await db.get('annotations', ['Dr-Lee', chest01]);
    expect([edited!.boxes, edited!.polygons?.map((p) => p.points)]).toEqual([[], [[[0, 0], [6, 0], [0, 5]]]]);
    expect(() => store.getState().setStatus('Dr-Lee', chest01, 'no-finding')).toThrow(/1 imported polygon/);
    store.getState().setBoxes('Dr-Lee', chest01, [{ id: 'b1', x0: 1, y0: 1, x1: 4, y1: 3 }]);
    await store.getState().flush();
    store.getState().dispose();
    // the same name again is refused, nothing written
    await expect(applyReaderFile(plan, 'Dr Lee', open)).rejects.toThrow(/already exists/);
    expect(await db.count('readers')).toBe(readersBefore + 1);
    // a second reader, then the study figures equal core's on the full image grids
    const second = await planReaderFile(VIA.replace('""x"":1,""y"":1', '""x"":2,""y"":0'), 'two.csv', open);
    await applyReaderFile(second, 'Two', open);
    const got = await currentStudyAgreement(2, open);
    const cases = (await db.getAll('cases')).filter((c) => c.name !== 'chest03.png');
    const want = studyReaderAgreement(cases.map((c) => ({ id: c.id, width: c.width, height: c.height, readers: c.name === 'chest01.png'
      ? { 'Dr-Lee': [[1, 1, 4, 3], { polygon: [[0, 0], [6, 0], [0, 5]] }], Two: [[2, 0, 5, 2], { polygon: [[0, 0], [6, 0], [0, 5]] }] }
      : { 'Dr-Lee': [], Two: [] } })), 2).pooled;
    expect(got.pairs).toBe(2);
    expect(got.readerVsConsensusIoU).toBeCloseTo(want.readerVsConsensusIoU, 12);
    expect(got.readerVsOthersIoU).toBeCloseTo(want.readerVsOthersIoU, 12);
    expect(got.readerVsConsensusIoU).toBeGreaterThan(0);
    const via = await exportFile('via-csv', { open, readerId: 'Dr-Lee', now: new Date(0) });
    const back = parseViaCsv(via.data as string, via.name);
    expect(back.images.map((i) => [i.file, i.regions])).toEqual([['chest01.png', [[1, 1, 4, 3], { polygon: [[0, 0], [6, 0], [0, 5]] }]], ['chest02.png', []]]);
  });

  test('a file that matches no case writes nothing and says so', async () => {
    const open = freshDb();
    const rep = await importStudy([src('s/a.png', png(3))], { decode: (f) => decodeFiles(f), open, now: 1 });
    await (await open()).put('settings', { key: 'currentStudy', value: rep.studyId });
    const readersBefore = await (await open()).count('readers');
    const plan = await planReaderFile(VIA, 'x.csv', open);
    await expect(applyReaderFile(plan, 'X', open)).rejects.toThrow(/x\.csv: none of its 3 image name\(s\) matches a case/);
    expect(await (await open()).count('readers')).toBe(readersBefore);
  });
});
