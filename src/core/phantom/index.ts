export { generatePhantomCase, generatePhantomStudy, caseDesign, caseId, DEFAULT_SIZE, MASK_THRESHOLD, PhantomError } from './generate';
export type { PhantomCase, PhantomOptions, BodyPart, AbnormalityKind } from './generate';
export { PHANTOM_PARTS } from './anatomy';
export { simulateReaders, maskBoxes, READER_IDS } from './readers';
export type { ReaderId, ReaderBoxesById } from './readers';
export { phantomStudyFiles, casesCsv } from './studyFiles';
