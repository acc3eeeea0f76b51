/**
 * COCO instances JSON (as pycocotools and most tools write it) -> one reader's regions.
 * images [{id, file_name, width, height}], annotations [{image_id, bbox: [x, y, w, h],
 * segmentation, iscrowd}]. An annotation with polygon segmentation ([[x1, y1, x2, y2, ...], ...])
 * becomes one polygon per part (their union is the object); one without segmentation becomes its
 * bbox as a box. RLE segmentation ({counts, size}, crowd regions) is skipped and counted: it is a
 * mask, not an outline.
 */
import { ImageList, RegionFileError, SkipCounter, type RegionFile } from './types';

export function isCoco(j: unknown): boolean {
  const o = j as Record<string, unknown>;
  return !!o && typeof o === 'object' && Array.isArray(o.images) && Array.isArray(o.annotations);
}

export function parseCoco(j: unknown, source: string): RegionFile {
  if (!isCoco(j)) throw new RegionFileError('BAD_INPUT_COCO', source, 'is not a COCO instances file (needs "images" and "annotations" lists)');
  const o = j as { images: Array<Record<string, unknown>>; annotations: Array<Record<string, unknown>> };
  const images = new ImageList();
  const byId = new Map<unknown, ReturnType<ImageList['get']>>();
  const warnings: string[] = [];
  const skips = new SkipCounter();
  o.images.forEach((im, i) => {
    const file = typeof im?.file_name === 'string' ? im.file_name.trim() : '';
    if (!file) {
      warnings.push(`${source}: image ${i + 1} has no file_name; its annotations are skipped`);
      return;
    }
    const e = images.get(file);
    if (Number(im.width) > 0) e.width = Number(im.width);
    if (Number(im.height) > 0) e.height = Number(im.height);
    byId.set(im.id, e);
  });
  const readersSeen = new Set<string>();
  o.annotations.forEach((a, i) => {
    const img = byId.get(a?.image_id);
    if (!img) {
      warnings.push(`${source}: annotation ${a?.id ?? i + 1} names image_id ${String(a?.image_id)}, which the file does not list; skipped`);
      return;
    }
    const reader = (a.attributes as { reader?: unknown } | undefined)?.reader;
    if (typeof reader === 'string') readersSeen.add(reader);
    const seg = a.segmentation;
    if (seg && !Array.isArray(seg) && typeof seg === 'object') {
      skips.add('RLE');
      return;
    }
    if (Array.isArray(seg) && seg.length > 0) {
      let added = 0;
      for (const part of seg) {
        if (!Array.isArray(part) || part.length < 6 || part.length % 2 !== 0 || !part.every((v) => Number.isFinite(Number(v)))) {
          warnings.push(`${source}: annotation ${a.id ?? i + 1} has a polygon part that is not an even list of 6 or more numbers; part skipped`);
          continue;
        }
        const pts: Array<[number, number]> = [];
        for (let k = 0; k < part.length; k += 2) pts.push([Number(part[k]), Number(part[k + 1])]);
        img.regions.push({ polygon: pts });
        added++;
      }
      if (added) return;
    }
    const b = a.bbox;
    if (Array.isArray(b) && b.length === 4 && b.every((v) => Number.isFinite(Number(v)))) {
      const [x, y, w, h] = b.map(Number);
      img.regions.push([x, y, x + w, y + h]);
    } else warnings.push(`${source}: annotation ${a.id ?? i + 1} has neither polygon segmentation nor a bbox [x, y, w, h]; skipped`);
  });
  if (readersSeen.size > 1) warnings.push(`${source}: holds the regions of ${readersSeen.size} readers (attributes.reader: ${[...readersSeen].sort().join(', ')}), read here as one reader; export one reader per file to keep them apart`);
  return {
    source,
    format: 'coco',
    images: images.values(),
    skipped: skips.list(),
    warnings: [...skips.messages(source, { RLE: 'RLE segmentation is a mask, not an outline; export polygons or boxes' }), ...warnings],
  };
}
