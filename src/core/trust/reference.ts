/**
 * The seed study's reference results (SPEC section 8), set beside ours in the trust report.
 * Method ids as in the saliency registry.
 */
export const SEED_REFERENCE = {
  source: 'Venkatesh et al., SIIM 2022 (seed); journal version J Imaging Inform Med 2024; Arun et al., Radiology: AI 2021 (SPEC section 8)',
  localizationAUROC: { range: [0.755, 0.863] as [number, number], lowest: 'gradcam', highest: 'xrai', source: 'seed (SIIM 2022)' },
  passRandomization: ['grad', 'ig', 'sig'],
  passRepeatability: ['gradcam', 'ig', 'sig', 'xrai'],
  passReproducibility: ['gradcam', 'ig', 'xrai'],
  trustworthyOnAllFour: [] as string[],
  journalAUPRC: { range: [0.438, 0.59] as [number, number], lowest: 'sg', highest: 'xrai', readers: 0.816, source: 'journal version (2024)' },
  journalRepeatabilityIoU: { range: [0.427, 0.551] as [number, number], lowest: 'sg', highest: 'ig', readers: 0.613, readersNote: 'reader vs a consensus that includes the reader (optimistic)', source: 'journal version (2024)' },
  arunRSNAPneumoniaAUPRC: { range: [0.16, 0.519] as [number, number], retinaNet: 0.596, source: 'Arun et al. 2021' },
} as const;

/** Pass/fail of the seed per method and criterion (localization: the seed reports figures, not a pass). */
export function seedPass(method: string): { localization: null; randomization: boolean; repeatability: boolean; reproducibility: boolean; trustworthy: boolean } {
  return {
    localization: null,
    randomization: (SEED_REFERENCE.passRandomization as readonly string[]).includes(method),
    repeatability: (SEED_REFERENCE.passRepeatability as readonly string[]).includes(method),
    reproducibility: (SEED_REFERENCE.passReproducibility as readonly string[]).includes(method),
    trustworthy: false,
  };
}
