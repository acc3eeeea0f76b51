/**
 * One reader's file in any format Heatcheck reads: VIA CSV, VIA JSON (project or region export),
 * COCO instances JSON, or the app's own reader export (heatcheck.project). Detection looks at the
 * content, not the file name.
 */
import { parseProject, PROJECT_SCHEMA } from '../../export/project';
import type { RegionCoords } from '../../study/types';
import { isCoco, parseCoco } from './coco';
import { isViaCsv, parseViaCsv, parseViaJson, viaMetadata } from './via';
import { RegionFileError, type RegionFile } from './types';

/** Statuses that mean the reader read the case (an unread, empty record lists nothing). */
const READ = new Set(['done', 'no-finding', 'in-progress']);

export function parseHeatcheckReader(text: string, source: string): RegionFile {
  const p = parseProject(text, source);
  const readers = [...new Set(p.annotations.map((a) => a.reader))];
  if (readers.length > 1) throw new RegionFileError('BAD_INPUT_READER_FILE', source, `holds ${readers.length} readers' work (${readers.join(', ')}); choose one reader's export ("Reader's work" on the Data page)`);
  const byHash = new Map(p.cases.map((c) => [c.hash, c]));
  const images = p.annotations
    .filter((a) => READ.has(a.status) || a.boxes.length > 0 || (a.polygons?.length ?? 0) > 0)
    .map((a) => {
      const c = byHash.get(a.case)!;
      const regions: RegionCoords[] = [...a.boxes.map((b): RegionCoords => [b.x0, b.y0, b.x1, b.y1]), ...(a.polygons ?? []).map((q): RegionCoords => ({ polygon: q.points.map(([x, y]) => [x, y] as [number, number]) }))];
      return { file: c.name, width: c.width, height: c.height, regions };
    });
  const reader = p.readers.find((r) => r.id === readers[0]);
  return { source, format: 'heatcheck-reader', images, skipped: [], warnings: [], ...(reader ? { readerName: reader.name } : {}) };
}

/** Parses a reader file, whatever its format. Throws RegionFileError naming the file and what it is. */
export function parseRegionFile(text: string, source: string): RegionFile {
  const body = text.replace(/^\uFEFF/, '');
  const t = body.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    let j: unknown;
    try {
      j = JSON.parse(body);
    } catch (e) {
      throw new RegionFileError('BAD_INPUT_READER_FILE', source, `looks like JSON but does not parse (${(e as Error).message})`);
    }
    const o = j as Record<string, unknown>;
    if (o && typeof o === 'object' && o.schema === PROJECT_SCHEMA) return parseHeatcheckReader(body, source);
    if (isCoco(j)) return parseCoco(j, source);
    if (viaMetadata(j)) return parseViaJson(j, source);
    throw new RegionFileError('BAD_INPUT_READER_FILE', source, 'is JSON but not a reader file Heatcheck reads: expected a VIA project (_via_img_metadata), a VIA JSON export, COCO instances (images and annotations) or a Heatcheck reader export');
  }
  if (isViaCsv(body)) return parseViaCsv(body, source);
  const first = t.split(/\r?\n/, 1)[0].slice(0, 80);
  throw new RegionFileError('BAD_INPUT_READER_FILE', source, `is not a reader file Heatcheck reads (first line: "${first}"); expected a VIA CSV export (header filename,file_size,file_attributes,region_count,region_id,region_shape_attributes,region_attributes), VIA or COCO JSON, or a Heatcheck reader export`);
}
