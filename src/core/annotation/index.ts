/** Annotation core: readers' regions (boxes, polygons) -> masks -> consensus -> reader agreement. */
export { rasterizeBoxes, coveredRange } from './rasterise';
export { fillPolygon, rasterizePolygons, polygonBounds } from './polygon';
export { rasterizeRegions, consensusFromRegions, readerAgreementFromRegions, regionBounds, regionsCanvas, splitRegions } from './regions';
export { consensusMask, consensusFromBoxes, coverageCounts, countsToMask, addMask } from './consensus';
export { readerAgreement, readerAgreementFromBoxes, pooledReaderAgreement } from './agreement';
export { studyReaderAgreement } from './studyAgreement';
export { boxCells, cellsToMask } from './cells';
export type { BoxCells } from './cells';
export type { ReaderAgreement, PairAgreement, PooledReaderAgreement } from './agreement';
export type { StudyAgreement, StudyAgreementCase, AgreementCaseInput } from './studyAgreement';
