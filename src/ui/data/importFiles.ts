import type { ImportSource } from '../../state/importExport';

/** Files from an <input type=file> (webkitRelativePath for folder picks). */
export function sourcesFromInput(list: FileList | null): ImportSource[] {
  return Array.from(list ?? []).map((f) => ({ path: (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name, file: f }));
}

type Entry = { isFile: boolean; isDirectory: boolean; name: string; fullPath: string; file?(ok: (f: File) => void, err: (e: unknown) => void): void; createReader?(): { readEntries(ok: (e: Entry[]) => void, err: (e: unknown) => void): void } };

async function walkEntry(e: Entry, out: ImportSource[]): Promise<void> {
  if (e.isFile && e.file) {
    const f = await new Promise<File>((ok, err) => e.file!(ok, err));
    out.push({ path: e.fullPath.replace(/^\//, ''), file: f });
  } else if (e.isDirectory && e.createReader) {
    const reader = e.createReader();
    // readEntries returns at most ~100 entries per call: read until empty.
    for (;;) {
      const batch = await new Promise<Entry[]>((ok, err) => reader.readEntries(ok, err));
      if (!batch.length) break;
      for (const child of batch) await walkEntry(child, out);
    }
  }
}

/** Files and folders dropped on the page, folders walked recursively. */
export async function sourcesFromDrop(dt: DataTransfer): Promise<ImportSource[]> {
  const entries: Entry[] = [];
  for (const it of Array.from(dt.items ?? [])) {
    const e = (it.webkitGetAsEntry?.() ?? null) as unknown as Entry | null;
    if (e) entries.push(e);
  }
  if (!entries.length) return sourcesFromInput(dt.files);
  const out: ImportSource[] = [];
  for (const e of entries) await walkEntry(e, out);
  return out;
}
