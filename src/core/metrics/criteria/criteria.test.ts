import { describe, expect, it } from 'vitest';
import { localization, averageMaskBaselines, prepareCase, type LocalizationCaseInput } from './localization';
import { randomization, randomizationThreshold } from './randomization';
import { repeatability } from './repeatability';
import { reproducibility } from './reproducibility';
import { verdict } from './types';
import { TrustEngine } from './engine';
import { rasterizeBoxes } from '../../annotation/rasterise';
import { mulberry32 } from '../prng';
import { ssim } from '../ssim';
import type { BoxCoords } from '../../study/types';

const G = 16; // model grid
const O = 32; // original resolution (2x the grid)

/** Boxes on the original image for case i: a square lesion whose size varies with i. */
const lesion = (i: number): BoxCoords => [4 + i, 6, 4 + i + 8 + (i % 3) * 2, 6 + 8 + (i % 3) * 2];

function makeCase(i: number, mapKind: 'good' | 'noise', label: 0 | 1 = 1, probability?: number): LocalizationCaseInput {
  const box = lesion(i);
  const readers = { R1: rasterizeBoxes([box], O, O), R2: rasterizeBoxes([box], O, O), R3: rasterizeBoxes([], O, O) };
  const consensus = rasterizeBoxes([box], O, O); // R1 and R2 agree: the 2-of-3 consensus is the box
  const gridMask = rasterizeBoxes([[box[0] / 2, box[1] / 2, box[2] / 2, box[3] / 2]], G, G);
  const rnd = mulberry32(100 + i);
  // good: exactly the consensus on the grid (two values: Otsu keeps the 1s); noise: uniform noise.
  const map = new Float64Array(G * G).map((_, k) => (mapKind === 'good' ? gridMask[k] : rnd()));
  // The image: the lesion is brighter, so the edge map lights its outline.
  const image = new Float64Array(O * O).map((_, k) => (consensus[k] ? 0.8 : 0.2));
  return { caseId: `c${i}`, label, probability, map: { data: map, height: G, width: G }, consensus: { data: consensus, height: O, width: O }, image: { data: image, height: O, width: O }, readers };
}

describe('localization', () => {
  const cases = [0, 1, 2, 3, 4, 5].map((i) => makeCase(i, 'good'));
  it('a map equal to the consensus: AUROC, AUPRC, Otsu IoU/Dice and hit all 1; passes against the edge baseline', () => {
    const r = localization('good', cases);
    expect(r.n).toBe(6);
    expect(r.value).toBe(1);
    expect(r.details.means).toEqual({ auroc: 1, auprc: 1, iou: 1, dice: 1, hit: 1 });
    const edge = r.details.baselines.edge!;
    expect(edge.value).toBeGreaterThan(0.5);
    expect(edge.value).toBeLessThan(1);
    expect(r.pass).toBe(true);
    expect(r.p).toBeLessThan(0.05);
    expect(r.params.test).toMatch(/paired t-test, one-sided/);
    // Readers R1 and R2 drew the consensus box; R3 nothing. Each vs the others' consensus (quorum
    // capped at 2 of the 2 others): R1 vs (R2 and R3) = empty truth, skipped; R2 likewise; R3 vs
    // (R1 and R2) = the box, R3's empty mask scores AUROC 0.5 and IoU 0.
    expect(r.details.baselines.readers!.means.auroc).toBe(0.5);
    expect(r.details.baselines.readers!.means.iou).toBe(0);
  });
  it('a noise map fails against the edge baseline', () => {
    const r = localization('noise', [0, 1, 2, 3, 4, 5].map((i) => makeCase(i, 'noise')));
    expect(r.value).toBeGreaterThan(0.2);
    expect(r.value).toBeLessThan(0.8);
    expect(r.pass).toBe(false);
  });
  it('case sets: normal cases never count; correct-at-0.5 drops misclassified cases', () => {
    const mixed = [makeCase(0, 'good', 1, 0.9), makeCase(1, 'good', 1, 0.3), makeCase(2, 'good', 0, 0.1), makeCase(3, 'good', 1, 0.7)];
    const all = localization('m', mixed);
    expect(all.n).toBe(3);
    expect(all.details.skipped).toEqual([{ caseId: 'c2', reason: 'not an abnormal case' }]);
    const correct = localization('m', mixed, { caseSet: 'correct-at-0.5' });
    expect(correct.n).toBe(2);
    expect(correct.details.skipped.map((s) => s.reason)).toContain('misclassified at 0.5');
  });
  it('average-mask baseline, hand-worked: identical masks give 1; disjoint 4x4 masks give 0.5 * 224 / 240', () => {
    const mk = (id: string, box: BoxCoords) => prepareCase({ caseId: id, label: 1, map: { data: [], height: G, width: G }, consensus: { data: rasterizeBoxes([box], G, G), height: G, width: G } }, { height: G, width: G });
    const same = averageMaskBaselines([mk('a', [0, 0, 4, 4]), mk('b', [0, 0, 4, 4])]);
    expect(same.get('a')!.auroc).toBe(1);
    const disjoint = averageMaskBaselines([mk('a', [0, 0, 4, 4]), mk('b', [8, 8, 12, 12])]);
    expect(disjoint.get('a')!.auroc).toBeCloseTo((0.5 * 224) / 240, 12);
  });
  it('empty consensus: the case is skipped with its reason', () => {
    const c = makeCase(0, 'good');
    c.consensus = { data: new Uint8Array(O * O), height: O, width: O };
    const r = localization('m', [c, makeCase(1, 'good'), makeCase(2, 'good')]);
    expect(r.n).toBe(2);
    expect(r.details.skipped[0].reason).toMatch(/no positive/);
  });
});

describe('randomization', () => {
  it('threshold from all pairs when fewer than 50 exist', () => {
    const maps = [1, 2, 3].map((s) => ({ caseId: `c${s}`, map: { data: new Float64Array(100).map(mulberry32(s)), height: 10, width: 10 } }));
    const t = randomizationThreshold(maps);
    expect(t.pairs.map((p) => `${p.a}-${p.b}`)).toEqual(['c1-c2', 'c1-c3', 'c2-c3']);
    const direct = [[0, 1], [0, 2], [1, 2]].map(([i, j]) => ssim(maps[i].map.data, maps[j].map.data, 10, 10));
    expect(t.threshold).toBeCloseTo((direct[0] + direct[1] + direct[2]) / 3, 14);
  });
  it('50 distinct pairs of different cases, reproducible by seed', () => {
    const maps = Array.from({ length: 20 }, (_, s) => ({ caseId: `c${s}`, map: { data: new Float64Array(64).map(mulberry32(s)), height: 8, width: 8 } }));
    const a = randomizationThreshold(maps, { seed: 7 });
    const b = randomizationThreshold(maps, { seed: 7 });
    const c = randomizationThreshold(maps, { seed: 8 });
    expect(a.pairs.length).toBe(50);
    expect(a.pairs.every((p) => p.a !== p.b)).toBe(true);
    expect(new Set(a.pairs.map((p) => [p.a, p.b].sort().join('-'))).size).toBe(50);
    expect(b.threshold).toBe(a.threshold);
    expect(c.pairs).not.toEqual(a.pairs);
  });
  it('passes when the fully randomized step is significantly below the threshold; returns the whole curve', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const steps = [
      { step: 'logits', perCase: ids.map((caseId, k) => ({ caseId, ssim: 0.9 + 0.01 * k })) },
      { step: 'block4', perCase: ids.map((caseId, k) => ({ caseId, ssim: 0.5 + 0.02 * k })) },
      { step: 'all', perCase: ids.map((caseId, k) => ({ caseId, ssim: 0.1 + 0.02 * k })) },
    ];
    const r = randomization('grad', steps, { threshold: 0.4 });
    expect(r.details.curve.map((s) => s.pass)).toEqual([false, false, true]);
    expect(r.pass).toBe(true);
    expect(r.value).toBeCloseTo(0.14, 12);
    expect(r.perCase[0].byStep).toEqual([0.9, 0.5, 0.1]);
    const fail = randomization('gradcam', steps.slice(0, 2), { threshold: 0.4 });
    expect(fail.pass).toBe(false);
  });
});

describe('repeatability and reproducibility', () => {
  const smooth = (seed: number, h: number, w: number) => {
    const r = mulberry32(seed);
    const ph = r() * 6;
    return new Float64Array(h * w).map((_, k) => 0.5 + 0.4 * Math.sin((k % w) / 3 + ph) * Math.cos(Math.floor(k / w) / 4));
  };
  it('identical maps: SSIM 1, Otsu IoU 1, pass', () => {
    const cases = [1, 2, 3].map((s) => ({ caseId: `c${s}`, a: { data: smooth(s, 24, 24), height: 24, width: 24 }, b: { data: smooth(s, 24, 24), height: 24, width: 24 } }));
    const r = repeatability('ig', cases);
    expect(r.value).toBeCloseTo(1, 12);
    expect(r.details.meanOtsuIoU).toBe(1);
    expect(r.pass).toBe(true);
  });
  it('unrelated noise maps fail', () => {
    const cases = [1, 2, 3, 4].map((s) => ({ caseId: `c${s}`, a: { data: new Float64Array(576).map(mulberry32(s)), height: 24, width: 24 }, b: { data: new Float64Array(576).map(mulberry32(s + 50)), height: 24, width: 24 } }));
    const r = repeatability('sg', cases);
    expect(Math.abs(r.value)).toBeLessThan(0.2);
    expect(r.pass).toBe(false);
  });
  it('different grids: compared on the smaller one; a 2x nearest upsample comes back exactly (half-pixel bilinear)', () => {
    const cases = [5, 6, 7].map((s) => {
      const a = smooth(s, 20, 12);
      const up = new Float64Array(40 * 24).map((_, k) => a[Math.floor(Math.floor(k / 24) / 2) * 12 + Math.floor((k % 24) / 2)]);
      return { caseId: `c${s}`, a: { data: up, height: 40, width: 24 }, b: { data: a, height: 20, width: 12 } };
    });
    const r = reproducibility('xrai', cases, { models: ['densenet', 'inception'] });
    expect(r.criterion).toBe('reproducibility');
    expect(r.params.grid).toEqual({ height: 20, width: 12 });
    expect(r.value).toBeCloseTo(1, 12);
    expect(r.pass).toBe(true);
  });
});

describe('verdict: trustworthy only when all four pass', () => {
  const base = { value: 1, ci: [1, 1] as [number, number], n: 3, p: 0.01, params: {}, perCase: [], details: {} };
  it('all four, or not', () => {
    const four = (['localization', 'randomization', 'repeatability', 'reproducibility'] as const).map((criterion) => ({ ...base, criterion, method: 'ig', pass: true }));
    expect(verdict('ig', four).trustworthy).toBe(true);
    expect(verdict('ig', [...four.slice(0, 3), { ...four[3], pass: false }]).trustworthy).toBe(false);
    expect(verdict('ig', four.slice(0, 3)).criteria.reproducibility).toBeNull();
    expect(verdict('ig', four.slice(0, 3)).trustworthy).toBe(false);
  });
});

describe('TrustEngine: incremental recomputation', () => {
  function build() {
    const e = new TrustEngine({ grid: { height: G, width: G } });
    for (let i = 0; i < 5; i++) {
      const c = makeCase(i, 'good');
      e.setCase({ caseId: c.caseId, label: 1, width: O, height: O, image: c.image });
      e.setReaderBoxes(c.caseId, 'R1', [lesion(i)]);
      e.setReaderBoxes(c.caseId, 'R2', [lesion(i)]);
      e.setReaderBoxes(c.caseId, 'R3', []);
      for (const method of ['gradcam', 'ig']) e.setMap(c.caseId, method, 'densenet', makeCase(i, method === 'ig' ? 'good' : 'noise').map);
    }
    return e;
  }
  it('a box edit recomputes only that case (per method), then the aggregates', () => {
    const e = build();
    const ig0 = e.localization('ig', 'densenet');
    e.localization('gradcam', 'densenet');
    expect(e.counters.perCaseLocalizations).toBe(10);
    expect(e.counters.preparedCases).toBe(5);
    // Asking again: nothing recomputed.
    e.localization('ig', 'densenet');
    expect(e.counters.perCaseLocalizations).toBe(10);
    expect(e.counters.aggregates).toBe(2);
    // R1 and R2 move case c2's lesion: only c2 is redone, once per method.
    const moved: BoxCoords = [16, 16, 26, 26];
    e.setReaderBoxes('c2', 'R1', [moved]);
    e.setReaderBoxes('c2', 'R2', [moved]);
    const ig1 = e.localization('ig', 'densenet');
    e.localization('gradcam', 'densenet');
    expect(e.counters.perCaseLocalizations).toBe(12);
    expect(e.counters.preparedCases).toBe(6);
    expect(e.counters.aggregates).toBe(4);
    // The ig map of c2 still points at the old place: its AUROC drops, the others' stay 1.
    expect(ig0.perCase.find((c) => c.caseId === 'c2')!.value).toBe(1);
    expect(ig1.perCase.find((c) => c.caseId === 'c2')!.value).toBeLessThan(0.6);
    expect(ig1.perCase.filter((c) => c.caseId !== 'c2').every((c) => c.value === 1)).toBe(true);
  });
  it('agrees with the one-shot localization() on the same inputs', () => {
    const e = build();
    const fromEngine = e.localization('ig', 'densenet');
    const oneShot = localization('ig', [0, 1, 2, 3, 4].map((i) => makeCase(i, 'good')));
    expect(fromEngine.value).toBe(oneShot.value);
    expect(fromEngine.p).toBe(oneShot.p);
    expect(fromEngine.details.baselines.edge!.value).toBe(oneShot.details.baselines.edge!.value);
    expect(fromEngine.details.baselines.averageMask!.value).toBe(oneShot.details.baselines.averageMask!.value);
  });
  it('a new map recomputes only that (case, method, model)', () => {
    const e = build();
    e.localization('ig', 'densenet');
    const before = e.counters.perCaseLocalizations;
    e.setMap('c1', 'ig', 'densenet', makeCase(1, 'noise').map);
    e.localization('ig', 'densenet');
    expect(e.counters.perCaseLocalizations).toBe(before + 1);
  });
});
