import 'fake-indexeddb/auto';
import { describe, expect, test } from 'vitest';
import { encode as encodePng } from 'fast-png';
import { openDatabase } from './db';
import { applyMerge, commonRoot, exportFile, importStudy, planMergeFile, type ImportSource } from './importExport';
import { decodeFiles } from '../core/study/importers/batch';
import { pixelHash } from '../core/study/hash';

let n = 0;
const freshDb = () => { const name = `ie-test-${Date.now()}-${n++}`; return () => openDatabase(name); };
const png = (values: number[], w = values.length) => new Blob([encodePng({ width: w, height: values.length / w, data: Uint8Array.from(values), channels: 1, depth: 8 }) as Uint8Array<ArrayBuffer>]);
const src = (path: string, file: Blob): ImportSource => ({ path, file });

describe('import into IndexedDB', () => {
  test('a MURA folder with a bad file and a duplicate: good images stored with labels, the bad one listed, the duplicate not added', async () => {
    const open = freshDb();
    const report = await importStudy([
      src('mura/XR_WRIST/patient1/study1_positive/image1.png', png([1, 2, 3, 4])),
      src('mura/XR_WRIST/patient1/study1_positive/image2.png', png([1, 2, 3, 4])), // same pixels
      src('mura/XR_HAND/patient2/study1_negative/image1.png', png([9, 9, 9, 9])),
      src('mura/XR_HAND/patient2/study1_negative/broken.png', new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0])])),
      src('mura/.DS_Store', new Blob(['x'])),
    ], { decode: (f) => decodeFiles(f), open, now: 1000 });
    expect(report.studyName).toBe('mura');
    expect(report.added.map((a) => [a.name, a.label, a.bodyPart])).toEqual([
      ['XR_WRIST/patient1/study1_positive/image1.png', 1, 'WRIST'],
      ['XR_HAND/patient2/study1_negative/image1.png', 0, 'HAND'],
    ]);
    expect(report.duplicates).toEqual([{ file: 'XR_WRIST/patient1/study1_positive/image2.png', sameAs: 'XR_WRIST/patient1/study1_positive/image1.png' }]);
    expect(report.problems.map((p) => [p.file, p.code])).toEqual([['XR_HAND/patient2/study1_negative/broken.png', 'IMPORT_TRUNCATED']]);
    const db = await open();
    const cases = await db.getAll('cases');
    expect(cases.map((c) => c.imageHash).sort()).toEqual([await pixelHash(Uint8Array.from([1, 2, 3, 4])), await pixelHash(Uint8Array.from([9, 9, 9, 9]))].sort());
    expect(await db.count('images')).toBe(2);
    // importing the same folder again adds nothing
    const again = await importStudy([src('x/a.png', png([9, 9, 9, 9]))], { decode: (f) => decodeFiles(f), open, now: 2000 });
    expect(again.added).toEqual([]);
    expect(again.duplicates[0].sameAs).toMatch(/XR_HAND.*already stored/);
    expect(await db.count('cases')).toBe(2);
  });

  test('a batch whose write fails changes nothing already stored', async () => {
    const open = freshDb();
    await importStudy([src('a/one.png', png([5, 6]))], { decode: (f) => decodeFiles(f), open, now: 1 });
    const db = await open();
    const before = { cases: await db.count('cases'), images: await db.count('images'), studies: await db.count('studies') };
    // A decoded image whose pixels cannot be stored (a function is not structured-cloneable): the put throws inside the transaction.
    const report = await importStudy([src('b/two.png', png([7, 8])), src('b/three.png', png([1, 1]))], {
      open, now: 2,
      decode: async (f) => {
        const r = await decodeFiles(f);
        (r.decoded[1] as unknown as { info: Record<string, unknown> }).info.bad = () => 0;
        return r;
      },
    });
    expect(report.storageError).toMatch(/Nothing of the last 2 file/);
    expect(report.added).toEqual([]);
    expect({ cases: await db.count('cases'), images: await db.count('images'), studies: await db.count('studies') }).toEqual(before);
  });

  test('commonRoot strips the picked folder only when every path shares it', () => {
    expect(commonRoot(['a/x.png', 'a/b/y.png'])).toEqual({ root: 'a', rel: ['x.png', 'b/y.png'] });
    expect(commonRoot(['a/x.png', 'b/y.png'])).toEqual({ root: '', rel: ['a/x.png', 'b/y.png'] });
    expect(commonRoot(['x.png'])).toEqual({ root: '', rel: ['x.png'] });
  });
});

describe('export and merge through IndexedDB', () => {
  test('project export, import into a fresh database, export again: identical; a reader file with other boxes is a conflict', async () => {
    const a = freshDb();
    const rep = await importStudy([src('s/a.png', png([1, 2, 3, 4], 2)), src('s/b.png', png([4, 3, 2, 1], 2))], { decode: (f) => decodeFiles(f), open: a, now: 5 });
    const dbA = await a();
    await dbA.put('settings', { key: 'currentStudy', value: rep.studyId });
    await dbA.put('readers', { id: 'R1', name: 'Ann', order: 0 });
    const cases = await dbA.getAll('cases');
    await dbA.put('annotations', { readerId: 'R1', caseId: cases[0].id, boxes: [{ id: 'x', x0: 0, y0: 0, x1: 1, y1: 2 }], status: 'done', updatedAt: 10, rev: 1 });
    const now = new Date('2024-01-01T00:00:00Z');
    const first = await exportFile('project', { open: a, now });
    const b = freshDb();
    const plan = await planMergeFile(first.data as string, first.name, b);
    expect(plan.conflicts).toEqual([]);
    await applyMerge(plan, {}, b);
    const second = await exportFile('project', { open: b, now });
    expect(second.data).toBe(first.data);

    // a reader's file with a moved box for the same case: a conflict, written only after a choice
    const readerFile = JSON.parse(first.data as string);
    readerFile.kind = 'reader';
    readerFile.annotations[0].boxes[0].x1 = 2;
    const p2 = await planMergeFile(JSON.stringify(readerFile), 'r1.json', b);
    expect(p2.conflicts).toHaveLength(1);
    await expect(applyMerge(p2, {}, b)).rejects.toThrow(/conflict/);
    expect((await (await b()).get('annotations', ['R1', cases[0].id]))!.boxes[0].x1).toBe(1); // untouched
    await applyMerge(p2, { [p2.conflicts[0].key]: 'theirs' }, b);
    const after = (await (await b()).get('annotations', ['R1', cases[0].id]))!;
    expect([after.boxes[0].x1, after.rev]).toEqual([2, 2]);
  });
});
