import type { RegionCoords } from '../../study/types';

/** Formats a reader's regions can come in. */
export type RegionFormat = 'via-csv' | 'via-json' | 'coco' | 'heatcheck-reader';

/** One image of a reader file: its name as the file gives it, its size when known, the regions drawn on it. */
export interface ImageRegions {
  file: string;
  width?: number;
  height?: number;
  regions: RegionCoords[];
}

/** Shapes a reader file holds that Heatcheck does not use (circle, ellipse, point, polyline, RLE). */
export interface SkippedShapes {
  shape: string;
  count: number;
}

/** A reader's file, parsed: every image it lists (with or without regions), what was skipped and why. */
export interface RegionFile {
  source: string;
  format: RegionFormat;
  images: ImageRegions[];
  skipped: SkippedShapes[];
  /** Messages for people: skipped shapes with counts, odd rows. */
  warnings: string[];
  /** A reader name the file itself gives (the app's reader export), if any. */
  readerName?: string;
}

export class RegionFileError extends Error {
  constructor(public readonly code: string, public readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'RegionFileError';
  }
}

/** Counts skipped shapes by kind and turns them into one message per kind. */
export class SkipCounter {
  private counts = new Map<string, number>();
  add(shape: string): void {
    this.counts.set(shape, (this.counts.get(shape) ?? 0) + 1);
  }
  list(): SkippedShapes[] {
    return [...this.counts].sort((a, b) => a[0].localeCompare(b[0])).map(([shape, count]) => ({ shape, count }));
  }
  messages(file: string, why: Record<string, string> = {}): string[] {
    return this.list().map(({ shape, count }) => `${file}: skipped ${count} ${shape} region${count === 1 ? '' : 's'} (${why[shape] ?? 'Heatcheck reads boxes and polygons only'})`);
  }
}

/** The images of a file in first-seen order, rows for the same image gathered. */
export class ImageList {
  private byName = new Map<string, ImageRegions>();
  get(file: string): ImageRegions {
    let e = this.byName.get(file);
    if (!e) {
      e = { file, regions: [] };
      this.byName.set(file, e);
    }
    return e;
  }
  values(): ImageRegions[] {
    return [...this.byName.values()];
  }
}
