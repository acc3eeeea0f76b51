import { describe, expect, it } from 'vitest';
import { abnormalProbability } from './abnormal';

describe('abnormalProbability', () => {
  it('one logit: its sigmoid', () => {
    expect(abnormalProbability([0.8], { kind: 'logit', index: 0 })).toBeCloseTo(1 / (1 + Math.exp(-0.8)), 15);
  });
  it('several logits: the softmax of the row at the index (not a sigmoid of one unit)', () => {
    const e = [Math.exp(1), Math.exp(2), Math.exp(0.5)];
    expect(abnormalProbability([1, 2, 0.5], { kind: 'logit', index: 1 })).toBeCloseTo(e[1] / (e[0] + e[1] + e[2]), 15);
    // large logits stay finite (max subtracted first)
    expect(abnormalProbability([1000, 1001], { kind: 'logit', index: 1 })).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
  });
  it('sigmoid or softmax outputs: the unit itself', () => {
    expect(abnormalProbability([0.1, 0.7, 0.2], { kind: 'softmax', index: 1 })).toBe(0.7);
    expect(abnormalProbability([0.3], { kind: 'sigmoid', index: 0 })).toBe(0.3);
  });
});
