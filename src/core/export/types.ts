/**
 * What an export reads: plain records, shaped like the IndexedDB stores (src/state/db.ts) so the
 * state layer passes them straight in. Core stays free of the state layer.
 */
import type { VoiLut, VoiWindow } from '../study/intensity';
export interface StudyRec { id: string; name: string; source: 'demo' | 'import'; createdAt: number; meta?: Record<string, unknown> }
export interface CaseRec {
  id: string; studyId: string; imageHash: string; name: string; label: 0 | 1 | null;
  bodyPart?: string; abnormality?: string; width: number; height: number; order: number; meta?: Record<string, unknown>;
}
export interface ImageRec {
  hash: string; width: number; height: number; pixels: Uint8Array | Uint16Array | Float32Array;
  window?: VoiWindow; voiLut?: VoiLut; invert?: boolean; source?: string;
}
export interface ReaderRec { id: string; name: string; simulated?: boolean; order: number }
export interface BoxRec { id: string; x0: number; y0: number; x1: number; y1: number }
/** A polygon region: vertices [x, y] in original-image pixel edges (see core/annotation/polygon.ts). Imported, not drawn in the app. */
export interface PolygonRec { id: string; points: Array<[number, number]> }
export type ReadStatusRec = 'unread' | 'in-progress' | 'done' | 'no-finding';
export interface AnnotationRec {
  readerId: string; caseId: string; boxes: BoxRec[]; status: ReadStatusRec; updatedAt: number; rev: number;
  /** Polygon regions (from VIA or COCO files); absent on records that have none. */
  polygons?: PolygonRec[];
}
export interface ResultRec { key: string; kind: string; createdAt: number; value: unknown }
export interface SettingRec { key: string; value: unknown }

export interface ProjectSnapshot {
  studies: StudyRec[];
  cases: CaseRec[];
  /** Images by hash; only needed when images are embedded. */
  images?: Map<string, ImageRec>;
  readers: ReaderRec[];
  annotations: AnnotationRec[];
  settings: SettingRec[];
  results: ResultRec[];
}

export class ExportError extends Error {
  constructor(public readonly code: string, message: string) {
    super(message);
    this.name = 'ExportError';
  }
}
