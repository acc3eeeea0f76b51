import { describe, expect, it } from 'vitest';
import { filterCases, nextUnfinished, readerOrder } from './worklist';

const cases = Array.from({ length: 12 }, (_, i) => ({ id: `c${i}`, order: 11 - i, label: (i % 3 === 0 ? 1 : i % 3 === 1 ? 0 : null) as 0 | 1 | null, bodyPart: i < 6 ? 'hand' : 'wrist' }));

describe('worklist', () => {
  it('keeps the study order without shuffle', () => {
    expect(readerOrder(cases, 'R1', { shuffle: false, seed: 1 }).map((c) => c.id)).toEqual(cases.map((c) => c.id).reverse());
  });
  it('a seeded shuffle is a permutation, repeatable, and differs between readers', () => {
    const a = readerOrder(cases, 'R1', { shuffle: true, seed: 7 }).map((c) => c.id);
    expect([...a].sort()).toEqual(cases.map((c) => c.id).sort());
    expect(readerOrder(cases, 'R1', { shuffle: true, seed: 7 }).map((c) => c.id)).toEqual(a);
    expect(readerOrder(cases, 'R2', { shuffle: true, seed: 7 }).map((c) => c.id)).not.toEqual(a);
  });
  it('filters by label and body part', () => {
    expect(filterCases(cases, { label: 'abnormal', bodyPart: 'all' }).map((c) => c.id)).toEqual(['c0', 'c3', 'c6', 'c9']);
    expect(filterCases(cases, { label: 'unlabelled', bodyPart: 'wrist' }).map((c) => c.id)).toEqual(['c8', 'c11']);
    expect(filterCases(cases, { label: 'normal', bodyPart: 'hand' }).map((c) => c.id)).toEqual(['c1', 'c4']);
  });
  it('jumps to the next unfinished case, wrapping round; "no abnormality found" counts as finished, unread does not', () => {
    const st: Record<string, 'done' | 'no-finding' | 'in-progress'> = { a: 'done', b: 'no-finding', c: 'in-progress', d: 'done' };
    const ids = ['a', 'b', 'c', 'd', 'e'];
    expect(nextUnfinished(ids, (id) => st[id], 'a')).toBe('c');
    expect(nextUnfinished(ids, (id) => st[id], 'c')).toBe('e');
    expect(nextUnfinished(ids, (id) => st[id], 'e')).toBe('c');
    expect(nextUnfinished(['a', 'b'], (id) => st[id], 'a')).toBeNull();
  });
});
