/**
 * VGG Image Annotator (VIA 2.x) files: the CSV export, the JSON project (`_via_img_metadata`) and
 * the plain JSON export (via_region_data.json: the same metadata object on its own). Also VIA 1.x
 * JSON, whose `regions` is an object keyed "0", "1", ... instead of a list.
 *
 * Shapes: rect {x, y, width, height} -> a box [x, y, x + width, y + height]; polygon
 * {all_points_x, all_points_y} -> a polygon. Circle, ellipse, point and polyline are skipped and
 * counted (a point and an open polyline hold no area; circles and ellipses are not regions here).
 * Coordinates are VIA's image pixels, which Heatcheck reads as pixel edges like its own boxes.
 */
import { csvEscape, parseCsv } from '../../study/csv';
import { ImageList, RegionFileError, SkipCounter, type ImageRegions, type RegionFile } from './types';
import type { RegionCoords } from '../../study/types';

export const VIA_CSV_HEADER = ['filename', 'file_size', 'file_attributes', 'region_count', 'region_id', 'region_shape_attributes', 'region_attributes'];

const WHY: Record<string, string> = {
  circle: 'circles are not read as regions; draw a polygon or a box',
  ellipse: 'ellipses are not read as regions; draw a polygon or a box',
  point: 'a point has no area',
  polyline: 'an open polyline has no area; close it as a polygon',
};

const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);

/** One VIA shape_attributes object -> a region, or the name of a skipped shape, or an error text. */
export function viaShape(s: Record<string, unknown>): RegionCoords | { skip: string } | { bad: string } {
  const name = String(s.name ?? '');
  if (name === 'rect') {
    const [x, y, w, h] = [num(s.x), num(s.y), num(s.width), num(s.height)];
    if (![x, y, w, h].every(Number.isFinite)) return { bad: 'a rect without numeric x, y, width and height' };
    return [x, y, x + w, y + h];
  }
  if (name === 'polygon') {
    const xs = s.all_points_x, ys = s.all_points_y;
    if (!Array.isArray(xs) || !Array.isArray(ys) || xs.length !== ys.length) return { bad: 'a polygon whose all_points_x and all_points_y are not lists of one length' };
    const pts = xs.map((x, i) => [num(x), num(ys[i])] as [number, number]);
    if (!pts.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y))) return { bad: 'a polygon with non-numeric points' };
    if (pts.length < 3) return { bad: `a polygon with ${pts.length} point(s) (needs 3 or more)` };
    return { polygon: pts };
  }
  return { skip: name || 'unnamed' };
}

function addShape(img: ImageRegions, shape: Record<string, unknown>, skips: SkipCounter, warnings: string[], where: string): void {
  if (!shape || typeof shape !== 'object' || Object.keys(shape).length === 0) return; // "{}": an image without regions
  const r = viaShape(shape);
  if ('skip' in r) skips.add(r.skip);
  else if ('bad' in r) warnings.push(`${where}: skipped ${r.bad}`);
  else img.regions.push(r);
}

export function isViaCsv(text: string): boolean {
  const first = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0].replace(/^#/, '').trim();
  return first.split(',').slice(0, 2).join(',') === 'filename,file_size' && first.includes('region_shape_attributes');
}

/** Parses a VIA 2.x CSV export (fields quoted as VIA writes them: JSON with doubled quotes). */
export function parseViaCsv(text: string, source: string): RegionFile {
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  if (!rows.length) throw new RegionFileError('BAD_INPUT_VIA', source, 'is empty; expected a VIA CSV export with the header ' + VIA_CSV_HEADER.join(','));
  const header = rows[0].map((h) => h.trim().replace(/^#/, ''));
  const col = (name: string) => header.indexOf(name);
  const iFile = col('filename'), iShape = col('region_shape_attributes');
  if (iFile < 0 || iShape < 0) throw new RegionFileError('BAD_INPUT_VIA', source, `has no filename or region_shape_attributes column (header: ${header.join(',')}); expected a VIA CSV export with ${VIA_CSV_HEADER.join(',')}`);
  const images = new ImageList();
  const skips = new SkipCounter();
  const warnings: string[] = [];
  for (let k = 1; k < rows.length; k++) {
    const row = rows[k];
    if (row.length === 1 && row[0].trim() === '') continue;
    if (row[0].startsWith('#')) continue;
    const file = (row[iFile] ?? '').trim();
    if (!file) {
      warnings.push(`${source} line ${k + 1}: no file name; row skipped`);
      continue;
    }
    const img = images.get(file);
    const raw = (row[iShape] ?? '').trim();
    if (raw === '' || raw === '{}') continue;
    let shape: unknown;
    try {
      shape = JSON.parse(raw);
    } catch {
      throw new RegionFileError('BAD_INPUT_VIA', source, `line ${k + 1}: region_shape_attributes is not JSON (${raw.slice(0, 60)}); VIA writes it as "{""name"":""rect"",...}"`);
    }
    addShape(img, shape as Record<string, unknown>, skips, warnings, `${source} line ${k + 1}`);
  }
  return { source, format: 'via-csv', images: images.values(), skipped: skips.list(), warnings: [...skips.messages(source, WHY), ...warnings] };
}

/** A VIA metadata entry ({filename, size, regions, file_attributes}). */
interface ViaEntry { filename?: unknown; regions?: unknown }

const looksLikeEntry = (v: unknown): v is ViaEntry => !!v && typeof v === 'object' && 'filename' in (v as object) && 'regions' in (v as object);

/** Is this parsed JSON a VIA project or region export? Returns its image metadata object. */
export function viaMetadata(j: unknown): Record<string, ViaEntry> | null {
  if (!j || typeof j !== 'object' || Array.isArray(j)) return null;
  const o = j as Record<string, unknown>;
  if (o._via_img_metadata && typeof o._via_img_metadata === 'object') return o._via_img_metadata as Record<string, ViaEntry>;
  const vals = Object.values(o);
  if (vals.length > 0 && vals.every(looksLikeEntry)) return o as Record<string, ViaEntry>;
  return null;
}

/** Parses a VIA 2.x project file or a VIA JSON region export (also VIA 1.x). */
export function parseViaJson(j: unknown, source: string): RegionFile {
  const meta = viaMetadata(j);
  if (!meta) throw new RegionFileError('BAD_INPUT_VIA', source, 'is JSON but neither a VIA project (no _via_img_metadata) nor a VIA region export (entries with filename and regions)');
  const images = new ImageList();
  const skips = new SkipCounter();
  const warnings: string[] = [];
  for (const [key, e] of Object.entries(meta)) {
    if (!looksLikeEntry(e)) {
      warnings.push(`${source}: entry "${key}" has no filename or regions; skipped`);
      continue;
    }
    const file = String(e.filename).trim();
    const img = images.get(file);
    const regions = Array.isArray(e.regions) ? e.regions : e.regions && typeof e.regions === 'object' ? Object.values(e.regions as object) : [];
    regions.forEach((r: unknown, i: number) => addShape(img, (r as { shape_attributes?: Record<string, unknown> })?.shape_attributes ?? {}, skips, warnings, `${source} ${file} region ${i}`));
  }
  return { source, format: 'via-json', images: images.values(), skipped: skips.list(), warnings: [...skips.messages(source, WHY), ...warnings] };
}

/** VIA's own CSV quoting: JSON attribute fields always quoted, inner quotes doubled. */
const viaAttr = (v: unknown) => `"${JSON.stringify(v).replace(/"/g, '""')}"`;

/**
 * Writes a VIA 2.x CSV export: one row per region (boxes as rect, polygons as polygon), an image
 * without regions as one row with region_count 0 and "{}" attributes, as VIA itself writes them.
 * file_size is 0 when unknown (VIA matches on file name and size; re-attach the images by name).
 */
export function toViaCsv(images: Array<{ file: string; size?: number; regions: RegionCoords[]; regionAttributes?: Array<Record<string, unknown>> }>): string {
  const lines = [VIA_CSV_HEADER.join(',')];
  for (const img of images) {
    const prefix = `${csvEscape(img.file)},${img.size ?? 0},"{}"`;
    if (!img.regions.length) {
      lines.push(`${prefix},0,0,"{}","{}"`);
      continue;
    }
    img.regions.forEach((r, i) => {
      const shape = Array.isArray(r)
        ? { name: 'rect', x: Math.min(r[0], r[2]), y: Math.min(r[1], r[3]), width: Math.abs(r[2] - r[0]), height: Math.abs(r[3] - r[1]) }
        : { name: 'polygon', all_points_x: r.polygon.map((p) => p[0]), all_points_y: r.polygon.map((p) => p[1]) };
      lines.push(`${prefix},${img.regions.length},${i},${viaAttr(shape)},${viaAttr(img.regionAttributes?.[i] ?? {})}`);
    });
  }
  return lines.join('\n') + '\n';
}
