/** Errors of the metrics and criteria: a stable code, what was expected and what was found. */
export class MetricError extends Error {
  constructor(
    public readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MetricError';
  }
}

/** Throws a SHAPE_MISMATCH error unless two arrays have the same length. */
export function assertSameLength(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) {
    throw new MetricError('BAD_INPUT_SHAPE', `${what}: the two arrays must hold the same number of pixels; found ${a.length} and ${b.length}. Resample one onto the other's grid first (resample.ts).`);
  }
}
