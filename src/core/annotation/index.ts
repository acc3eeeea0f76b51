/** Annotation core: boxes -> masks -> consensus -> reader agreement. */
export { rasterizeBoxes, coveredRange } from './rasterise';
export { consensusMask, consensusFromBoxes, coverageCounts, countsToMask, addMask } from './consensus';
export { readerAgreement, readerAgreementFromBoxes, pooledReaderAgreement } from './agreement';
export { boxCells, cellsToMask } from './cells';
export type { BoxCells } from './cells';
export type { ReaderAgreement, PairAgreement, PooledReaderAgreement } from './agreement';
