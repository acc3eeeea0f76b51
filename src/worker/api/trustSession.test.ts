import { describe, expect, it } from 'vitest';
import { createTrustSession, type SessionMapRequest, type TrustCase, type TrustConfig, type TrustDeps } from './trustSession';
import { rocCurve } from '../../core/trust/study';
import { casesNeeded, classifyUnit, methodVerdict } from '../../core/trust/verdict';
import type { BoxCoords } from '../../core/study/types';
import type { StudyModel } from '../../core/trust/study';
import type { TrustCell } from '../../core/trust/report';

/**
 * The dashboard's session on analytic maps, 20 x 20 images (grid = image size, so no resampling):
 * - 'exact': 1 inside the case's original box [5, 10) x [5, 10) (every reader's box), 0 elsewhere;
 * - 'stripes': a pattern that ignores the box.
 * Every model gives the same map of a case (repeatability and reproducibility SSIM 1). The
 * cascade's step 0 returns the trained map unchanged (SSIM 1), step 1 a constant map.
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

const model = (id: string, family: string, seed: number, output: StudyModel['output'] = { kind: 'logit', index: 0 }): StudyModel => ({ id, architecture: family, family, seed, input: { height: S, width: S, channels: 1 }, output });

const config: TrustConfig = {
  models: [model('A-s1', 'A', 1), model('A-s2', 'A', 2), model('B-s1', 'B', 1)],
  methods: ['exact', 'stripes'],
  preset: 'quick',
  seed: 0,
  randomizationCases: 3,
  quorum: 2,
  caseSet: 'all-abnormal',
  resamples: 200,
};

function deps(log: SessionMapRequest[] = []): TrustDeps {
  return {
    async map(req) {
      log.push(req);
      const id = req.imageHash.slice(2);
      let map = req.method === 'exact' ? exactMap() : stripes(Number(id.slice(1)));
      if (req.randomizationStep === 1) map = new Float32Array(S * S).fill(0.5);
      return { map, width: S, height: S, ms: 1, cached: false, backend: 'test', warnings: req.method === 'stripes' && id === 'c1' ? ['completeness 12% off'] : undefined };
    },
    async predict(hash, modelId) {
      const l = LOGITS[hash.slice(2)];
      // the softmax model: two logits, abnormal at index 1
      return { logit: l, output: modelId === 'soft' ? [0, l] : [l] };
    },
    async steps() {
      return [{ step: 0, block: 'head' }, { step: 1, block: 'stem' }];
    },
    async image() {
      const d = new Float32Array(S * S);
      for (let i = 0; i < d.length; i++) d[i] = (i % S) / S;
      return { data: d, height: S, width: S };
    },
  };
}

describe('rocCurve', () => {
  it('steps through distinct thresholds from (0,0) to (1,1)', () => {
    const r = rocCurve([0.9, 0.8, 0.8, 0.1], [1, 0, 1, 0]);
    expect(r.map((p) => [p.fpr, p.tpr])).toEqual([[0, 0], [0, 0.5], [0.5, 1], [1, 1]]);
  });
});

describe('cell states', () => {
  it('inconclusive: the mean points the passing way and the cases are fewer than a medium effect needs (hand-worked)', () => {
    // ((z_0.95 + z_0.8) / 0.5)^2 = ((1.644854 + 0.841621) / 0.5)^2 = 24.73 -> 25, + 1 for the t tails = 26 cases
    expect(casesNeeded(0.05)).toBe(26);
    // alpha 0.01: ((2.326348 + 0.841621) / 0.5)^2 = 40.13 -> 41 + 1 = 42
    expect(casesNeeded(0.01)).toBe(42);
    const r = { criterion: 'x', method: 'm', value: 0, ci: [0, 0] as [number, number], n: 3, p: 0.185, pass: false, params: {}, perCase: [], details: {} };
    expect(classifyUnit(r, { oriented: [0.1, 0.3, -0.05], test: 't' }, 0.05)).toMatchObject({ state: 'inconclusive', nNeeded: 26 });
    // the mean points the failing way: a fail at any n
    expect(classifyUnit(r, { oriented: [-0.1, -0.3, 0.05], test: 't' }, 0.05)).toEqual({ state: 'fail' });
    // 20 cases are too few for a medium effect; 30 are enough, and no pass then is a fail
    const alt = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 ? 0.3 : -0.2));
    expect(classifyUnit(r, { oriented: alt(20), test: 't' }, 0.05).state).toBe('inconclusive');
    expect(classifyUnit(r, { oriented: alt(30), test: 't' }, 0.05).state).toBe('fail');
    expect(classifyUnit({ ...r, pass: true }, { oriented: [0.1, 0.3, -0.05], test: 't' }, 0.05).state).toBe('pass');
    // one case: no t-test at all
    expect(classifyUnit(r, { oriented: [0.4], test: 't' }, 0.05)).toMatchObject({ state: 'inconclusive' });
  });

  it('a verdict with an n/a or inconclusive criterion is undetermined; a fail anywhere is not trustworthy', () => {
    const cell = (state: TrustCell['state']): TrustCell => ({ criterion: 'c', method: 'm', state, value: null, average: '', n: 0, units: [], warnings: [] });
    expect(methodVerdict('m', { a: cell('pass'), b: cell('pass') }).state).toBe('trustworthy');
    expect(methodVerdict('m', { a: cell('pass'), b: cell('n/a') }).state).toBe('undetermined');
    expect(methodVerdict('m', { a: cell('inconclusive'), b: cell('pass') }).state).toBe('undetermined');
    expect(methodVerdict('m', { a: cell('n/a'), b: cell('fail') }).state).toBe('not trustworthy');
    expect(methodVerdict('m', { a: cell('pending'), b: cell('pass') }).state).toBe('pending');
  });
});

describe('dashboard session (TrustStudy)', () => {
  it('fills every criterion per unit from analytic maps; normals get no map', async () => {
    const log: SessionMapRequest[] = [];
    const r = await createTrustSession(config, cases(), deps(log)).run();
    expect(r.complete).toBe(true);
    expect(r.schema).toBe('heatcheck.trust-report/1');
    const exact = r.cells.exact;
    // the map equals the consensus on every abnormal case: AUROC 1, on every model
    expect(exact.localization.units.map((u) => [u.models[0], u.value, u.n])).toEqual([['A-s1', 1, 4], ['A-s2', 1, 4], ['B-s1', 1, 4]]);
    expect(exact.localization.value).toBe(1);
    expect(exact.localization.average).toBe('mean over 3 models');
    // identical maps: SSIM 1 for the one repeatability pair and the one reproducibility pair (same seed)
    expect(exact.repeatability.units.map((u) => u.models)).toEqual([['A-s1', 'A-s2']]);
    expect(exact.reproducibility.units.map((u) => u.models)).toEqual([['A-s1', 'B-s1']]);
    expect(exact.repeatability.value).toBeCloseTo(1, 12);
    // cascade per model: step 0 returns the trained map (SSIM 1), 3 cascade cases
    const curve = (exact.randomization.units[0].details as { curve: Array<{ step: string; mean: number; n: number }> }).curve;
    expect(curve.map((c) => c.step)).toEqual(['0:head', '1:stem (fully randomized)']);
    expect(curve[0].mean).toBeCloseTo(1, 12);
    expect(curve[1].n).toBe(3);
    expect(exact.randomization.units.length).toBe(3);
    // classifier: 7 of 8 (abnormal, normal) pairs ordered, every case predicted
    for (const c of r.classifier) expect(c.auroc).toBeCloseTo(7 / 8, 12);
    // maps: 3 models x 4 abnormal x 2 methods trained; cascade 3 models x 2 steps x 3 cases x 2 methods; no normal case
    expect(log.filter((q) => q.randomizationStep === null).length).toBe(24);
    expect(log.filter((q) => q.randomizationStep !== null).length).toBe(36);
    expect(log.some((q) => q.imageHash.startsWith('h-n'))).toBe(false);
    expect(r.readerAgreement.pooled!.meanIoU).toBe(1);
    // a map's warning goes into the cells that used the map
    expect(r.cells.stripes.localization.warnings).toContain('c1 / A-s1: completeness 12% off');
    expect(r.cells.exact.localization.warnings).toEqual([]);
  });

  it('a reader edit recomputes that case\'s ground truth, and the figure follows', async () => {
    const s = createTrustSession(config, cases(), deps());
    await s.run();
    // all three readers now mark rows 5..14 of columns 5..9: 50 positives, 25 of them scored 1,
    // 350 negatives all scored 0 -> AUROC = (25*350 + 0.5*25*350) / (50*350) = 0.75
    const tall: BoxCoords = [5, 5, 10, 15];
    const after = s.updateReaders('c2', { R1: [tall], R2: [tall], R3: [tall] })!;
    const unit = after.cells.exact.localization.units[0];
    expect(unit.perCase.find((c) => c.caseId === 'c2')!.value).toBeCloseTo(0.75, 12);
    expect(unit.value).toBeCloseTo((1 + 0.75 + 1 + 1) / 4, 12);
    expect(after.cells.exact.localization.value).toBeCloseTo(0.9375, 12);
    // map agreement does not read the readers: unchanged
    expect(after.cells.exact.repeatability.value).toBeCloseTo(1, 12);
  });

  it('a model whose maps fail: its units are n/a with the reason, the verdict undetermined, never a fail', async () => {
    const d = deps();
    const failing: TrustDeps = { ...d, map: (q) => (q.modelId === 'B-s1' ? Promise.reject(Object.assign(new Error('model.json not found'), { code: 'NOT_FOUND_MODEL' })) : d.map(q)) };
    const r = await createTrustSession(config, cases(), failing).run();
    const cell = r.cells.exact.reproducibility;
    expect(cell.state).toBe('n/a');
    expect(cell.reason).toMatch(/model B-s1 is not available: model.json not found/);
    expect(r.cells.exact.repeatability.state).toBe('pass');
    expect(r.verdicts.exact.state).toBe('undetermined');
    expect(r.verdicts.exact.reasons.join(' ')).toMatch(/reproducibility: n\/a/);
  });

  it('one family only: reproducibility is n/a with its reason; a GraphModel-like cascade failure makes randomization n/a', async () => {
    const one: TrustConfig = { ...config, models: [model('A-s1', 'A', 1), model('soft', 'A', 2, { kind: 'logit', index: 1 })] };
    const d = deps();
    const r = await createTrustSession(one, cases(), { ...d, steps: (m) => (m === 'soft' ? Promise.reject(new Error('a TF.js GraphModel has no layers')) : d.steps(m)) }).run();
    expect(r.cells.exact.reproducibility.state).toBe('n/a');
    expect(r.cells.exact.reproducibility.reason).toMatch(/needs models of two different families/);
    expect(r.cells.exact.randomization.state).toBe('n/a');
    expect(r.cells.exact.randomization.reason).toMatch(/soft.*GraphModel/);
    expect(r.verdicts.exact.state).toBe('undetermined');
    // the softmax model's probability: softmax([0, l])[1] = sigmoid(l)
    const soft = r.classifier.find((c) => c.model === 'soft')!;
    expect(soft.perCase.find((p) => p.caseId === 'c1')!.probability).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
  });
});

describe('dashboard session over a pool (maps in flight at once)', () => {
  /** deps whose maps answer after a delay that varies by request, so answers arrive out of plan order. */
  function slowDeps(inFlight: { now: number; max: number }, log: SessionMapRequest[] = []): TrustDeps {
    const d = deps();
    let n = 0;
    return {
      ...d,
      async map(req) {
        log.push(req);
        inFlight.now++;
        inFlight.max = Math.max(inFlight.max, inFlight.now);
        const wait = (n++ * 7) % 5;
        await new Promise((r) => setTimeout(r, wait));
        inFlight.now--;
        return d.map(req);
      },
    };
  }
  const stable = (r: unknown) => JSON.parse(JSON.stringify(r, (k, v) => (k === 'createdAt' || k === 'timings' ? undefined : v)));

  it('the report does not depend on how many maps are in flight or the order they answer in', async () => {
    const one = await createTrustSession(config, cases(), deps()).run();
    const flight = { now: 0, max: 0 };
    const log: SessionMapRequest[] = [];
    const many = await createTrustSession(config, cases(), slowDeps(flight, log)).run({ concurrency: 4 });
    expect(flight.max).toBe(4);
    expect(log.length).toBe(60);
    expect(stable(many)).toEqual(stable(one));
    expect(many.cells.stripes.localization.warnings).toContain('c1 / A-s1: completeness 12% off');
  });

  it('a cancel stops the run: no map is asked for after it, and the run answers CANCELLED', async () => {
    const flight = { now: 0, max: 0 };
    const log: SessionMapRequest[] = [];
    let checks = 0;
    let asked = -1;
    const run = createTrustSession(config, cases(), slowDeps(flight, log)).run({
      concurrency: 3,
      checkpoint: () => {
        checks++;
        if (checks === 30) {
          asked = log.length;
          throw Object.assign(new Error('cancelled'), { code: 'CANCELLED' });
        }
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    await new Promise((r) => setTimeout(r, 20));
    expect(asked).toBeGreaterThan(0);
    expect(log.length).toBe(asked);
    expect(flight.now).toBe(0);
  });
});
