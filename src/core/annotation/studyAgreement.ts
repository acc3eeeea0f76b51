/**
 * Reader agreement over a study from readers' regions: the figures of `heatcheck agreement` and of
 * the coordinator view.
 *
 * - readerVsConsensusIoU: each reader against the consensus of ALL readers of the case, the reader
 *   included (the seed's journal paper reports this figure; optimistic, since the reader helps make
 *   the consensus).
 * - readerVsOthersIoU: each reader against the consensus of the OTHER readers (leave-one-out; the
 *   quorum capped at the number of others, as in agreement.ts).
 * Both are means over (case, reader) pairs where the reader drew at least one region; an empty
 * consensus counts as IoU 0 (a reader who outlined something the consensus does not hold agreed
 * with nothing). Per case: the mean over that case's pairs; pooled: the mean over all pairs.
 * Pairwise IoU and Dice and Fleiss' kappa follow SPEC section 4 (agreement.ts): per case, pairs
 * averaged; pooled, the mean of the case means and the Fleiss' kappa of all pixels of all cases.
 */
import type { RegionCoords } from '../study/types';
import { rasterizeRegions } from './regions';
import { readerAgreement, pooledReaderAgreement, type ReaderAgreement } from './agreement';
import { MetricError } from '../metrics/errors';

export interface AgreementCaseInput {
  id: string;
  width: number;
  height: number;
  /** The readers who read this case, each with their regions (an empty list: read, nothing found). */
  readers: Record<string, readonly RegionCoords[]>;
}

export interface StudyAgreementCase {
  id: string;
  width: number;
  height: number;
  readers: string[];
  /** Readers who drew at least one region here (the pairs the two IoU figures average over). */
  drew: string[];
  readerVsConsensusIoU: number;
  readerVsOthersIoU: number;
  perReader: Record<string, { vsConsensusIoU: number; vsOthersIoU: number }>;
  pairwise: Array<{ a: string; b: string; iou: number; dice: number }>;
  meanPairwiseIoU: number;
  meanPairwiseDice: number;
  /** Pixel-level Fleiss' kappa of this case; NaN with fewer than two readers or when every pixel agrees by chance. */
  fleissKappa: number;
  /** The full per-case agreement of agreement.ts (pixel counts, Dice against the consensus, pixel error). */
  agreement: ReaderAgreement | null;
}

export interface StudyAgreement {
  quorum: number;
  cases: StudyAgreementCase[];
  pooled: {
    cases: number;
    /** (case, reader) pairs where the reader drew. */
    pairs: number;
    readerVsConsensusIoU: number;
    readerVsOthersIoU: number;
    perReader: Record<string, { cases: number; vsConsensusIoU: number; vsOthersIoU: number }>;
    /** Mean over cases (with two or more readers) of the per-case mean pairwise IoU and Dice. */
    meanPairwiseIoU: number;
    meanPairwiseDice: number;
    /** Fleiss' kappa over all pixels of all cases pooled. */
    fleissKappa: number;
    /** Mean of the per-case kappas where defined. */
    meanCaseFleissKappa: number;
  };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);

export function studyReaderAgreement(cases: readonly AgreementCaseInput[], quorum = 2): StudyAgreement {
  if (!Number.isInteger(quorum) || quorum < 1) throw new MetricError('BAD_INPUT_QUORUM', `agreement: quorum must be an integer >= 1; found ${quorum}`);
  const out: StudyAgreementCase[] = [];
  const allCons: number[] = [];
  const allOthers: number[] = [];
  const byReader: Record<string, { cons: number[]; others: number[] }> = {};
  const agreements: ReaderAgreement[] = [];
  for (const c of cases) {
    const readers = Object.keys(c.readers).sort();
    const masks = readers.map((r) => rasterizeRegions(c.readers[r], c.width, c.height));
    const drew = readers.filter((r) => c.readers[r].length > 0);
    const perReader: StudyAgreementCase['perReader'] = {};
    // agreement.ts's overlaps (word-at-a-time). They differ from the rule here only where the
    // reader's mask is empty (regions smaller than a pixel centre): agreement.ts scores an empty
    // mask against an empty consensus 1, here that is 0; a non-empty mask against an empty
    // consensus is 0 in both.
    const full = readers.length ? readerAgreement(Object.fromEntries(readers.map((r, k) => [r, masks[k]])), quorum) : null;
    for (const r of drew) {
      const k = readers.indexOf(r);
      const empty = masks[k].indexOf(1) < 0;
      const vsAll = empty ? 0 : full!.vsAllIncludingSelf[r].iou;
      // with no other reader the leave-one-out consensus is empty
      const vsOthers = empty || readers.length < 2 ? 0 : full!.vsOthers[r].iou;
      perReader[r] = { vsConsensusIoU: vsAll, vsOthersIoU: vsOthers };
      allCons.push(vsAll);
      allOthers.push(vsOthers);
      const br = (byReader[r] ??= { cons: [], others: [] });
      br.cons.push(vsAll);
      br.others.push(vsOthers);
    }
    let agreement: ReaderAgreement | null = null;
    if (readers.length >= 2) {
      agreement = full;
      agreements.push(full!);
    }
    out.push({
      id: c.id,
      width: c.width,
      height: c.height,
      readers,
      drew,
      readerVsConsensusIoU: mean(drew.map((r) => perReader[r].vsConsensusIoU)),
      readerVsOthersIoU: mean(drew.map((r) => perReader[r].vsOthersIoU)),
      perReader,
      pairwise: agreement ? agreement.pairs.map((p) => ({ a: p.a, b: p.b, iou: p.iou, dice: p.dice })) : [],
      meanPairwiseIoU: agreement ? agreement.meanIoU : NaN,
      meanPairwiseDice: agreement ? agreement.meanDice : NaN,
      fleissKappa: agreement ? agreement.fleissKappa : NaN,
      agreement,
    });
  }
  const pooled = pooledReaderAgreement(agreements);
  return {
    quorum,
    cases: out,
    pooled: {
      cases: cases.length,
      pairs: allCons.length,
      readerVsConsensusIoU: mean(allCons),
      readerVsOthersIoU: mean(allOthers),
      perReader: Object.fromEntries(Object.keys(byReader).sort().map((r) => [r, { cases: byReader[r].cons.length, vsConsensusIoU: mean(byReader[r].cons), vsOthersIoU: mean(byReader[r].others) }])),
      meanPairwiseIoU: pooled.meanIoU,
      meanPairwiseDice: pooled.meanDice,
      fleissKappa: agreements.length ? pooled.pooledFleissKappa : NaN,
      meanCaseFleissKappa: pooled.meanCaseFleissKappa,
    },
  };
}
