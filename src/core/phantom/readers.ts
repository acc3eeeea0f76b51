/**
 * Simulated readers R1, R2, R3: boxes derived from each abnormality's mask, with a per-reader habit
 * (R1 generous, R2 tight, R3 offset), jitter, an occasional miss and an occasional extra box.
 * They stand in for real readers in the demo and are marked simulated wherever shown.
 */
import { Rng, hashString } from './rng';
import type { PhantomCase } from './generate';

export const READER_IDS = ['R1', 'R2', 'R3'] as const;
export type ReaderId = (typeof READER_IDS)[number];
/** [x0, y0, x1, y1] in pixel-edge coordinates (x1, y1 exclusive). */
export type PixelBox = [number, number, number, number];
export type ReaderBoxesById = Record<ReaderId, Record<string, PixelBox[]>>;

/** Probability that a reader misses a given abnormality box. */
export const MISS_RATE = 0.1;
/** Probability that a reader adds a spurious box to a case (normal or abnormal). */
export const EXTRA_RATE = 0.07;

/**
 * Bounding boxes of the mask's connected components (8-connected), ignoring specks smaller than
 * `minArea`, and merging boxes that come within `gap` pixels of each other (a fixator's pins and bar
 * are one finding).
 */
export function maskBoxes(mask: Uint8Array, width: number, height: number, gap = Math.round(0.03 * Math.max(width, height)), minArea = 4): PixelBox[] {
  const label = new Int32Array(width * height);
  const boxes: Array<PixelBox & { area?: number }> = [];
  const areas: number[] = [];
  const stack: number[] = [];
  let next = 0;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || label[start]) continue;
    next++;
    label[start] = next;
    stack.push(start);
    let x0 = width, y0 = height, x1 = 0, y1 = 0, area = 0;
    while (stack.length) {
      const j = stack.pop()!;
      const x = j % width;
      const y = (j - x) / width;
      area++;
      if (x < x0) x0 = x;
      if (y < y0) y0 = y;
      if (x + 1 > x1) x1 = x + 1;
      if (y + 1 > y1) y1 = y + 1;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const k = yy * width + xx;
          if (mask[k] && !label[k]) {
            label[k] = next;
            stack.push(k);
          }
        }
      }
    }
    if (area >= minArea) {
      boxes.push([x0, y0, x1, y1]);
      areas.push(area);
    }
  }
  // Merge boxes closer than `gap`, until nothing changes.
  let merged = true;
  while (merged) {
    merged = false;
    outer: for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i];
        const b = boxes[j];
        if (a[0] - gap < b[2] && b[0] - gap < a[2] && a[1] - gap < b[3] && b[1] - gap < a[3]) {
          boxes[i] = [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
          boxes.splice(j, 1);
          merged = true;
          break outer;
        }
      }
    }
  }
  return boxes.map((b) => [b[0], b[1], b[2], b[3]]);
}

interface Habit {
  /** Mean outward move of each edge, as a fraction of the box's size (negative: inward). */
  grow: number;
  /** Mean shift of the whole box, as fractions of its width and height. */
  shiftX: number;
  shiftY: number;
  /** Jitter of each edge, fraction of the box's size (standard deviation). */
  jitter: number;
}

const HABITS: Record<ReaderId, Habit> = {
  R1: { grow: 0.07, shiftX: 0, shiftY: 0, jitter: 0.035 }, // generous
  R2: { grow: -0.04, shiftX: 0, shiftY: 0, jitter: 0.03 }, // tight
  R3: { grow: 0.02, shiftX: 0.08, shiftY: 0.06, jitter: 0.035 }, // offset
};

function clampBox(b: number[], w: number, h: number): PixelBox | null {
  const x0 = Math.max(0, Math.min(w, Math.round(b[0])));
  const y0 = Math.max(0, Math.min(h, Math.round(b[1])));
  const x1 = Math.max(0, Math.min(w, Math.round(b[2])));
  const y1 = Math.max(0, Math.min(h, Math.round(b[3])));
  return x1 - x0 >= 2 && y1 - y0 >= 2 ? [x0, y0, x1, y1] : null;
}

/** Boxes of readers R1, R2, R3 for every case (empty list when the reader saw nothing). */
export function simulateReaders(cases: PhantomCase[], seed: number): ReaderBoxesById {
  const out = { R1: {}, R2: {}, R3: {} } as ReaderBoxesById;
  READER_IDS.forEach((rid, ri) => {
    const habit = HABITS[rid];
    for (const c of cases) {
      const rng = Rng.from(seed, 0x52454144, ri, hashString(c.id));
      const boxes: PixelBox[] = [];
      const truthBoxes = c.truth ? maskBoxes(c.truth, c.width, c.height) : [];
      for (const t of truthBoxes) {
        if (rng.chance(MISS_RATE)) continue;
        const bw = t[2] - t[0];
        const bh = t[3] - t[1];
        const e = () => habit.grow + habit.jitter * rng.normal();
        const sx = habit.shiftX * bw;
        const sy = habit.shiftY * bh;
        const b = clampBox([t[0] - e() * bw + sx, t[1] - e() * bh + sy, t[2] + e() * bw + sx, t[3] + e() * bh + sy], c.width, c.height);
        if (b) boxes.push(b);
      }
      if (rng.chance(EXTRA_RATE)) {
        const s = Math.max(c.width, c.height);
        const bw = rng.range(0.06, 0.16) * s;
        const bh = rng.range(0.06, 0.16) * s;
        const x = rng.range(0.1 * c.width, 0.9 * c.width - bw);
        const y = rng.range(0.1 * c.height, 0.9 * c.height - bh);
        const b = clampBox([x, y, x + bw, y + bh], c.width, c.height);
        if (b) boxes.push(b);
      }
      out[rid][c.id] = boxes;
    }
  });
  return out;
}

/** Run-length code of a 0/1 mask: lengths of alternating runs, starting with a run of zeros. */
export function maskToRuns(mask: Uint8Array): number[] {
  const runs: number[] = [];
  let cur = 0;
  let n = 0;
  for (let i = 0; i < mask.length; i++) {
    const v = mask[i] ? 1 : 0;
    if (v === cur) n++;
    else { runs.push(n); cur = v; n = 1; }
  }
  runs.push(n);
  return runs;
}

export function runsToMask(runs: number[], length: number): Uint8Array {
  const m = new Uint8Array(length);
  let pos = 0;
  runs.forEach((n, k) => {
    if (k % 2 === 1) m.fill(1, pos, Math.min(length, pos + n));
    pos += n;
  });
  return m;
}
