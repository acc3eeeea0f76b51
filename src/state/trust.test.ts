import { describe, expect, it } from 'vitest';
import { clampView, createCompareStore, finishedReaders, selectCases, studyModelOf } from './trust';
import type { AnnotationRecord, CaseRecord } from './db';

const model = (id: string, architecture: string, seed: number) => ({ id, manifest: { architecture, family: architecture, seed, name: id, input: { height: 8, width: 8, channels: 1 }, output: { kind: 'softmax' as const, index: 1 } } });

describe('studyModelOf', () => {
  it('reads family, seed, input and the declared output from the manifest', () => {
    const m = studyModelOf(model('dn-s1', 'densenet', 1) as never);
    expect(m).toMatchObject({ id: 'dn-s1', family: 'densenet', seed: 1, input: { height: 8, width: 8, channels: 1 }, output: { kind: 'softmax', index: 1 } });
  });
});

describe('case selection and readers', () => {
  const c = (id: string, label: 0 | 1 | null, order: number): CaseRecord => ({ id, studyId: 's', imageHash: id, name: id, label, width: 4, height: 4, order });
  it('takes the first abnormal and normal cases in study order', () => {
    const cases = [c('a', 1, 3), c('b', 0, 0), c('d', 1, 1), c('e', null, 2), c('f', 0, 4)];
    expect(selectCases(cases, 1, 5).map((x) => x.id)).toEqual(['b', 'd', 'f']);
  });
  it('counts only finished readers, boxes normalised to x0 <= x1', () => {
    const rec = (readerId: string, status: AnnotationRecord['status'], boxes: AnnotationRecord['boxes']): AnnotationRecord => ({ readerId, caseId: 'a', status, boxes, updatedAt: 0, rev: 1 });
    const out = finishedReaders([rec('R1', 'done', [{ id: 'x', x0: 5, y0: 1, x1: 2, y1: 3 }]), rec('R2', 'no-finding', []), rec('R3', 'in-progress', [{ id: 'y', x0: 0, y0: 0, x1: 1, y1: 1 }])]);
    expect(out).toEqual({ R1: [[2, 1, 5, 3]], R2: [] });
  });
});

describe('compare view', () => {
  it('zooms about a point, keeping it fixed, and clamps to the image', () => {
    const s = createCompareStore();
    s.getState().zoomBy(2, { x: 0.25, y: 0.25 });
    // the point (0.25, 0.25) keeps its place: centre moves halfway towards it, then clamped to [0.25, 0.75]
    expect(s.getState().view).toEqual({ scale: 2, cx: 0.375, cy: 0.375 });
    s.getState().panBy(-1, 0);
    expect(s.getState().view.cx).toBe(0.25);
    s.getState().zoomBy(0.1);
    expect(s.getState().view).toEqual({ scale: 1, cx: 0.5, cy: 0.5 });
    expect(clampView({ scale: 100, cx: 0, cy: 1 })).toEqual({ scale: 16, cx: 0.5 / 16, cy: 1 - 0.5 / 16 });
  });
});
