import { describe, expect, it } from 'vitest';
import { caseDesign, generatePhantomCase, generatePhantomStudy, PhantomError } from './generate';
import { PHANTOM_PARTS } from './anatomy';

const SIZE = 128;

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe('phantom generator', () => {
  const study = generatePhantomStudy(11, 24, { size: SIZE });

  it('is deterministic by seed: same seed gives identical bytes, another seed differs', () => {
    const again = generatePhantomStudy(11, 24, { size: SIZE });
    for (let i = 0; i < study.length; i++) {
      expect(same(study[i].image, again[i].image)).toBe(true);
      expect(study[i].truth === null).toBe(again[i].truth === null);
      if (study[i].truth) expect(same(study[i].truth!, again[i].truth!)).toBe(true);
    }
    const other = generatePhantomStudy(12, 4, { size: SIZE });
    for (let i = 0; i < 4; i++) expect(same(study[i].image, other[i].image)).toBe(false);
  });

  it('makes case i alone, identical to case i of a study', () => {
    const c = generatePhantomCase(11, 17, { size: SIZE });
    expect(c.id).toBe('case-0018');
    expect(same(c.image, study[17].image)).toBe(true);
  });

  it('has 8-bit images of the requested size that use the grey range (dark background, bright bone)', () => {
    for (const c of study) {
      expect(c.width).toBe(SIZE);
      expect(c.height).toBe(SIZE);
      expect(c.image.length).toBe(SIZE * SIZE);
      const sorted = Array.from(c.image).sort((a, b) => a - b);
      expect(sorted[Math.floor(sorted.length * 0.02)]).toBeLessThan(60);
      expect(sorted[Math.floor(sorted.length * 0.98)]).toBeGreaterThan(180);
    }
  });

  it('balances labels, and each body part has as many normal as abnormal cases', () => {
    const big = Array.from({ length: 120 }, (_, i) => caseDesign(3, i));
    expect(big.filter((d) => d.label === 1).length).toBe(60);
    for (const part of PHANTOM_PARTS) {
      const ofPart = big.filter((d) => d.bodyPart === part);
      expect(ofPart.length).toBe(20); // 60 pairs over 6 parts, whole permutation blocks
      expect(ofPart.filter((d) => d.label === 1).length).toBe(10);
    }
    for (const d of big) expect(d.abnormality === 'none').toBe(d.label === 0);
    const kinds = big.filter((d) => d.label === 1).map((d) => d.abnormality);
    for (const k of ['fracture', 'hardware', 'lytic']) expect(kinds.filter((x) => x === k).length).toBe(20);
    expect(study.filter((c) => c.label === 1).length).toBe(12);
  });

  it('has a non-empty truth mask exactly for abnormal cases', () => {
    for (const c of study) {
      if (c.label === 0) {
        expect(c.truth).toBeNull();
      } else {
        expect(c.truth).not.toBeNull();
        let n = 0;
        let bad = 0;
        for (const v of c.truth!) {
          if (v !== 0 && v !== 1) bad++;
          n += v;
        }
        expect(bad).toBe(0);
        expect(n).toBeGreaterThan(10);
        expect(n).toBeLessThan(SIZE * SIZE * 0.25);
      }
    }
  });

  it('truth is the set of changed pixels: same case rendered without its abnormality differs inside, equals outside', () => {
    for (const c of study) {
      const clean = generatePhantomCase(11, Number(c.id.slice(5)) - 1, { size: SIZE, omitAbnormality: true });
      if (!c.truth) {
        expect(same(clean.image, c.image)).toBe(true);
        continue;
      }
      let inside = 0;
      let changed = 0;
      let delta = 0;
      let outsideChanged = 0;
      for (let j = 0; j < c.image.length; j++) {
        if (c.truth[j]) {
          inside++;
          if (c.image[j] !== clean.image[j]) changed++;
          delta += c.image[j] - clean.image[j];
        } else if (c.image[j] !== clean.image[j]) {
          outsideChanged++;
        }
      }
      expect(outsideChanged).toBe(0);
      expect(changed / inside).toBeGreaterThan(0.9);
      // The direction of the change fits the finding: metal is brighter, a lytic hole darker.
      if (c.abnormality === 'hardware') expect(delta / inside).toBeGreaterThan(20);
      if (c.abnormality === 'lytic') expect(delta / inside).toBeLessThan(-3);
    }
  });

  it('renders at the default 512 px and rejects bad sizes with a coded error', () => {
    const c = generatePhantomCase(1, 0);
    expect([c.width, c.height, c.image.length]).toEqual([512, 512, 512 * 512]);
    expect(() => generatePhantomCase(1, 0, { size: 10 })).toThrow(PhantomError);
    try {
      generatePhantomCase(1, -1);
    } catch (e) {
      expect((e as PhantomError).code).toBe('PHANTOM_BAD_INPUT');
    }
  });
});
