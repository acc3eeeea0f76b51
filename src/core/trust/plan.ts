/**
 * Planning helpers of the trust report: which cascade steps to randomize, which model pairs test
 * repeatability and reproducibility. Pure functions, no tensors.
 */

/** How many cascade steps randomization visits: every step, or at most N evenly spaced ending at the fully randomized one. */
export type StepPlan = 'all' | { count: number };

/**
 * Indices (0-based, cascadeSteps order) of the steps to visit out of `total`. The last step (fully
 * randomized) is always included; with {count: N} the others are spread evenly: step
 * round(total * k / N) - 1 for k = 1..N (so N = 1 is the fully randomized model only).
 */
export function selectSteps(total: number, plan: StepPlan): number[] {
  if (!Number.isInteger(total) || total < 1) return [];
  if (plan === 'all' || plan.count >= total) return Array.from({ length: total }, (_, i) => i);
  const n = Math.max(1, Math.floor(plan.count));
  const out = new Set<number>();
  for (let k = 1; k <= n; k++) out.add(Math.max(0, Math.round((total * k) / n) - 1));
  return [...out].sort((a, b) => a - b);
}

/**
 * `--cases N`: N cases balanced by label, so a small run still has both classes for the classifier
 * AUROC and abnormal cases for localization. Abnormal and normal cases are taken alternately
 * (abnormal first), each class in folder order; when one class runs out the other fills in, and
 * unlabelled cases come last. The chosen cases keep their folder order.
 */
export function balancedCases<C extends { label: 0 | 1 | null | undefined }>(cases: readonly C[], n: number): C[] {
  const idx = (want: 0 | 1 | null) => cases.map((c, i) => [c, i] as const).filter(([c]) => (want === null ? c.label !== 0 && c.label !== 1 : c.label === want)).map(([, i]) => i);
  const pos = idx(1);
  const neg = idx(0);
  const other = idx(null);
  const take: number[] = [];
  let p = 0;
  let q = 0;
  while (take.length < n && (p < pos.length || q < neg.length)) {
    if (p < pos.length && (p <= q || q >= neg.length)) take.push(pos[p++]);
    else take.push(neg[q++]);
  }
  for (const i of other) if (take.length < n) take.push(i);
  return take.sort((a, b) => a - b).map((i) => cases[i]);
}

export interface PairableModel {
  id: string;
  family: string;
  seed?: number;
}

export interface ModelPair {
  a: string;
  b: string;
  /** Why these two were paired (same family / different seeds, or different families / same seed). */
  rule: string;
}

/**
 * Repeatability: every pair of models of one family with different (or unknown) seeds.
 * Models are taken in the given order; a pair is (earlier, later).
 */
export function repeatabilityPairs(models: readonly PairableModel[]): ModelPair[] {
  const out: ModelPair[] = [];
  for (let i = 0; i < models.length; i++) {
    for (let j = i + 1; j < models.length; j++) {
      const a = models[i];
      const b = models[j];
      if (a.family !== b.family) continue;
      if (a.seed !== undefined && a.seed === b.seed) continue;
      out.push({ a: a.id, b: b.id, rule: `same family "${a.family}", seeds ${a.seed ?? '?'} and ${b.seed ?? '?'}` });
    }
  }
  return out;
}

/**
 * Reproducibility: for every two families, the pairs of their models with the same seed; when the
 * two families share no seed, the first model of each (in the given order).
 */
export function reproducibilityPairs(models: readonly PairableModel[]): ModelPair[] {
  const families: string[] = [];
  for (const m of models) if (!families.includes(m.family)) families.push(m.family);
  const out: ModelPair[] = [];
  for (let i = 0; i < families.length; i++) {
    for (let j = i + 1; j < families.length; j++) {
      const fa = models.filter((m) => m.family === families[i]);
      const fb = models.filter((m) => m.family === families[j]);
      const same: ModelPair[] = [];
      for (const a of fa) {
        const b = fb.find((m) => m.seed !== undefined && m.seed === a.seed);
        if (b) same.push({ a: a.id, b: b.id, rule: `families "${a.family}" and "${b.family}", same seed ${a.seed}` });
      }
      if (same.length) out.push(...same);
      else out.push({ a: fa[0].id, b: fb[0].id, rule: `families "${families[i]}" and "${families[j]}", no common seed: first model of each` });
    }
  }
  return out;
}

/** Why a pairing is empty, for the report's explicit null. */
export function noPairsReason(kind: 'repeatability' | 'reproducibility', models: readonly PairableModel[]): string {
  const fams = new Map<string, PairableModel[]>();
  for (const m of models) fams.set(m.family, [...(fams.get(m.family) ?? []), m]);
  const desc = [...fams].map(([f, ms]) => `${f}: ${ms.map((m) => `${m.id} (seed ${m.seed ?? '?'})`).join(', ')}`).join('; ');
  return kind === 'repeatability'
    ? `needs two models of one family with different seeds (manifest.family, manifest.seed); given ${desc || 'no models'}`
    : `needs models of two different families (manifest.family); given ${desc || 'no models'}`;
}
