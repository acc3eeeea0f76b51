import type { CriterionId } from '../../core/metrics/criteria/types';

/**
 * The seed study's results (SPEC section 8: Venkatesh et al., SIIM 2022), shown beside ours.
 * Localization: the seed reports AUROC from 0.755 (Grad-CAM) to 0.863 (XRAI); the other methods lie
 * between. Pass lists: randomization GRAD, IG, SIG; repeatability Grad-CAM, IG, SIG, XRAI;
 * reproducibility Grad-CAM, IG, XRAI; trustworthy on all four: none.
 */
export interface SeedCell { text: string; pass: boolean | null }

const PASS: Record<Exclude<CriterionId, 'localization'>, string[]> = {
  randomization: ['grad', 'ig', 'sig'],
  repeatability: ['gradcam', 'ig', 'sig', 'xrai'],
  reproducibility: ['gradcam', 'ig', 'xrai'],
};

export function seedCell(method: string, criterion: CriterionId): SeedCell | null {
  if (!['gradcam', 'grad', 'ig', 'sg', 'sig', 'xrai'].includes(method)) return null;
  if (criterion === 'localization') {
    if (method === 'gradcam') return { text: 'AUROC 0.755 (lowest)', pass: null };
    if (method === 'xrai') return { text: 'AUROC 0.863 (highest)', pass: null };
    return { text: 'AUROC within 0.755–0.863', pass: null };
  }
  const pass = PASS[criterion].includes(method);
  return { text: pass ? 'pass' : 'fail', pass };
}

export const SEED_TRUSTWORTHY = 'none of the six';
export const SEED_SOURCE = 'Venkatesh et al., SIIM 2022 (SPEC section 8)';
