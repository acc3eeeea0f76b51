import { describe, expect, it } from 'vitest';
import { exitCodeFor } from './errors';

describe('exitCodeFor', () => {
  it('maps error families to exit codes', () => {
    expect(exitCodeFor('USAGE')).toBe(2);
    expect(exitCodeFor('NOT_FOUND_MODEL')).toBe(3);
    expect(exitCodeFor('BAD_INPUT_SHAPE')).toBe(4);
    expect(exitCodeFor('BACKEND_FAILED')).toBe(5);
    expect(exitCodeFor('SOMETHING_ELSE')).toBe(1);
  });
});
