import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decode } from 'fast-png';
import { main } from '../main';
import { generatePhantomCase } from '../../core/phantom/generate';

describe('heatcheck phantom', () => {
  it('writes cases.csv, images, truth for abnormal cases and three reader files', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'phantom-'));
    const out = path.join(dir, 'study');
    const chunks: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => { chunks.push(String(s)); return true; }) as typeof process.stdout.write;
    let code: number;
    try {
      code = await main(['phantom', '--out', out, '--count', '6', '--seed', '9', '--size', '64']);
    } finally {
      process.stdout.write = orig;
    }
    expect(code).toBe(0);
    const printed = JSON.parse(chunks.join(''));
    expect(printed).toEqual({ out, count: 6, seed: 9, abnormal: 3 });

    const csv = readFileSync(path.join(out, 'cases.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('id,image,label,body_part,abnormality');
    expect(csv.length).toBe(7);
    const rows = csv.slice(1).map((l) => l.split(','));
    const abnormalIds = rows.filter((r) => r[2] === '1').map((r) => r[0]);
    expect(abnormalIds.length).toBe(3);
    for (const [id, image, label, part, abn] of rows) {
      expect(image).toBe(`images/${id}.png`);
      expect(['0', '1']).toContain(label);
      expect(part.length).toBeGreaterThan(0);
      expect(abn === 'none').toBe(label === '0');
      const png = decode(readFileSync(path.join(out, image)));
      expect([png.width, png.height, png.channels, png.depth]).toEqual([64, 64, 1, 8]);
      // The written pixels are the generator's pixels for that case.
      const c = generatePhantomCase(9, Number(id.slice(5)) - 1, { size: 64 });
      expect(Buffer.from(png.data as Uint8Array).equals(Buffer.from(c.image))).toBe(true);
    }
    expect(readdirSync(path.join(out, 'truth')).sort()).toEqual(abnormalIds.map((id) => `${id}.png`).sort());
    for (const id of abnormalIds) {
      const t = decode(readFileSync(path.join(out, 'truth', `${id}.png`)));
      const values = new Set(t.data as Uint8Array);
      expect([...values].every((v) => v === 0 || v === 255)).toBe(true);
      expect(values.has(255)).toBe(true);
    }
    for (const r of ['R1', 'R2', 'R3']) {
      const boxes = JSON.parse(readFileSync(path.join(out, 'readers', `${r}.json`), 'utf8')) as Record<string, number[][]>;
      expect(Object.keys(boxes).sort()).toEqual(rows.map((x) => x[0]).sort());
      for (const list of Object.values(boxes)) for (const b of list) expect(b.length).toBe(4);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the same bytes with worker threads (--jobs 2) as in one thread', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'phantom-jobs-'));
    const orig = process.stdout.write.bind(process.stdout);
    const origErr = process.stderr.write.bind(process.stderr);
    process.stdout.write = (() => true) as typeof process.stdout.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      for (const j of ['1', '2']) expect(await main(['phantom', '--out', path.join(dir, j), '--count', '9', '--seed', '4', '--size', '48', '--jobs', j])).toBe(0);
    } finally {
      process.stdout.write = orig;
      process.stderr.write = origErr;
    }
    const list = (root: string, sub = ''): string[] => readdirSync(path.join(root, sub), { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? list(root, path.join(sub, e.name)) : [path.join(sub, e.name)])).sort();
    const files = list(path.join(dir, '1'));
    expect(list(path.join(dir, '2'))).toEqual(files);
    expect(files.filter((f) => f.startsWith('images')).length).toBe(9);
    for (const f of files) expect(readFileSync(path.join(dir, '2', f)).equals(readFileSync(path.join(dir, '1', f)))).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a bad count with a usage error', async () => {
    const errs: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    const origOut = process.stdout.write.bind(process.stdout);
    process.stderr.write = ((s: string) => { errs.push(String(s)); return true; }) as typeof process.stderr.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      expect(await main(['phantom', '--out', path.join(tmpdir(), 'x'), '--count', 'many', '--seed', '1'])).toBe(2);
    } finally {
      process.stderr.write = orig;
      process.stdout.write = origOut;
    }
    expect(errs.join('')).toContain('--count');
  });
});
