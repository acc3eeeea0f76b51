import { vi } from 'vitest';
import { main } from '../main';

/** What one in-process run of the `heatcheck` command printed and returned. */
export interface CliResult {
  code: number;
  /** stdout as printed. */
  out: string;
  /** stdout parsed as JSON (every command prints one JSON object; {} when nothing was printed). */
  json: Record<string, unknown>;
  err: string;
}

/** Runs `heatcheck <args>` in this process (tests), capturing stdout and stderr. */
export async function runCli(args: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  try {
    const code = await main(args);
    return { code, out, json: out.trim() ? (JSON.parse(out) as Record<string, unknown>) : {}, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
