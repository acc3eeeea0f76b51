import { describe, expect, it } from 'vitest';
import { generatePhantomStudy } from './generate';
import { maskBoxes, simulateReaders, READER_IDS, type PixelBox } from './readers';

/** Our own rasteriser: boxes (pixel edges, x1/y1 exclusive) to a 0/1 mask. */
function raster(boxes: PixelBox[], w: number, h: number): Uint8Array {
  const m = new Uint8Array(w * h);
  for (const [x0, y0, x1, y1] of boxes) {
    for (let y = Math.max(0, Math.floor(y0)); y < Math.min(h, Math.ceil(y1)); y++) {
      for (let x = Math.max(0, Math.floor(x0)); x < Math.min(w, Math.ceil(x1)); x++) m[y * w + x] = 1;
    }
  }
  return m;
}

function iou(a: Uint8Array, b: Uint8Array): number | null {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) inter++;
    if (a[i] || b[i]) union++;
  }
  return union === 0 ? null : inter / union;
}

describe('maskBoxes', () => {
  it('boxes connected components with pixel-edge coordinates and merges near ones', () => {
    const w = 20;
    const m = new Uint8Array(w * w);
    // A 3x2 block at x 2..4, y 5..6 and a diagonal pair (8-connected) at (10,10),(11,11).
    for (let y = 5; y <= 6; y++) for (let x = 2; x <= 4; x++) m[y * w + x] = 1;
    m[10 * w + 10] = 1;
    m[11 * w + 11] = 1;
    expect(maskBoxes(m, w, w, 0, 1)).toEqual([[2, 5, 5, 7], [10, 10, 12, 12]]);
    // With a gap of 6 px they are one finding.
    expect(maskBoxes(m, w, w, 6, 1)).toEqual([[2, 5, 12, 12]]);
    // Specks under minArea are dropped.
    expect(maskBoxes(m, w, w, 0, 3)).toEqual([[2, 5, 5, 7]]);
  });
});

describe('simulated readers', () => {
  const SIZE = 512;
  const cases = generatePhantomStudy(2022, 40, { size: SIZE });
  const readers = simulateReaders(cases, 2022);

  it('gives every reader a list per case, with boxes inside the image', () => {
    for (const r of READER_IDS) {
      expect(Object.keys(readers[r]).sort()).toEqual(cases.map((c) => c.id).sort());
      for (const boxes of Object.values(readers[r])) {
        for (const [x0, y0, x1, y1] of boxes) {
          expect(0 <= x0 && x0 < x1 && x1 <= SIZE && 0 <= y0 && y0 < y1 && y1 <= SIZE).toBe(true);
        }
      }
    }
  });

  it('is deterministic by seed', () => {
    expect(simulateReaders(cases, 2022)).toEqual(readers);
    expect(simulateReaders(cases, 2023)).not.toEqual(readers);
  });

  it('mostly finds the abnormality: most reader boxes on abnormal cases overlap the truth', () => {
    for (const r of READER_IDS) {
      let hits = 0;
      let abnormal = 0;
      for (const c of cases) {
        if (!c.truth) continue;
        abnormal++;
        const m = raster(readers[r][c.id], SIZE, SIZE);
        let overlap = 0;
        for (let i = 0; i < m.length; i++) if (m[i] && c.truth[i]) overlap++;
        if (overlap > 0) hits++;
      }
      expect(hits / abnormal).toBeGreaterThan(0.7);
      expect(hits).toBeLessThanOrEqual(abnormal);
    }
  });

  it('agree with each other like real readers: mean pairwise IoU of their masks between 0.5 and 0.8', () => {
    const pairs: Array<[string, string]> = [['R1', 'R2'], ['R1', 'R3'], ['R2', 'R3']];
    const means: Record<string, number> = {};
    for (const [a, b] of pairs) {
      const values: number[] = [];
      for (const c of cases) {
        const v = iou(raster(readers[a as 'R1'][c.id], SIZE, SIZE), raster(readers[b as 'R1'][c.id], SIZE, SIZE));
        if (v !== null) values.push(v);
      }
      means[`${a}-${b}`] = values.reduce((s, v) => s + v, 0) / values.length;
    }
    console.log('reader pairwise mean IoU (40 cases, seed 2022):', JSON.stringify(means));
    for (const v of Object.values(means)) {
      expect(v).toBeGreaterThan(0.5);
      expect(v).toBeLessThan(0.8);
    }
  });
});
