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

/** The exit code of an error code: exact match first, then the longest family prefix (NOT_FOUND_MODEL -> NOT_FOUND). */
export function exitCodeFor(code: string): number {
  if (EXIT_CODES[code] !== undefined) return EXIT_CODES[code];
  const family = Object.keys(EXIT_CODES)
    .filter((f) => code.startsWith(f + '_'))
    .sort((a, b) => b.length - a.length)[0];
  return family ? EXIT_CODES[family] : 1;
}
