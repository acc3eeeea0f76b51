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

/** The IG family's accuracy flags, as commander hands them over (maps and evaluate take them). */
export interface IgAccuracyFlags {
  igRule?: string;
  igTolerance?: string;
  igMaxSteps?: string;
}

const IG_RULE_NAMES = ['pair', 'trapezoid', 'gauss-legendre'];

/**
 * --ig-rule, --ig-tolerance and --ig-max-steps as parameter overrides ({rule, tolerance, maxSteps},
 * only those given); igOverridesFor in commands/maps.ts hands each method the keys it has.
 */
export function igAccuracyOptions(o: IgAccuracyFlags): { rule?: string; tolerance?: number; maxSteps?: number } {
  const out: { rule?: string; tolerance?: number; maxSteps?: number } = {};
  if (o.igRule !== undefined) {
    if (!IG_RULE_NAMES.includes(o.igRule)) throw new HeatcheckError('USAGE_BAD_OPTION', `--ig-rule is one of ${IG_RULE_NAMES.join(', ')}, found "${o.igRule}".`);
    out.rule = o.igRule;
  }
  if (o.igTolerance !== undefined) {
    const v = Number(o.igTolerance);
    if (o.igTolerance.trim() === '' || !(v >= 0)) throw new HeatcheckError('USAGE_BAD_OPTION', `--ig-tolerance must be a number >= 0 (a relative completeness error, for example 0.05), found "${o.igTolerance}".`);
    out.tolerance = v;
  }
  const maxSteps = intOption('ig-max-steps', o.igMaxSteps, 1);
  if (maxSteps !== undefined) out.maxSteps = maxSteps;
  return out;
}

/** Registers --ig-rule, --ig-tolerance and --ig-max-steps on a command (maps, evaluate). */
export function addIgAccuracyOptions<C extends { option(flags: string, description: string): C }>(cmd: C): C {
  return cmd
    .option('--ig-rule <rule>', 'quadrature rule of the IG family\'s path integral: pair (PAIR\'s), trapezoid or gauss-legendre (default: the measured best, see bench/igCompleteness.ts)')
    .option('--ig-tolerance <e>', 'largest completeness error |sum(attr) - (f(x) - f(b))| / |f(x) - f(b)| before the IG family doubles its steps (default 0.05)')
    .option('--ig-max-steps <n>', 'cap of the IG family\'s step doubling; a map still over tolerance carries a warning (default: the preset\'s)');
}
