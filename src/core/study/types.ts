/** Shared study vocabulary (pure data; used by core, worker, state, UI and CLI). */
import type { VoiLut, VoiWindow } from './intensity';


/** 1 abnormal, 0 normal; null when the study does not say. */
export type Label = 0 | 1;

/** A box in original-image pixel coordinates, pixel edges: [x0, y0, x1, y1] (0..10 covers pixels 0..9). */
export type BoxCoords = [number, number, number, number];

/** A grayscale image, row-major. DICOM images carry their VOI (window or LUT) and MONOCHROME1 flag (see intensity.ts). */
export interface GrayImage {
  width: number;
  height: number;
  data: Uint8Array | Uint16Array | Float32Array;
  window?: VoiWindow;
  voiLut?: VoiLut;
  invert?: boolean;
}

/** One case of a study folder (`cases.csv`: id,image,label,body_part,abnormality). */
export interface StudyCaseInfo {
  id: string;
  /** Path of the image relative to the study folder (for example images/<id>.png). */
  image: string;
  label: Label | null;
  bodyPart?: string;
  abnormality?: string;
}

/** Readers' boxes of a study folder: readers/<R>.json maps case id to a list of boxes. */
export type ReaderBoxes = Record<string, BoxCoords[]>;

/**
 * A polygon in original-image pixel-edge coordinates: its vertices [x, y] in order (closed
 * implicitly). Filled by the even-odd rule; a pixel is in when its centre is (see annotation/polygon.ts).
 */
export interface PolygonCoords { polygon: Array<[number, number]> }

/** A reader's region: a box (the original form, unchanged) or a polygon. */
export type RegionCoords = BoxCoords | PolygonCoords;

export const isPolygon = (r: RegionCoords): r is PolygonCoords => !Array.isArray(r);
