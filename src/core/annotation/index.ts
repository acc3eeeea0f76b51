/** Annotation core: boxes -> masks -> consensus -> reader agreement. */
export { rasterizeBoxes, coveredRange } from './rasterise';
export { consensusMask, consensusFromBoxes, coverageCounts, countsToMask, addMask } from './consensus';
export { readerAgreement, pooledReaderAgreement } from './agreement';
export type { ReaderAgreement, PairAgreement, PooledReaderAgreement } from './agreement';
