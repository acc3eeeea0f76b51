import { describe, expect, it } from 'vitest';
import { disk, dilateMask, dilatePixels } from './morphology';
import { normalizeToRange, resizeBicubicSkimage, resizeLabelsNearest } from './resize';
import { labelMapsToMasks, xraiLabelMaps } from './xraiSegments';
import { loadNpy, manifest } from './fixtures.testutil';

describe('resize as PAIR XRAI calls skimage.transform.resize (order 3, constant, anti-aliasing)', () => {
  for (const c of manifest.resize) {
    it(`${c.name}: matches skimage (float32 output)`, () => {
      const img = loadNpy(c.image);
      const ref = loadNpy(c.out);
      expect(ref.shape).toEqual([c.out_height, c.out_width, c.channels]);
      const norm = normalizeToRange(img.data as Float32Array, -1, 1, true);
      const out = resizeBicubicSkimage(norm, c.height, c.width, c.channels, c.out_height, c.out_width, { float32: true });
      const r = ref.data as Float32Array;
      let exact = 0, maxDiff = 0;
      for (let i = 0; i < r.length; i++) {
        if (out[i] === r[i]) exact++;
        maxDiff = Math.max(maxDiff, Math.abs(out[i] - r[i]));
      }
      expect(maxDiff).toBeLessThan(1e-6);
      expect(exact / r.length).toBeGreaterThan(0.99);
    });
  }

  it('a constant image stays constant (B-spline interpolation reproduces constants away from the zero border)', () => {
    const img = new Float64Array(20 * 20).fill(0.5);
    const out = resizeBicubicSkimage(img, 20, 20, 1, 40, 40, { float32: false });
    // Far from the border the zero padding has no effect: exactly the constant (to rounding).
    expect(out[20 * 40 + 20]).toBeCloseTo(0.5, 12);
    // At the border the zeros outside pull the value down (mode 'constant'), clipped to [0.5, 0.5]:
    // the clip keeps the input range, so the output stays 0.5 everywhere.
    for (const v of out) expect(v).toBeCloseTo(0.5, 12);
  });

  it('nearest label resize on tiny cases (pixel centres aligned)', () => {
    // 2 x 2 -> 4 x 4: each label becomes a 2 x 2 block.
    const up = resizeLabelsNearest(new Int32Array([1, 2, 3, 4]), 2, 2, 4, 4);
    expect(Array.from(up)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    // 1 x 6 -> 1 x 3: output k samples input floor((k + 0.5) * 2 - 0.5 + 0.5) = 2k + 1.
    const down = resizeLabelsNearest(new Int32Array([0, 1, 2, 3, 4, 5]), 1, 6, 1, 3);
    expect(Array.from(down)).toEqual([1, 3, 5]);
  });

  it('normalizeToRange maps min to -1 and max to 1', () => {
    const out = normalizeToRange(new Float32Array([2, 4, 6]), -1, 1);
    expect(Array.from(out)).toEqual([-1, 0, 1]);
  });
});

describe('disk and dilation', () => {
  it('disk(5) is the hand-drawn disk (x^2 + y^2 <= 25)', () => {
    // Row half-widths of a radius-5 disk: dy = 0: 5; 1: 4 (16 + 1 <= 25, 25 + 1 > 25); 2: 4 (16 + 4);
    // 3: 4 (16 + 9 = 25); 4: 3 (9 + 16); 5: 0.
    const rows = [
      '.....#.....',
      '..#######..',
      '.#########.',
      '.#########.',
      '.#########.',
      '###########',
      '.#########.',
      '.#########.',
      '.#########.',
      '..#######..',
      '.....#.....',
    ];
    const d = disk(5);
    const drawn = rows.join('').split('').map((ch) => (ch === '#' ? 1 : 0));
    expect(Array.from(d)).toEqual(drawn);
  });

  it('dilating one pixel in the middle gives the disk; at a corner, the clipped disk', () => {
    const w = 15, h = 13;
    const out = dilatePixels([6 * w + 7], w, h, 5);
    const d = disk(5);
    const expected: number[] = [];
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const dy = y - 6, dx = x - 7;
      if (Math.abs(dy) <= 5 && Math.abs(dx) <= 5 && d[(dy + 5) * 11 + dx + 5]) expected.push(y * w + x);
    }
    expect(Array.from(out)).toEqual(expected);
    const corner = dilatePixels([0], w, h, 5);
    // Quarter disk: rows 0..5 with half-widths 5, 4, 4, 4, 3, 0 -> 6 + 5 + 5 + 5 + 4 + 1 = 26 pixels.
    expect(corner.length).toBe(26);
  });

  for (const c of manifest.dilation) {
    it(`matches skimage.morphology.dilation(mask, disk(${c.radius})) (${c.name})`, () => {
      const m = loadNpy(c.mask);
      const ref = loadNpy(c.out);
      const [h, w] = m.shape;
      const out = dilateMask(m.data as Uint8Array, w, h, c.radius);
      expect(Array.from(out)).toEqual(Array.from(ref.data as Uint8Array));
    });
  }
});

describe('XRAI segments: parity with PAIR _get_segments_felzenszwalb (before dilation)', () => {
  for (const c of manifest.xrai_segments) {
    it(`${c.name}: six label maps equal skimage's`, () => {
      const img = loadNpy(c.image);
      const ref = loadNpy(c.labels);
      expect(ref.shape).toEqual([c.scales.length, c.height, c.width]);
      const maps = xraiLabelMaps(img.data as Float32Array, c.width, c.height, c.channels);
      const r = ref.data as Uint16Array;
      const n = c.height * c.width;
      maps.forEach((m, s) => expect(Array.from(m), `scale ${c.scales[s]}`).toEqual(Array.from(r.subarray(s * n, (s + 1) * n))));
    });
  }

  it('masks come scale by scale, label by label, dilated', () => {
    // Two 4 x 4 maps: labels {0, 1} split left/right; {0} everywhere. Radius 1 dilation.
    const a = new Int32Array(16).map((_, i) => (i % 4 >= 2 ? 1 : 0));
    const b = new Int32Array(16);
    const masks = labelMapsToMasks([a, b], 4, 4, 1);
    expect(masks.length).toBe(3);
    // Left half (columns 0-1) dilated by disk(1) (a plus sign) adds column 2.
    expect(Array.from(masks[0])).toEqual([0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14]);
    expect(Array.from(masks[1])).toEqual([1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15]);
    expect(masks[2].length).toBe(16);
  });
});
