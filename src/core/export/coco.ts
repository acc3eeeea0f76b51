import { makeRedactor } from './privacy';
import type { ProjectSnapshot } from './types';

/**
 * COCO object-detection JSON: one image per case (file_name = the case name), one annotation per
 * box with bbox [x, y, width, height] in original-image pixels (pixel edges, as stored) and the
 * reader as an attribute (`attributes.reader`, the CVAT convention). One category: abnormality.
 * A polygon region is one annotation with its outline as `segmentation` [[x1, y1, x2, y2, ...]],
 * its bbox and its (shoelace) area.
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
    for (const q of a.polygons ?? []) {
      const xs = q.points.map((p) => p[0]), ys = q.points.map((p) => p[1]);
      const x = Math.min(...xs), y = Math.min(...ys);
      let area2 = 0;
      for (let k = 0; k < q.points.length; k++) {
        const [ax, ay] = q.points[k], [bx, by] = q.points[(k + 1) % q.points.length];
        area2 += ax * by - bx * ay;
      }
      annotations.push({ id: annotations.length + 1, image_id: imageId.get(a.caseId), category_id: 1, segmentation: [q.points.flat()], bbox: [x, y, Math.max(...xs) - x, Math.max(...ys) - y], area: Math.abs(area2) / 2, iscrowd: 0, attributes: { reader: a.readerId } });
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
