/** An error for people: a stable code, what was expected and found, and what to do. */
export class HeatcheckError extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HeatcheckError';
  }
}

/** Exit codes by error family. 1 is for unexpected failures. */
export const EXIT_CODES: Record<string, number> = {
  USAGE: 2,
  NOT_FOUND: 3,
  BAD_INPUT: 4,
  BACKEND: 5,
};

export function exitCodeFor(code: string): number {
  const family = code.split('_')[0];
  return EXIT_CODES[code] ?? EXIT_CODES[family] ?? 1;
}
