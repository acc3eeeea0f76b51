/**
 * Reader colours from the Okabe-Ito palette (distinguishable with the common colour-vision
 * deficiencies); the consensus contour uses its yellow, which no reader gets.
 */
export const READER_COLORS = ['#E69F00', '#56B4E9', '#009E73', '#D55E00', '#CC79A7', '#0072B2', '#999999'];
export const CONSENSUS_COLOR = '#F0E442';
export function readerColor(readerIds: string[], id: string): string {
  const i = readerIds.indexOf(id);
  return READER_COLORS[(i < 0 ? 0 : i) % READER_COLORS.length];
}
