import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Every .npy file under a maps folder, by path relative to it, with its bytes (for byte-for-byte comparisons). */
export function npyFiles(dir: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith('.npy')) m.set(r, readFileSync(path.join(dir, r)));
    }
  };
  walk('');
  return m;
}
