import { describe, expect, test } from 'vitest';
import { decode as decodePng } from 'fast-png';
import { buildProject, parseProject, serializeProject } from './project';
import { toCoco } from './coco';
import { consensusMaskFiles } from './masks';
import { toViaCsvExport } from './viaCsv';
import { parseCoco, parseViaCsv } from '../annotation/formats';
import { planMerge } from '../study/merge';
import type { ProjectSnapshot } from './types';

const H = 'd'.repeat(64);
function snap(): ProjectSnapshot {
  return {
    studies: [{ id: 's', name: 'S', source: 'import', createdAt: 1 }],
    cases: [{ id: 's:a', studyId: 's', imageHash: H, name: 'folder/case-a.png', label: 1, width: 6, height: 4, order: 0 }],
    readers: [{ id: 'R1', name: 'R1', order: 0 }, { id: 'R2', name: 'R2', order: 1 }],
    annotations: [
      { readerId: 'R1', caseId: 's:a', boxes: [{ id: 'b', x0: 0, y0: 0, x1: 4, y1: 4 }], status: 'done', updatedAt: 1, rev: 1 },
      // a right triangle: covers (by the centre rule) row 0: x 0..3, row 1: 0..2, row 2: 0..1, row 3: 0
      { readerId: 'R2', caseId: 's:a', boxes: [], polygons: [{ id: 'p', points: [[0, 0], [5, 0], [0, 5]] }], status: 'done', updatedAt: 1, rev: 1 },
    ],
    settings: [], results: [],
  };
}

describe('polygon regions in the exports', () => {
  test('project file: polygons round-trip, records without polygons are written as before', () => {
    const text = serializeProject(buildProject(snap(), { includeImages: false }));
    const p = parseProject(text, 'p.json');
    expect(p.annotations.map((a) => a.polygons)).toEqual([undefined, [{ id: 'p', points: [[0, 0], [5, 0], [0, 5]] }]]);
    expect(Object.keys(JSON.parse(text).annotations[0])).toEqual(['reader', 'case', 'status', 'updatedAt', 'rev', 'boxes']);
    const plan = planMerge({ studies: [], cases: [{ ...snap().cases[0] }], readers: [], annotations: [], settingKeys: new Set(), resultKeys: new Set() }, p);
    expect(plan.annotations.find((a) => a.readerId === 'R2')!.polygons).toEqual([{ id: 'p', points: [[0, 0], [5, 0], [0, 5]] }]);
    const bad = JSON.parse(text);
    bad.annotations[1].polygons[0].points = [[0, 0], [1, 'x'], [2, 2]];
    expect(() => parseProject(JSON.stringify(bad), 'bad.json')).toThrow(/bad\.json: annotation 2 has a polygon that is not a list of 3 or more/);
  });
  test('consensus masks count the polygon like a box (2 of 2: box ∩ triangle)', () => {
    const png = decodePng(consensusMaskFiles(snap(), { quorum: 2 })[0].data as Uint8Array);
    const rows = Array.from({ length: 4 }, (_, j) => Array.from(png.data.slice(j * 6, j * 6 + 6)).map((v) => (v ? 1 : 0)).join(''));
    expect(rows).toEqual(['111100', '111000', '110000', '100000']);
  });
  test('COCO writes the polygon as segmentation with its shoelace area; reading it back gives the same regions', () => {
    const coco = toCoco(snap(), { now: new Date(0) });
    expect(coco.annotations[1]).toEqual({ id: 2, image_id: 1, category_id: 1, segmentation: [[0, 0, 5, 0, 0, 5]], bbox: [0, 0, 5, 5], area: 12.5, iscrowd: 0, attributes: { reader: 'R2' } });
    const back = parseCoco(coco, 'c.json');
    expect(back.images[0].regions).toEqual([[0, 0, 4, 4], { polygon: [[0, 0], [5, 0], [0, 5]] }]);
  });
  test('VIA CSV: one file per reader opens as VIA writes it; all readers name theirs in region_attributes', () => {
    expect(toViaCsvExport(snap(), { readerId: 'R2' })).toBe(
      'filename,file_size,file_attributes,region_count,region_id,region_shape_attributes,region_attributes\n' +
      'case-a.png,0,"{}",1,0,"{""name"":""polygon"",""all_points_x"":[0,5,0],""all_points_y"":[0,0,5]}","{""reader"":""R2""}"\n');
    const all = parseViaCsv(toViaCsvExport(snap()), 'all.csv');
    expect(all.images).toEqual([{ file: 'case-a.png', regions: [[0, 0, 4, 4], { polygon: [[0, 0], [5, 0], [0, 5]] }] }]);
  });
});
