import { afterAll, describe, expect, test } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encode as encodePng } from 'fast-png';
import { generatePhantomCase } from '../core/phantom';
import { readStudyFolder } from './studyFolder';
import { HeatcheckError } from './errors';
import { TS, writeDicom, encodeJ2k } from '../core/study/importers/testing/dicomFixtures';

const root = mkdtempSync(path.join(tmpdir(), 'heatcheck-studyfolder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function put(rel: string, data: Uint8Array | string) {
  const f = path.join(root, rel);
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, data);
}

describe('readStudyFolder on a MURA-shaped folder of phantom PNGs', () => {
  // [relative path, label the folder name gives, body part]
  const layout: Array<[string, 0 | 1, string]> = [
    ['mura/MURA-v1.1/valid/XR_WRIST/patient11185/study1_positive/image1.png', 1, 'WRIST'],
    ['mura/MURA-v1.1/valid/XR_WRIST/patient11185/study1_positive/image2.png', 1, 'WRIST'],
    ['mura/MURA-v1.1/valid/XR_ELBOW/patient11200/study1_negative/image1.png', 0, 'ELBOW'],
    ['mura/MURA-v1.1/valid/XR_HAND/patient11300/study2_negative/image1.png', 0, 'HAND'],
  ];
  const phantoms = layout.map((_, i) => generatePhantomCase(7, i, { size: 48 }));
  layout.forEach(([rel], i) => put(rel, encodePng({ width: 48, height: 48, data: phantoms[i].image, channels: 1, depth: 8 })));
  put('mura/MURA-v1.1/._image1.png', 'macOS resource fork, not an image');

  test('labels and body parts come from the path; images decode at full resolution', async () => {
    const s = readStudyFolder(path.join(root, 'mura'));
    expect(s.layout).toBe('mura');
    expect(s.cases.map((c) => [c.image, c.label, c.bodyPart])).toEqual(
      [...layout].sort((a, b) => a[0].localeCompare(b[0])).map(([rel, l, bp]) => [rel.slice('mura/'.length), l, bp]),
    );
    const c = s.cases.find((x) => x.image.endsWith('XR_HAND/patient11300/study2_negative/image1.png'))!;
    expect(c.id).toBe('MURA-v1.1/valid/XR_HAND/patient11300/study2_negative/image1');
    const img = await s.loadImage(c);
    expect([img.width, img.height]).toEqual([48, 48]);
    expect(Array.from(img.data)).toEqual(Array.from(phantoms[3].image));
  });

  test('*_labeled_studies.csv overrides the folder name when present', () => {
    // MURA's own file: study path from MURA's root, label; no header
    put('mura/MURA-v1.1/valid_labeled_studies.csv', 'MURA-v1.1/valid/XR_WRIST/patient11185/study1_positive/,1\nMURA-v1.1/valid/XR_ELBOW/patient11200/study1_negative/,1\n');
    put('mura/MURA-v1.1/valid_image_paths.csv', 'MURA-v1.1/valid/XR_WRIST/patient11185/study1_positive/image1.png\n');
    const s = readStudyFolder(path.join(root, 'mura'));
    const elbow = s.cases.find((x) => x.image.includes('XR_ELBOW'))!;
    expect(elbow.label).toBe(1);
    expect(s.cases.find((x) => x.image.includes('XR_HAND'))!.label).toBe(0); // not in the CSV: folder name
  });
});

describe('readStudyFolder on other layouts', () => {
  test('a labels CSV (image,label,body_part) labels PNG and DICOM images; a JPEG 2000 DICOM loads through the same loader', async () => {
    put('plain/a.png', encodePng({ width: 2, height: 2, data: new Uint8Array([1, 2, 3, 4]), channels: 1, depth: 8 }));
    put('plain/sub/b.dcm', writeDicom({ rows: 2, cols: 3, values: [10, 20, 30, 40, 50, 60] }));
    const j2kValues = Array.from({ length: 64 }, (_, i) => i * 50);
    put('plain/sub/c.dcm', writeDicom({ rows: 8, cols: 8, values: j2kValues, transferSyntax: TS.j2kLossless, frame: await encodeJ2k(j2kValues, 8, 8, 16) }));
    put('plain/labels.csv', 'image,label,body_part\na.png,1,CHEST\nsub/b.dcm,0,\nsub/c.dcm,normal,KNEE\n');
    const s = readStudyFolder(path.join(root, 'plain'));
    expect(s.layout).toBe('labels');
    expect(s.cases.map((c) => [c.id, c.label, c.bodyPart ?? null])).toEqual([['a', 1, 'CHEST'], ['sub/b', 0, null], ['sub/c', 0, 'KNEE']]);
    expect(Array.from((await s.loadImage(s.cases[1])).data)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(Array.from((await s.loadImage(s.cases[2])).data)).toEqual(j2kValues);
  });

  test('a bad labels CSV is reported with the file and what to do; an empty folder too', () => {
    put('badcsv/x.png', encodePng({ width: 1, height: 1, data: new Uint8Array([1]), channels: 1, depth: 8 }));
    put('badcsv/labels.csv', 'image,label\nx.png,maybe\n');
    expect(() => readStudyFolder(path.join(root, 'badcsv'))).toThrow(/labels\.csv.*line 2.*"maybe"/);
    mkdirSync(path.join(root, 'empty'), { recursive: true });
    try {
      readStudyFolder(path.join(root, 'empty'));
      expect.unreachable();
    } catch (e) {
      expect((e as HeatcheckError).code).toBe('BAD_INPUT_STUDY');
    }
  });
});
