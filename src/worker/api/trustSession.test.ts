import { describe, expect, it } from 'vitest';
import { pickSteps, rocCurve, TrustSession, type MapRequest, type TrustCase, type TrustConfig, type TrustDeps } from './trustSession';
import type { BoxCoords } from '../../core/study/types';

/**
 * Analytic maps on 20 x 20 images (grid = image size, so no resampling):
 * - 'exact': 1 inside the case's original box [5, 10) x [5, 10) (every reader's box), 0 elsewhere;
 * - 'stripes': a pattern that ignores the box.
 * Models A-s1 and A-s2 give identical maps (repeatability SSIM 1); B-s1 gives 'exact' maps too.
 * The cascade's step 0 returns the trained map unchanged (SSIM 1), step 1 a constant map.
 */
const S = 20;
const box: BoxCoords = [5, 5, 10, 10];
function exactMap(): Float32Array {
  const m = new Float32Array(S * S);
  for (let y = 5; y < 10; y++) for (let x = 5; x < 10; x++) m[y * S + x] = 1;
  return m;
}
function stripes(seed: number): Float32Array {
  const m = new Float32Array(S * S);
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) m[y * S + x] = ((x * 7 + y * 13 + seed * 5) % 11) / 10;
  return m;
}
// logits: abnormal 2, 1, 0.5, -1; normal 0, -2 (7 of 8 pairs ordered: AUROC 7/8)
const LOGITS: Record<string, number> = { c1: 2, c2: 1, c3: 0.5, c4: -1, n1: 0, n2: -2 };

function cases(): TrustCase[] {
  const readers = { R1: [box], R2: [box], R3: [box] };
  const mk = (id: string, label: 0 | 1): TrustCase => ({ caseId: id, name: id, imageHash: `h-${id}`, label, width: S, height: S, readers: label ? readers : { R1: [], R2: [], R3: [] } });
  return [mk('c1', 1), mk('c2', 1), mk('c3', 1), mk('c4', 1), mk('n1', 0), mk('n2', 0)];
}

const config: TrustConfig = {
  models: ['A-s1', 'A-s2', 'B-s1', 'C-s1'],
  methods: ['exact', 'stripes'],
  preset: 'quick',
  seed: 0,
  primaryModel: 'A-s1',
  repeatabilityPair: ['A-s1', 'A-s2'],
  reproducibilityPair: ['A-s1', 'B-s1'],
  randomizationCases: 3,
  quorum: 2,
  caseSet: 'all-abnormal',
  resamples: 200,
};

function deps(log: MapRequest[] = []): TrustDeps {
  return {
    async map(req) {
      log.push(req);
      const id = req.imageHash.slice(2);
      let map = req.method === 'exact' || req.method === 'gradcam' ? exactMap() : stripes(Number(id.slice(1)));
      if (req.randomizationStep === 1) map = new Float32Array(S * S).fill(0.5);
      return { map, width: S, height: S, targetLogit: LOGITS[id], ms: 1, cached: false, backend: 'test', params: {} };
    },
    async steps() {
      return [{ step: 0, block: 'head' }, { step: 1, block: 'stem' }];
    },
    async image() {
      const d = new Float32Array(S * S);
      for (let i = 0; i < d.length; i++) d[i] = (i % S) / S;
      return { data: d, height: S, width: S };
    },
    checkpoint: async () => {},
    progress: () => {},
  };
}

describe('pickSteps', () => {
  it('spaces k of n steps evenly and ends at the last', () => {
    const s = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(pickSteps(s, 4)).toEqual([2, 4, 6, 8]);
    expect(pickSteps(s, 3)).toEqual([3, 5, 8]);
    expect(pickSteps(s, 1)).toEqual([8]);
    expect(pickSteps(s, 0)).toEqual(s);
    expect(pickSteps(s, 9)).toEqual(s);
  });
});

describe('rocCurve', () => {
  it('steps through distinct thresholds from (0,0) to (1,1)', () => {
    const r = rocCurve([0.9, 0.8, 0.8, 0.1], [1, 0, 1, 0]);
    expect(r.map((p) => [p.fpr, p.tpr])).toEqual([[0, 0], [0, 0.5], [0.5, 1], [1, 1]]);
  });
});

describe('TrustSession', () => {
  it('fills all four criteria from analytic maps', async () => {
    const log: MapRequest[] = [];
    const s = new TrustSession(config, cases(), deps(log));
    const r = await s.run();
    expect(r.complete).toBe(true);
    const exact = r.rows.find((x) => x.method === 'exact')!;
    // the map equals the consensus on every abnormal case: AUROC 1
    expect(exact.cells.localization.value).toBe(1);
    expect(exact.cells.localization.n).toBe(4);
    // identical maps from A-s1 and A-s2 / B-s1: SSIM 1
    expect(exact.cells.repeatability.value).toBeCloseTo(1, 12);
    expect(exact.cells.reproducibility.value).toBeCloseTo(1, 12);
    // cascade: step 0 returns the trained map (SSIM 1), all 3 cascade cases at both steps
    const curve = r.randomization.exact.details.curve;
    expect(curve.map((c) => c.step)).toEqual(['head', 'stem']);
    expect(curve[0].mean).toBeCloseTo(1, 12);
    expect(curve[1].n).toBe(3);
    expect(exact.cells.randomization.state).toBe('ok');
    // classifier: 7 of 8 (abnormal, normal) pairs ordered
    for (const c of r.classifier) expect(c.auroc).toBeCloseTo(7 / 8, 12);
    // maps: 3 map models x 4 abnormal x 2 methods; logits: C-s1 on 6 cases + 3 models x 2 normals; cascade 2 steps x 3 cases x 2 methods
    expect(log.filter((q) => q.randomizationStep === null && q.method !== 'gradcam').length).toBe(24);
    expect(log.filter((q) => q.method === 'gradcam').length).toBe(6 + 6);
    expect(log.filter((q) => q.randomizationStep !== null).length).toBe(12);
    expect(log.filter((q) => q.modelId === 'C-s1' && q.method !== 'gradcam').length).toBe(0);
    // readers agree exactly on abnormal cases
    expect(r.readerAgreement.pooled!.meanIoU).toBe(1);
  });

  it('a reader edit recomputes only that case, and the figure follows', async () => {
    const s = new TrustSession(config, cases(), deps());
    const before = await s.run();
    const n0 = before.counters.localizationCases;
    // all three readers now mark rows 5..14 of columns 5..9: 50 positives, 25 of them scored 1,
    // 350 negatives all scored 0 -> AUROC = (25*350 + 0.5*25*350) / (50*350) = 0.75
    const tall: BoxCoords = [5, 5, 10, 15];
    const after = s.updateReaders('c2', { R1: [tall], R2: [tall], R3: [tall] })!;
    // 2 methods x 3 map models, for case c2 only
    expect(after.counters.localizationCases - n0).toBe(6);
    const loc = after.localization['A-s1'].exact;
    expect(loc.perCase.find((c) => c.caseId === 'c2')!.value).toBeCloseTo(0.75, 12);
    expect(loc.value).toBeCloseTo((1 + 0.75 + 1 + 1) / 4, 12);
    expect(after.rows[0].cells.localization.value).toBeCloseTo(0.9375, 12);
    expect(after.counters.liveUpdates).toBe(1);
  });

  it('says n/a with the reason when a model is missing', async () => {
    const d = deps();
    const failing: TrustDeps = { ...d, map: (q) => (q.modelId === 'B-s1' ? Promise.reject(Object.assign(new Error('model.json not found'), { code: 'NOT_FOUND_MODEL' })) : d.map(q)) };
    const r = await new TrustSession(config, cases(), failing).run();
    const cell = r.rows[0].cells.reproducibility;
    expect(cell.state).toBe('na');
    expect(cell.note).toMatch(/^n\/a: model B-s1 is not available/);
    expect(r.rows[0].cells.repeatability.state).toBe('ok');
  });

  it('when the primary model cannot be randomized (a GraphModel), only randomization is n/a', async () => {
    const d = deps();
    const graph: TrustDeps = { ...d, steps: () => Promise.reject(new Error('cascading randomization needs a Keras LayersModel; model "A-s1" is a TF.js GraphModel')) };
    const r = await new TrustSession(config, cases(), graph).run();
    const exact = r.rows.find((x) => x.method === 'exact')!;
    expect(exact.cells.randomization.state).toBe('na');
    expect(exact.cells.randomization.note).toMatch(/^n\/a: cascading randomization is not available: .*GraphModel/);
    expect(exact.cells.localization.value).toBe(1);
    expect(exact.cells.repeatability.state).toBe('ok');
    expect(exact.trustworthy).toBe(null);
    expect(r.unavailable).toEqual([]);
  });
});
