import 'fake-indexeddb/auto';
import { describe, expect, test } from 'vitest';
import { encode as encodePng } from 'fast-png';
import { openDatabase } from './db';
import { exportFile, importStudy, type ExportKind, type ImportSource } from './importExport';
import { decodeFiles } from '../core/study/importers/batch';
import { writeDicom } from '../core/study/importers/testing/dicomFixtures';
import { redactName } from '../core/export/privacy';

/**
 * Identifier-like file names, from DICOM files that hold the same patient and from PNGs that hold
 * nothing but their name: with identifiers off (the default) no fragment of them reaches any
 * export, its contents or its file name, including case ids and whatever repeats them (settings,
 * results).
 */
const png = (seed: number) => new Blob([encodePng({ width: 8, height: 6, data: Uint8Array.from({ length: 48 }, (_, i) => (i * seed) % 251), channels: 1, depth: 8 }) as Uint8Array<ArrayBuffer>]);
const dcm = (seed: number) => new Blob([writeDicom({ rows: 6, cols: 8, values: Uint16Array.from({ length: 48 }, (_, i) => i * 40 + seed), patient: { name: 'DOE^JOHN', id: 'MRN1234567', birthDate: '19650412' } }) as Uint8Array<ArrayBuffer>]);

const FILES: Array<[string, Blob]> = [
  ['hospital/MRN1234567_chest.dcm', dcm(1)],
  ['hospital/DOE_JOHN_19650412.dcm', dcm(2)],
  ['hospital/2023-04-05_knee.png', png(3)],
  ['hospital/scan_05.03.2021.png', png(5)],
  ['hospital/ACC 88123_wrist.png', png(7)],
];
// every fragment that identifies someone in those names and files
const SECRETS = ['MRN1234567', '1234567', 'DOE', 'JOHN', '19650412', '2023-04-05', '05.03.2021', '88123'];

describe('privacy: identifier-like file names never reach an export with identifiers off', () => {
  test('project, reader, COCO, CSV, masks and metrics exports (contents and file names)', async () => {
    const name = `privacy-${Date.now()}`;
    const open = () => openDatabase(name);
    const report = await importStudy(FILES.map(([path, file]): ImportSource => ({ path, file })), { decode: (f) => decodeFiles(f), open, now: 5000, readerNames: ['Ann', 'Ben'] });
    expect(report.added).toHaveLength(5);
    expect(report.problems).toEqual([]);
    const db = await open();
    const cases = await db.getAll('cases');
    const [r1, r2] = report.readers.map((r) => r.id);
    // boxes by both readers (for the consensus masks), a setting and a result naming cases
    for (const c of cases) {
      for (const r of [r1, r2]) await db.put('annotations', { readerId: r, caseId: c.id, boxes: [{ id: `${r}-${c.id}`, x0: 1, y0: 1, x1: 5, y1: 4 }], status: 'done', updatedAt: 1, rev: 1 });
    }
    await db.put('settings', { key: 'compare.case', value: cases[0].id });
    await db.put('results', { key: `trust|${cases[1].id}`, kind: 'trust', createdAt: 1, value: { perCase: Object.fromEntries(cases.map((c) => [c.id, { name: c.name, iou: 0.5 }])) } });
    const kinds: ExportKind[] = ['project', 'reader', 'coco', 'via-csv', 'csv', 'masks', 'metrics-json', 'metrics-csv'];
    for (const kind of kinds) {
      const f = await exportFile(kind, { open, readerId: r1, now: new Date(0) });
      const text = typeof f.data === 'string' ? f.data : Buffer.from(f.data).toString('latin1');
      for (const s of SECRETS) {
        expect(text.toUpperCase(), `${kind} export holds "${s}"`).not.toContain(s.toUpperCase());
        expect(f.name.toUpperCase(), `${kind} file name holds "${s}"`).not.toContain(s.toUpperCase());
      }
      // the cases are still there, under their redacted names (COCO, CSV, project: by name)
      if (kind === 'csv') expect(text.split('\n').filter((l) => l.includes('[removed]-')).length).toBe(5); // reader r1's five boxes
      if (kind === 'masks') expect(text).toContain('[removed]-');
      if (kind === 'metrics-json' || kind === 'metrics-csv') expect(text).toContain('[removed]-');
    }
    // the project's case ids are redacted the same way as its names, and stay distinct
    const project = JSON.parse((await exportFile('project', { open, now: new Date(0) })).data as string) as { cases: Array<{ id: string; name: string; study: string }>; settings: Record<string, unknown> };
    for (const c of project.cases) expect(c.id).toBe(`${c.study}:${c.name}`);
    expect(new Set(project.cases.map((c) => c.id)).size).toBe(5);
    expect(project.cases.map((c) => c.id)).toContain(project.settings['compare.case']); // the setting names the same redacted id
    // with identifiers asked for, the names come back unchanged
    const withIds = (await exportFile('csv', { open, includeIdentifiers: true })).data as string;
    expect(withIds).toContain('MRN1234567_chest.dcm');
    expect(withIds).toContain('DOE_JOHN_19650412.dcm');
  });

  test('names without identifiers are kept; each identifying component goes as a whole', () => {
    expect(redactName('XR_WRIST/patient00001/study1_positive/image1.png')).toBe('XR_WRIST/patient00001/study1_positive/image1.png');
    expect(redactName('case-0001')).toBe('case-0001');
    expect(redactName('MRN1234567_chest.dcm', {}, 'ab12cd34')).toBe('[removed]-ab12cd34.dcm');
    expect(redactName('DOE_JOHN/x.png', { PatientName: 'DOE^JOHN' }, 't')).toBe('[removed]-t/x.png');
    expect(redactName('scan_2021-03-05.png')).toBe('[removed].png');
    expect(redactName('pid_A77.jpg')).toBe('[removed].jpg');
  });
});
