import { makeRedactor } from './privacy';
import type { ProjectSnapshot } from './types';

/**
 * COCO object-detection JSON: one image per case (file_name = the case name), one annotation per
 * box with bbox [x, y, width, height] in original-image pixels (pixel edges, as stored) and the
 * reader as an attribute (`attributes.reader`, the CVAT convention). One category: abnormality.
 */
export function toCoco(snap: ProjectSnapshot, opts: { readerId?: string; includeIdentifiers?: boolean; now?: Date } = {}) {
  const cases = [...snap.cases].sort((a, b) => a.studyId.localeCompare(b.studyId) || a.order - b.order || a.id.localeCompare(b.id));
  const red = makeRedactor(snap, Boolean(opts.includeIdentifiers));
  const imageId = new Map(cases.map((c, i) => [c.id, i + 1]));
  const images = cases.map((c, i) => ({
    id: i + 1,
    file_name: red.caseName(c),
    width: c.width,
    height: c.height,
    heatcheck_hash: c.imageHash,
    label: c.label,
    ...(c.bodyPart ? { body_part: c.bodyPart } : {}),
  }));
  const annotations: Array<Record<string, unknown>> = [];
  const anns = snap.annotations
    .filter((a) => imageId.has(a.caseId) && (!opts.readerId || a.readerId === opts.readerId))
    .sort((a, b) => imageId.get(a.caseId)! - imageId.get(b.caseId)! || a.readerId.localeCompare(b.readerId));
  for (const a of anns) {
    for (const b of a.boxes) {
      const x = Math.min(b.x0, b.x1), y = Math.min(b.y0, b.y1);
      const w = Math.abs(b.x1 - b.x0), h = Math.abs(b.y1 - b.y0);
      annotations.push({ id: annotations.length + 1, image_id: imageId.get(a.caseId), category_id: 1, bbox: [x, y, w, h], area: w * h, iscrowd: 0, attributes: { reader: a.readerId } });
    }
  }
  return {
    info: { description: 'Heatcheck reader annotations', version: '1.0', date_created: (opts.now ?? new Date()).toISOString() },
    licenses: [],
    images,
    annotations,
    categories: [{ id: 1, name: 'abnormality', supercategory: 'finding' }],
  };
}
