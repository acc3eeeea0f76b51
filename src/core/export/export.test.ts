import { describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decode as decodePng } from 'fast-png';
import { buildProject, parseProject, serializeProject, PROJECT_SCHEMA } from './project';
import { toCoco } from './coco';
import { toFlatCsv } from './flatCsv';
import { consensusMaskFiles, consensusMasksZip } from './masks';
import { metricsCsv, metricsJson } from './metrics';
import { crc32 } from './zip';
import { fromBase64, toBase64 } from './base64';
import { planMerge, resolveAnnotations, type LocalProject } from '../study/merge';
import type { AnnotationRec, ProjectSnapshot } from './types';

const H1 = 'a'.repeat(64), H2 = 'b'.repeat(64), H3 = 'c'.repeat(64);
const now = new Date('2024-05-01T12:00:00Z');

function snapshot(): ProjectSnapshot {
  const images = new Map([
    [H1, { hash: H1, width: 6, height: 4, pixels: Uint8Array.from({ length: 24 }, (_, i) => i * 10), source: 'XR_WRIST/patient1/study1_positive/image1.png' }],
    [H2, { hash: H2, width: 3, height: 2, pixels: Uint16Array.from([0, 1000, 4095, 7, 8, 65535]), window: { center: 2048, width: 4096 }, invert: true, source: 'DOE_JANE/IMG1.dcm' }],
    [H3, { hash: H3, width: 2, height: 1, pixels: Float32Array.from([-1024.5, 3.25]), source: 'ct.dcm' }],
  ]);
  return {
    studies: [{ id: 'import-1', name: 'My import', source: 'import', createdAt: 1000 }],
    cases: [
      { id: 'import-1:wrist', studyId: 'import-1', imageHash: H1, name: 'XR_WRIST/patient1/study1_positive/image1.png', label: 1, bodyPart: 'WRIST', width: 6, height: 4, order: 0 },
      { id: 'import-1:dcm', studyId: 'import-1', imageHash: H2, name: 'DOE_JANE/IMG1.dcm', label: 0, width: 3, height: 2, order: 1,
        meta: { dicom: { modality: 'DX' }, identifiers: { PatientName: 'DOE^JANE', PatientID: 'PID-42', PatientBirthDate: '19700101' } } },
      { id: 'import-1:ct', studyId: 'import-1', imageHash: H3, name: 'ct.dcm', label: null, width: 2, height: 1, order: 2 },
    ],
    images,
    readers: [{ id: 'R1', name: 'Ann', order: 0 }, { id: 'R2', name: 'Bob', order: 1 }, { id: 'R3', name: 'Cy', order: 2, simulated: true }],
    annotations: [
      { readerId: 'R1', caseId: 'import-1:wrist', boxes: [{ id: 'b1', x0: 0, y0: 0, x1: 4, y1: 4 }], status: 'done', updatedAt: 5, rev: 2 },
      { readerId: 'R2', caseId: 'import-1:wrist', boxes: [{ id: 'b2', x0: 2, y0: 0, x1: 6, y1: 4 }], status: 'done', updatedAt: 6, rev: 1 },
      { readerId: 'R3', caseId: 'import-1:wrist', boxes: [], status: 'no-finding', updatedAt: 7, rev: 1 },
      { readerId: 'R1', caseId: 'import-1:dcm', boxes: [{ id: 'b3', x0: 0.5, y0: 0, x1: 2, y1: 1.5 }], status: 'in-progress', updatedAt: 8, rev: 1 },
    ],
    settings: [{ key: 'annotate.quorum', value: 2 }, { key: 'view', value: { colormap: 'inferno' } }],
    results: [{ key: 'k1', kind: 'metrics', createdAt: 9, value: { auroc: 0.75, map: Float32Array.from([0.5, 0.25]), params: { steps: 25, seed: 1 } } }],
  };
}

const emptyLocal = (): LocalProject => ({ studies: [], cases: [], readers: [], annotations: [], settingKeys: new Set(), resultKeys: new Set() });

/** Applies a merge plan to an in-memory store (what the state layer does in one transaction). */
function apply(local: ProjectSnapshot, plan: ReturnType<typeof planMerge>, annotations: AnnotationRec[]): ProjectSnapshot {
  const images = new Map(local.images);
  for (const i of plan.images) images.set(i.hash, i);
  const ann = new Map(local.annotations.map((a) => [`${a.readerId}|${a.caseId}`, a]));
  for (const a of annotations) ann.set(`${a.readerId}|${a.caseId}`, a);
  return {
    studies: [...local.studies, ...plan.studies], cases: [...local.cases, ...plan.cases], images,
    readers: [...local.readers, ...plan.readers], annotations: [...ann.values()],
    settings: [...local.settings, ...plan.settings], results: [...local.results, ...plan.results],
  };
}

describe('project file', () => {
  test('round trip: export, import into an empty store, export again: the same file', () => {
    const first = serializeProject(buildProject(snapshot(), { now, appVersion: '0.1.0' }));
    const parsed = parseProject(first, 'p.json');
    expect(parsed.schema).toBe(PROJECT_SCHEMA);
    expect(parsed.version).toBe(1);
    const plan = planMerge(emptyLocal(), parsed);
    expect(plan.conflicts).toEqual([]);
    const empty: ProjectSnapshot = { studies: [], cases: [], images: new Map(), readers: [], annotations: [], settings: [], results: [] };
    const restored = apply(empty, plan, resolveAnnotations(plan, {}));
    // pixels, types, window and invert survive exactly
    const img2 = restored.images!.get(H2)!;
    expect(img2.pixels).toBeInstanceOf(Uint16Array);
    expect(Array.from(img2.pixels)).toEqual([0, 1000, 4095, 7, 8, 65535]);
    expect([img2.window, img2.invert]).toEqual([{ center: 2048, width: 4096 }, true]);
    expect(Array.from(restored.images!.get(H3)!.pixels)).toEqual([-1024.5, 3.25]);
    expect((restored.results[0].value as { map: Float32Array }).map).toBeInstanceOf(Float32Array);
    // the identifiers were not exported, so the restored store has none: compare with that in mind
    const again = serializeProject(buildProject(restored, { now, appVersion: '0.1.0' }));
    expect(again).toBe(first);
  });

  test('cases are keyed by content hash; annotations name the case by it; the layout is the documented one', () => {
    const p = buildProject(snapshot(), { now });
    expect(Object.keys(p)).toEqual(['schema', 'version', 'kind', 'exportedAt', 'app', 'identifiersIncluded', 'studies', 'cases', 'readers', 'annotations', 'settings', 'results']);
    expect(p.cases.map((c) => c.hash)).toEqual([H1, H2, H3]);
    expect(p.annotations.map((a) => [a.reader, a.case])).toEqual([['R1', H1], ['R1', H2], ['R2', H1], ['R3', H1]]);
    expect(p.settings).toEqual({ 'annotate.quorum': 2, view: { colormap: 'inferno' } });
  });

  test('privacy: DICOM identifiers stay out unless asked for, also out of names and sources', () => {
    const off = serializeProject(buildProject(snapshot(), { now }));
    for (const s of ['DOE', 'JANE', 'PID-42', '19700101']) expect(off).not.toContain(s);
    // a name component holding an identifier goes as a whole, tagged with the image hash so names stay distinct
    expect(off).toContain('[removed]-bbbbbbbb/IMG1.dcm');
    const coco = JSON.stringify(toCoco(snapshot(), { now }));
    const csv = toFlatCsv(snapshot());
    const masks = consensusMaskFiles(snapshot()).map((f) => (typeof f.data === 'string' ? f.data : f.name)).join('\n');
    for (const text of [coco, csv, masks]) for (const s of ['DOE', 'JANE', 'PID-42']) expect(text).not.toContain(s);
    const on = serializeProject(buildProject(snapshot(), { now, includeIdentifiers: true }));
    expect(on).toContain('PID-42');
    expect(on).toContain('"identifiersIncluded":true');
  });

  test("one reader's work: that reader, their boxes, no images, settings or results", () => {
    const p = buildProject(snapshot(), { now, readerId: 'R1' });
    expect(p.kind).toBe('reader');
    expect(p.readers.map((r) => r.id)).toEqual(['R1']);
    expect(p.annotations.every((a) => a.reader === 'R1')).toBe(true);
    expect(p.annotations).toHaveLength(2);
    expect(p.cases.every((c) => c.image === undefined)).toBe(true);
    expect([p.settings, p.results]).toEqual([{}, []]);
    expect(() => buildProject(snapshot(), { readerId: 'R9' })).toThrow(/R9/);
  });

  test('bad project files are refused with the reason', () => {
    expect(() => parseProject('{', 'x.json')).toThrow(/x\.json: is not JSON/);
    expect(() => parseProject('{"schema":"other"}', 'x.json')).toThrow(/schema "other"/);
    expect(() => parseProject(JSON.stringify({ schema: PROJECT_SCHEMA, version: 2 }), 'x.json')).toThrow(/version 2/);
    const p = buildProject(snapshot(), { now });
    p.annotations[0].case = 'd'.repeat(64);
    expect(() => parseProject(JSON.stringify(p), 'x.json')).toThrow(/annotation 1 names case/);
  });
});

describe('COCO, flat CSV, masks, metrics', () => {
  test('COCO: bbox [x, y, w, h] and the reader as an attribute', () => {
    const coco = toCoco(snapshot(), { now });
    expect(coco.images.map((i) => [i.id, i.width, i.height])).toEqual([[1, 6, 4], [2, 3, 2], [3, 2, 1]]);
    expect(coco.annotations).toEqual([
      { id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 4, 4], area: 16, iscrowd: 0, attributes: { reader: 'R1' } },
      { id: 2, image_id: 1, category_id: 1, bbox: [2, 0, 4, 4], area: 16, iscrowd: 0, attributes: { reader: 'R2' } },
      { id: 3, image_id: 2, category_id: 1, bbox: [0.5, 0, 1.5, 1.5], area: 2.25, iscrowd: 0, attributes: { reader: 'R1' } },
    ]);
    expect(coco.categories).toEqual([{ id: 1, name: 'abnormality', supercategory: 'finding' }]);
  });

  test('flat CSV: image,reader,x0,y0,x1,y1', () => {
    expect(toFlatCsv(snapshot())).toBe(
      'image,reader,x0,y0,x1,y1\n' +
      'XR_WRIST/patient1/study1_positive/image1.png,R1,0,0,4,4\n' +
      'XR_WRIST/patient1/study1_positive/image1.png,R2,2,0,6,4\n' +
      '[removed]-bbbbbbbb/IMG1.dcm,R1,0.5,0,2,1.5\n');
  });

  test('consensus masks: 2 of 3 finished readers (one said no finding) mark the overlap; in-progress reads do not count', () => {
    const files = consensusMaskFiles(snapshot(), { quorum: 2 });
    expect(files.map((f) => f.name)).toEqual(['XR_WRIST_patient1_study1_positive_image1.png', 'masks.csv']);
    const png = decodePng(files[0].data as Uint8Array);
    expect([png.width, png.height]).toEqual([6, 4]);
    // R1 covers x 0..3, R2 x 2..5: two readers on x = 2, 3 in every row
    const row = [0, 0, 255, 255, 0, 0];
    expect(Array.from(png.data)).toEqual([...row, ...row, ...row, ...row]);
    expect(files[1].data).toBe(`file,image,hash,readers,quorum\nXR_WRIST_patient1_study1_positive_image1.png,XR_WRIST/patient1/study1_positive/image1.png,${H1},R1 R2 R3,2\n`);
  });

  test('the masks ZIP opens in Python\'s zipfile with the same bytes', () => {
    const zip = consensusMasksZip(snapshot());
    const dir = mkdtempSync(path.join(tmpdir(), 'hc-zip-'));
    try {
      writeFileSync(path.join(dir, 'm.zip'), zip);
      const out = execFileSync('/usr/bin/python3', ['-c', 'import zipfile,sys,hashlib\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nfor i in z.infolist(): print(i.filename, i.file_size, hashlib.sha256(z.read(i)).hexdigest())', path.join(dir, 'm.zip')], { encoding: 'utf8' });
      const files = consensusMaskFiles(snapshot());
      const lines = out.trim().split('\n');
      expect(lines.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(files.map((f) => `consensus-masks/${f.name} ${typeof f.data === 'string' ? new TextEncoder().encode(f.data).length : f.data.length}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the CRC-32 check value
  });

  test('metrics JSON keeps every parameter; CSV flattens them into columns', () => {
    const results = snapshot().results;
    const j = metricsJson(results, { now });
    expect(j.results[0].value).toEqual({ auroc: 0.75, map: { $typed: 'Float32Array', base64: toBase64(new Uint8Array(Float32Array.from([0.5, 0.25]).buffer)) }, params: { seed: 1, steps: 25 } });
    expect(metricsCsv(results)).toBe('key,kind,createdAt,auroc,map,params.seed,params.steps\nk1,metrics,1970-01-01T00:00:00.009Z,0.75,[2 values],1,25\n');
  });

  test('base64 matches Node\'s Buffer on awkward lengths', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 30000]) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 255);
      expect(toBase64(b)).toBe(Buffer.from(b).toString('base64'));
      expect(Array.from(fromBase64(toBase64(b)))).toEqual(Array.from(b));
    }
  });
});

describe('merge', () => {
  const local = (): LocalProject => {
    const s = snapshot();
    return { studies: s.studies, cases: s.cases, readers: s.readers, annotations: s.annotations, settingKeys: new Set(['annotate.quorum']), resultKeys: new Set() };
  };

  test("a reader's export: same boxes are unchanged, different boxes are a conflict, untouched records are filled", () => {
    const s = snapshot();
    s.annotations[0] = { ...s.annotations[0], boxes: [{ id: 'other-id', x0: 0, y0: 0, x1: 4, y1: 4 }] }; // same rectangle, new id
    s.annotations[3] = { ...s.annotations[3], boxes: [{ id: 'b3', x0: 1, y0: 0, x1: 2, y1: 2 }], status: 'done', rev: 4 }; // moved
    s.annotations.push({ readerId: 'R1', caseId: 'import-1:ct', boxes: [{ id: 'n', x0: 0, y0: 0, x1: 1, y1: 1 }], status: 'done', updatedAt: 20, rev: 1 });
    const incoming = parseProject(serializeProject(buildProject(s, { now, readerId: 'R1' })));
    const mine = local();
    mine.annotations.push({ readerId: 'R1', caseId: 'import-1:ct', boxes: [], status: 'unread', updatedAt: 1, rev: 3 });
    const plan = planMerge(mine, incoming);
    expect(plan.duplicateCases).toBe(3);
    expect(plan.unchanged).toBe(1);
    expect(plan.conflicts.map((c) => [c.readerId, c.caseId, c.mine.boxes[0].x0, c.theirs.boxes[0].x0])).toEqual([['R1', 'import-1:dcm', 0.5, 1]]);
    expect(plan.annotations.map((a) => [a.caseId, a.rev])).toEqual([['import-1:ct', 4]]); // rev past the stored 3
    expect(() => resolveAnnotations(plan, {})).toThrow(/1 conflict/);
    expect(resolveAnnotations(plan, { [plan.conflicts[0].key]: 'mine' }).map((a) => a.caseId)).toEqual(['import-1:ct']);
    const theirs = resolveAnnotations(plan, { [plan.conflicts[0].key]: 'theirs' });
    expect(theirs[1]).toMatchObject({ caseId: 'import-1:dcm', boxes: [{ x0: 1 }], rev: 5 });
  });

  test('cases match by hash, not by id or name; cases neither here nor embedded are reported missing', () => {
    const s = snapshot();
    s.cases = s.cases.map((c) => ({ ...c, id: `other:${c.order}`, name: `renamed-${c.order}` }));
    s.annotations = s.annotations.map((a) => ({ ...a, caseId: `other:${s.cases.findIndex((c) => c.imageHash === snapshot().cases.find((x) => x.id === a.caseId)!.imageHash)}` }));
    const incoming = parseProject(serializeProject(buildProject(s, { now, readerId: 'R2' })));
    const plan = planMerge(local(), incoming);
    expect(plan.cases).toEqual([]);
    expect(plan.unchanged).toBe(1); // R2's box on the wrist case, found by its hash
    const known = local();
    known.cases = known.cases.filter((c) => c.imageHash !== H1);
    expect(planMerge(known, incoming).missingCases).toEqual([{ hash: H1, name: 'renamed-0' }]);
  });
});
