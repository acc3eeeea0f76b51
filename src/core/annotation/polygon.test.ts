import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { rasterizePolygons } from './polygon';
import { rasterizeBoxes } from './rasterise';
import { consensusFromRegions, rasterizeRegions, readerAgreementFromRegions, regionsCanvas } from './regions';
import { consensusMask } from './consensus';
import { readerAgreement, readerAgreementFromBoxes } from './agreement';
import type { PolygonCoords, RegionCoords } from '../study/types';

const rows = (m: Uint8Array, w: number) => Array.from({ length: m.length / w }, (_, j) => Array.from(m.subarray(j * w, (j + 1) * w)).join(''));
const poly = (...pts: Array<[number, number]>): PolygonCoords => ({ polygon: pts });

describe('polygon rasterisation, hand-worked (pixel centre inside, even-odd)', () => {
  it('a right triangle: row j holds the centres x + 0.5 < 3.5 - j, an edge through centres counts on its left side only', () => {
    // Hypotenuse x + y = 4: at row j (y = j + 0.5) the span is [0, 3.5 - j); centre i + 0.5 is in for i < 3 - j.
    expect(rows(rasterizePolygons([poly([0, 0], [4, 0], [0, 4])], 5, 5), 5)).toEqual(['11100', '11000', '10000', '00000', '00000']);
  });
  it('a concave polygon (a U): the notch stays empty', () => {
    // U from x 0..6, y 0..4, notch x 2..4, y 0..3 (open at the top).
    const u = poly([0, 0], [2, 0], [2, 3], [4, 3], [4, 0], [6, 0], [6, 4], [0, 4]);
    expect(rows(rasterizePolygons([u], 6, 4), 6)).toEqual(['110011', '110011', '110011', '111111']);
  });
  it('a self-intersecting star: even-odd leaves the centre pentagon out', () => {
    // Pentagram {5/2} centred at (10, 10), radius 9; the inner pentagon's inradius is 9 cos(72°) ≈ 2.78.
    const pts: Array<[number, number]> = [];
    for (let k = 0; k < 5; k++) {
      const a = -Math.PI / 2 + (k * 2 * 2 * Math.PI) / 5;
      pts.push([10 + 9 * Math.cos(a), 10 + 9 * Math.sin(a)]);
    }
    const m = rasterizePolygons([{ polygon: pts }], 20, 20);
    expect(m[9 * 20 + 9]).toBe(0); // centre (9.5, 9.5): inside the inner pentagon, crossed twice
    expect(m[10 * 20 + 10]).toBe(0);
    expect(m[0]).toBe(0);
    // The top point, by hand: tip (10, 1), half-angle 18°, so at row j the span is 10 ± (j + 0.5 - 1) tan 18°.
    // Row 2 (y 2.5): [9.513, 10.487) holds no centre; row 3 (y 3.5): [9.188, 10.812), columns 9-10;
    // row 6 (y 6.5): [8.213, 11.787), columns 8-11 (the inner pentagon starts below y = 10 - 2.78).
    expect(rows(m, 20)[2]).toBe('00000000000000000000');
    expect(rows(m, 20)[3]).toBe('00000000011000000000');
    expect(rows(m, 20)[6]).toBe('00000000111100000000');
  });
  it('a rectangle given as a polygon covers exactly the pixels of the same box, fractional edges too', () => {
    for (const [x0, y0, x1, y1] of [[0, 0, 10, 10], [0.5, 2.5, 7.49, 3.51], [2.6, 1, 3.4, 5], [-3, -2, 4.5, 30]]) {
      const p = rasterizePolygons([poly([x0, y0], [x1, y0], [x1, y1], [x0, y1])], 12, 12);
      expect(Array.from(p)).toEqual(Array.from(rasterizeBoxes([[x0, y0, x1, y1]], 12, 12)));
    }
  });
  it('degenerate input covers nothing; two polygons of one reader give their union', () => {
    expect(rasterizePolygons([poly([0, 0], [5, 5])], 6, 6).every((v) => v === 0)).toBe(true);
    expect(rasterizePolygons([poly([0, 0], [NaN, 1], [3, 3])], 6, 6).every((v) => v === 0)).toBe(true);
    const both = rasterizePolygons([poly([0, 0], [2, 0], [2, 2], [0, 2]), poly([1, 0], [3, 0], [3, 1], [1, 1])], 4, 2);
    expect(rows(both, 4)).toEqual(['1110', '1100']);
  });
});

describe("polygon rasterisation vs scikit-image's draw.polygon", () => {
  it('random polygons (convex, concave, self-intersecting, partly outside) agree pixel for pixel', () => {
    let s = 2024;
    const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
    const W = 41, H = 29;
    const polygons: Array<Array<[number, number]>> = [];
    for (let t = 0; t < 40; t++) {
      const n = 3 + (t % 8);
      // random floats: no pixel centre lies exactly on an outline, where the two conventions differ
      polygons.push(Array.from({ length: n }, () => [rnd() * (W + 10) - 5, rnd() * (H + 10) - 5] as [number, number]));
    }
    const out = execFileSync('/usr/bin/python3', ['scripts/skimage_polygon_masks.py'], { input: JSON.stringify({ width: W, height: H, polygons }), encoding: 'utf8' });
    const want = JSON.parse(out) as number[][];
    let covered = 0;
    polygons.forEach((p, k) => {
      const got = rasterizePolygons([{ polygon: p }], W, H);
      covered += want[k].reduce((a, b) => a + b, 0);
      expect(Array.from(got)).toEqual(want[k]);
    });
    expect(covered).toBeGreaterThan(1000); // the comparison covers real area
  });
  it('where centres lie on the outline the conventions differ, as documented: skimage counts them in', () => {
    const out = execFileSync('/usr/bin/python3', ['scripts/skimage_polygon_masks.py'], { input: JSON.stringify({ width: 5, height: 5, polygons: [[[0, 0], [4, 0], [0, 4]]] }), encoding: 'utf8' });
    const sk = (JSON.parse(out) as number[][])[0];
    // skimage also fills the 4 centres on the hypotenuse x + y = 4: 10 pixels against our 6
    expect(sk.reduce((a, b) => a + b, 0)).toBe(10);
    expect(rasterizePolygons([poly([0, 0], [4, 0], [0, 4])], 5, 5).reduce((a, b) => a + b, 0)).toBe(6);
  });
});

describe('regions (boxes and polygons) in consensus and agreement', () => {
  const W = 12, H = 10;
  const readers: Record<string, RegionCoords[]> = {
    A: [[0, 0, 6, 6]],
    B: [poly([2, 0], [8, 0], [8, 6], [2, 6])],
    C: [poly([0, 0], [8, 0], [0, 8]), [9, 9, 12, 10]],
  };
  it('a polygon counts like the same pixels drawn as boxes', () => {
    const masks = Object.fromEntries(Object.entries(readers).map(([r, l]) => [r, rasterizeRegions(l, W, H)]));
    const want = readerAgreement(masks, 2);
    const got = readerAgreementFromRegions(readers, W, H, 2);
    expect(got).toEqual(want);
    expect(Array.from(consensusFromRegions(Object.values(readers), W, H, 2))).toEqual(Array.from(consensusMask(Object.values(masks), 2)));
    // B's polygon is the box [2, 0, 8, 6]: agreement equals the all-boxes fast path
    const asBoxes = readerAgreementFromBoxes({ A: [[0, 0, 6, 6]], B: [[2, 0, 8, 6]] }, W, H);
    expect(readerAgreementFromRegions({ A: readers.A, B: readers.B }, W, H)).toEqual(asBoxes);
  });
  it('the smallest canvas holding every region', () => {
    expect(regionsCanvas(Object.values(readers).flat())).toEqual({ width: 12, height: 10 });
    expect(regionsCanvas([poly([1, 1], [7.2, 1], [3, 4.01])])).toEqual({ width: 8, height: 5 });
    expect(regionsCanvas([])).toEqual({ width: 1, height: 1 });
  });
});
