import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HeatcheckError } from './errors';

/** One input that could not be processed: the file, a stable code and a message for people. */
export interface Failure {
  file: string;
  code: string;
  message: string;
}

const csvField = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/**
 * Collects per-file failures of a batch command so that one bad input never stops the others:
 * each failure is a line on stderr at once and a row of OUT/errors.csv (file,code,message) at the end.
 */
export class FailureLog {
  readonly failures: Failure[] = [];

  /** Records a failure of `file` from any thrown value; returns it. */
  add(file: string, e: unknown): Failure {
    const code = (e as { code?: unknown })?.code;
    const f: Failure = {
      file,
      code: typeof code === 'string' ? code : 'INTERNAL',
      message: e instanceof Error ? e.message : String(e),
    };
    this.failures.push(f);
    const said = f.message.startsWith(`${file}: `) ? f.message.slice(file.length + 2) : f.message;
    process.stderr.write(`heatcheck: skipped ${file}: ${said}\n`);
    return f;
  }

  /** Runs `fn`; a throw is recorded against `file` and answered with undefined. */
  async attempt<T>(file: string, fn: () => Promise<T> | T): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      this.add(file, e);
      return undefined;
    }
  }

  get count(): number {
    return this.failures.length;
  }

  /** CSV text: header `file,code,message`, one row per failure. */
  toCsv(): string {
    return ['file,code,message', ...this.failures.map((f) => [f.file, f.code, f.message].map(csvField).join(','))].join('\n') + '\n';
  }

  /** Writes OUT/errors.csv (always, so an output folder says why it is short); returns its path. */
  writeCsv(outDir: string): string {
    mkdirSync(outDir, { recursive: true });
    const p = path.join(outDir, 'errors.csv');
    writeFileSync(p, this.toCsv());
    return p;
  }

  /**
   * Ends a batch: throws when nothing at all was processed (exit code of the first failure's
   * family), or when `strict` and anything failed.
   */
  finish(processed: number, strict = false): void {
    if (this.failures.length === 0) return;
    if (processed === 0 || strict) {
      const first = this.failures[0];
      const why = processed === 0 ? 'no input could be processed' : `--strict: ${this.failures.length} input(s) failed`;
      throw new HeatcheckError(first.code.startsWith('BAD_INPUT') || first.code.startsWith('NOT_FOUND') ? first.code : 'BAD_INPUT_BATCH', `${why}; first: ${first.file}: ${first.message}`, {
        failures: this.failures.length,
      });
    }
  }
}
