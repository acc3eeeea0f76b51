import { HeatcheckError } from './errors';

/** A comma-separated option as a list of trimmed, non-empty items. */
export const list = (s: string | undefined): string[] => (s ?? '').split(',').map((v) => v.trim()).filter(Boolean);

/** An integer option (>= min), or undefined when it was not given. */
export function intOption(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new HeatcheckError('USAGE_BAD_OPTION', `--${name} must be an integer >= ${min}, found "${raw}".`);
  return v;
}
