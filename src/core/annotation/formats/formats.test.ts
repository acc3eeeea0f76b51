import { describe, expect, it } from 'vitest';
import { parseRegionFile, parseViaCsv, toViaCsv, matchImagesToCases, RegionFileError } from './index';
import { buildProject, serializeProject } from '../../export/project';
import type { ProjectSnapshot } from '../../export/types';

// Written as VIA 2.0.x's "Export Annotations (as csv)" writes it: header without '#', the JSON
// attribute fields always quoted with inner quotes doubled, an image without regions as
// region_count 0 and "{}" fields, LF line ends.
const VIA_CSV = [
  'filename,file_size,file_attributes,region_count,region_id,region_shape_attributes,region_attributes',
  'case01.png,52311,"{}",3,0,"{""name"":""rect"",""x"":10,""y"":20,""width"":30,""height"":40}","{""finding"":""nodule""}"',
  'case01.png,52311,"{}",3,1,"{""name"":""polygon"",""all_points_x"":[5,25,15],""all_points_y"":[5,5,30]}","{}"',
  'case01.png,52311,"{}",3,2,"{""name"":""circle"",""cx"":50,""cy"":50,""r"":12}","{}"',
  'case02.png,48876,"{""note"":""a, b""}",0,0,"{}","{}"',
  'case03.jpg,40000,"{}",2,0,"{""name"":""ellipse"",""cx"":5,""cy"":6,""rx"":3,""ry"":2,""theta"":0.5}","{}"',
  'case03.jpg,40000,"{}",2,1,"{""name"":""point"",""cx"":5,""cy"":6}","{}"',
  '',
].join('\n');

// A VIA 2.0.x project file (Project > Save): _via_settings, _via_img_metadata keyed by filename+size, _via_attributes.
const VIA_PROJECT = JSON.stringify({
  _via_settings: { ui: { annotation_editor_height: 25 }, core: { buffer_size: 18, filepath: {}, default_filepath: '' }, project: { name: 'via_project_3Mar2023_10h0m' } },
  _via_img_metadata: {
    'case01.png52311': { filename: 'case01.png', size: 52311, regions: [{ shape_attributes: { name: 'rect', x: 1, y: 2, width: 3, height: 4 }, region_attributes: {} }], file_attributes: {} },
    'case02.png48876': { filename: 'case02.png', size: 48876, regions: [{ shape_attributes: { name: 'polyline', all_points_x: [1, 2], all_points_y: [1, 2] }, region_attributes: {} }], file_attributes: {} },
  },
  _via_attributes: { region: {}, file: {} },
  _via_data_format_version: '2.0.10',
  _via_image_id_list: ['case01.png52311', 'case02.png48876'],
});

// VIA 1.x "Export Annotations (as json)" (via_region_data.json): regions as an object keyed "0", "1".
const VIA_REGION_DATA = JSON.stringify({
  'case04.png1234': { fileref: '', size: 1234, filename: 'case04.png', base64_img_data: '', file_attributes: {}, regions: { 0: { shape_attributes: { name: 'polygon', all_points_x: [0, 4, 4, 0], all_points_y: [0, 0, 4, 4] }, region_attributes: {} } } },
});

// COCO instances as pycocotools' tools write them: polygons as [[x1, y1, ...]], a crowd region as RLE, a box-only annotation.
const COCO = JSON.stringify({
  info: { description: 'readers' }, licenses: [],
  images: [{ id: 7, file_name: 'images/case01.png', width: 64, height: 48 }, { id: 8, file_name: 'case05.png', width: 32, height: 32 }],
  annotations: [
    { id: 1, image_id: 7, category_id: 1, segmentation: [[10.0, 10.0, 20.0, 10.0, 20.0, 20.0], [30, 30, 40, 30, 40, 40, 30, 40]], area: 150.0, bbox: [10.0, 10.0, 30.0, 30.0], iscrowd: 0 },
    { id: 2, image_id: 7, category_id: 1, segmentation: { counts: [0, 5, 10], size: [48, 64] }, area: 5, bbox: [0, 0, 1, 5], iscrowd: 1 },
    { id: 3, image_id: 8, category_id: 1, segmentation: [], area: 20, bbox: [1.5, 2.5, 4, 5], iscrowd: 0 },
  ],
  categories: [{ id: 1, name: 'abnormality', supercategory: 'finding' }],
});

describe('VIA CSV', () => {
  it('rect -> box, polygon -> polygon; circle, ellipse and point skipped with counts; an image without regions is listed', () => {
    const f = parseRegionFile(VIA_CSV, 'reader-a.csv');
    expect(f.format).toBe('via-csv');
    expect(f.images.map((i) => i.file)).toEqual(['case01.png', 'case02.png', 'case03.jpg']);
    expect(f.images[0].regions).toEqual([[10, 20, 40, 60], { polygon: [[5, 5], [25, 5], [15, 30]] }]);
    expect(f.images[1].regions).toEqual([]);
    expect(f.images[2].regions).toEqual([]);
    expect(f.skipped).toEqual([{ shape: 'circle', count: 1 }, { shape: 'ellipse', count: 1 }, { shape: 'point', count: 1 }]);
    expect(f.warnings.join('\n')).toMatch(/reader-a\.csv: skipped 1 circle region \(circles are not read/);
    expect(f.warnings.join('\n')).toMatch(/skipped 1 point region \(a point has no area\)/);
  });
  it('CRLF line ends and a BOM (Windows editors) read the same', () => {
    const f = parseViaCsv('\uFEFF' + VIA_CSV.replace(/\n/g, '\r\n'), 'x.csv');
    expect(f.images[0].regions).toHaveLength(2);
  });
  it('export and import again: the same regions, quoted as VIA quotes them', () => {
    const regions = [[1, 2, 3, 4] as [number, number, number, number], { polygon: [[0, 0], [5.5, 0], [2, 3]] as Array<[number, number]> }];
    const csv = toViaCsv([{ file: 'a.png', size: 10, regions, regionAttributes: [{ reader: 'R1' }, { reader: 'R1' }] }, { file: 'b, c.png', regions: [] }]);
    expect(csv.split('\n')[1]).toBe('a.png,10,"{}",2,0,"{""name"":""rect"",""x"":1,""y"":2,""width"":2,""height"":2}","{""reader"":""R1""}"');
    expect(csv.split('\n')[3]).toBe('"b, c.png",0,"{}",0,0,"{}","{}"');
    const back = parseViaCsv(csv, 'round.csv');
    expect(back.images.map((i) => [i.file, i.regions])).toEqual([['a.png', regions], ['b, c.png', []]]);
  });
  it('a broken shape field names the file and line', () => {
    expect(() => parseViaCsv('filename,file_size,file_attributes,region_count,region_id,region_shape_attributes,region_attributes\na.png,1,"{}",1,0,"{name:rect}","{}"\n', 'bad.csv')).toThrow(/bad\.csv: line 2: region_shape_attributes is not JSON/);
  });
});

describe('VIA JSON', () => {
  it('a VIA 2 project file (_via_img_metadata); polyline skipped', () => {
    const f = parseRegionFile(VIA_PROJECT, 'project.json');
    expect(f.format).toBe('via-json');
    expect(f.images.map((i) => [i.file, i.regions])).toEqual([['case01.png', [[1, 2, 4, 6]]], ['case02.png', []]]);
    expect(f.skipped).toEqual([{ shape: 'polyline', count: 1 }]);
  });
  it('the plain region export, VIA 1.x regions object', () => {
    const f = parseRegionFile(VIA_REGION_DATA, 'via_region_data.json');
    expect(f.images).toEqual([{ file: 'case04.png', regions: [{ polygon: [[0, 0], [4, 0], [4, 4], [0, 4]] }] }]);
  });
});

describe('COCO', () => {
  it('polygon parts -> polygons, box-only -> box, RLE skipped with a count; sizes kept', () => {
    const f = parseRegionFile(COCO, 'coco.json');
    expect(f.format).toBe('coco');
    expect(f.images[0]).toEqual({ file: 'images/case01.png', width: 64, height: 48, regions: [{ polygon: [[10, 10], [20, 10], [20, 20]] }, { polygon: [[30, 30], [40, 30], [40, 40], [30, 40]] }] });
    expect(f.images[1].regions).toEqual([[1.5, 2.5, 5.5, 7.5]]);
    expect(f.skipped).toEqual([{ shape: 'RLE', count: 1 }]);
    expect(f.warnings[0]).toMatch(/coco\.json: skipped 1 RLE region \(RLE segmentation is a mask/);
  });
});

describe("the app's reader export and unknown files", () => {
  it('a Heatcheck reader export reads as that reader, boxes and polygons', () => {
    const snap: ProjectSnapshot = {
      studies: [{ id: 's', name: 's', source: 'import', createdAt: 1 }],
      cases: [{ id: 's:a', studyId: 's', imageHash: 'a'.repeat(64), name: 'dir/case01.png', label: 1, width: 20, height: 10, order: 0 },
        { id: 's:b', studyId: 's', imageHash: 'b'.repeat(64), name: 'case02.png', label: 0, width: 20, height: 10, order: 1 }],
      readers: [{ id: 'R7', name: 'Dr Seven', order: 0 }],
      annotations: [{ readerId: 'R7', caseId: 's:a', boxes: [{ id: 'b', x0: 1, y0: 1, x1: 3, y1: 4 }], polygons: [{ id: 'p', points: [[0, 0], [5, 0], [0, 5]] }], status: 'done', updatedAt: 1, rev: 1 },
        { readerId: 'R7', caseId: 's:b', boxes: [], status: 'unread', updatedAt: 1, rev: 1 }],
      settings: [], results: [],
    };
    const text = serializeProject(buildProject(snap, { readerId: 'R7' }));
    const f = parseRegionFile(text, 'r7.json');
    expect(f.format).toBe('heatcheck-reader');
    expect(f.readerName).toBe('Dr Seven');
    expect(f.images).toEqual([{ file: 'dir/case01.png', width: 20, height: 10, regions: [[1, 1, 3, 4], { polygon: [[0, 0], [5, 0], [0, 5]] }] }]);
  });
  it('other files are refused with what they are not', () => {
    expect(() => parseRegionFile('image,label\na.png,1\n', 'labels.csv')).toThrow(RegionFileError);
    expect(() => parseRegionFile('image,label\na.png,1\n', 'labels.csv')).toThrow(/labels\.csv: is not a reader file .*first line: "image,label"/);
    expect(() => parseRegionFile('{"a": 1}', 'x.json')).toThrow(/x\.json: is JSON but not a reader file/);
  });
});

describe('matching file names to cases', () => {
  it('by path without extension, then by base name; unmatched and ambiguous names listed with the reason', () => {
    const cases = [{ id: 'c1', name: 'XR/p1/case01.png' }, { id: 'c2', name: 'XR/p2/case01.png' }, { id: 'c3', name: 'case02.dcm' }, { id: 'c4', name: 'XR/case03.png' }];
    const img = (file: string) => ({ file, regions: [] });
    const m = matchImagesToCases([img('XR/p2/case01.jpg'), img('case01.png'), img('case02.png'), img('https://host/data/case03.png?x=1'), img('nope.png'), img('CASE02.png')], cases);
    expect(m.matched.map((x) => [x.image.file, x.caseId])).toEqual([['XR/p2/case01.jpg', 'c2'], ['case02.png', 'c3'], ['https://host/data/case03.png?x=1', 'c4']]);
    expect(m.unmatched).toEqual([
      { file: 'case01.png', reason: '2 cases are named case01; give the file its folder path' },
      { file: 'nope.png', reason: 'no case named nope' },
      { file: 'CASE02.png', reason: 'no case named CASE02' },
    ]);
  });
});
