/**
 * For tests: a real trust report, computed by the study (src/core/trust/study.ts) on synthetic
 * maps. Two models of one family (a repeatability pair), one method; case k's map covers the
 * first k + 1 of 100 pixels (model m2's one more), the reader's box the top-left 5 x 5.
 */
import { TrustStudy, type MapSource, type StudyModel } from '../trust/study';
import { sha256Hex } from '../study/hash';
import type { TrustReport } from '../trust/report';

export async function syntheticTrustReport(): Promise<TrustReport> {
  const S = 10;
  const source: MapSource = {
    image: async () => null,
    predict: async (caseId) => ({ logit: caseId.startsWith('a') ? 1 : -1, output: [caseId.startsWith('a') ? 1 : -1] }),
    map: async (q) => {
      const d = new Float32Array(S * S);
      for (let i = 0; i <= Number(q.caseId.slice(1)) + (q.modelId === 'm2' ? 1 : 0); i++) d[i] = 1;
      return { map: { data: d, height: S, width: S }, cached: false, ms: 0 };
    },
    cascade: async () => ({ unavailable: 'synthetic maps have no cascade' }),
  };
  const hash = (s: string) => sha256Hex(new TextEncoder().encode(s));
  const model = async (id: string, seed: number): Promise<StudyModel> => ({ id, name: `Net ${id}`, architecture: 'net', family: 'net', seed, input: { height: S, width: S, channels: 1 }, output: { kind: 'logit', index: 0 }, weightsSha256: await hash(`weights of ${id}`) });
  const models = [await model('m1', 1), await model('m2', 2)];
  const cases = [0, 1, 2, 3].map((k) => ({ id: `a${k}`, name: `a/${k}.png`, label: 1 as const, width: S, height: S, readers: { R1: [[0, 0, 5, 5] as [number, number, number, number]] } }));
  return new TrustStudy(cases, models, { methods: ['flat'], preset: 'quick', seed: 0, quorum: 1, caseSet: 'all-abnormal', randomization: { cases: 2, steps: 'all' }, stats: { resamples: 50 } }, source).run();
}
