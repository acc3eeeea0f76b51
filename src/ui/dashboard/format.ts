export const CRITERIA_LABELS = { localization: 'Localization', randomization: 'Randomization', repeatability: 'Repeatability', reproducibility: 'Reproducibility' } as const;

export const fmt = (v: number | null | undefined, d = 3) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));
export const fmtCi = (ci: [number, number] | null | undefined) => (ci && Number.isFinite(ci[0]) ? `[${ci[0].toFixed(3)}, ${ci[1].toFixed(3)}]` : '');
export const fmtP = (p: number | null | undefined) => (p === null || p === undefined || !Number.isFinite(p) ? 'n/a' : p < 0.001 ? '<0.001' : p.toFixed(3));
export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '…';
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}
