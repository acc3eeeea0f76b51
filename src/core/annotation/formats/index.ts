/** Readers' files in other tools' formats (VIA, COCO) and the app's own reader export, as regions. */
export { parseRegionFile, parseHeatcheckReader } from './readerFile';
export { parseViaCsv, parseViaJson, toViaCsv, viaShape, isViaCsv, VIA_CSV_HEADER } from './via';
export { parseCoco, isCoco } from './coco';
export { matchImagesToCases, baseStem } from './match';
export type { MatchCase, MatchResult } from './match';
export { RegionFileError } from './types';
export type { RegionFile, ImageRegions, SkippedShapes, RegionFormat } from './types';
