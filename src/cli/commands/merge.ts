import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { HeatcheckError } from '../errors';
import { log, printJson } from '../output';
import { FailureLog, type Failure } from '../failures';
import { readPlan, writePlan, type MapPlan } from '../plan/plan';
import { doneEntry, entryFileOf, writeAtomic, type MapsIndexEntry } from '../jobs/compute';
import { writeIndex } from './maps';

/**
 * `heatcheck merge OUT SHARD_DIR...`: gathers the maps of shard folders (`maps --shard i/n` runs)
 * into OUT, checked against the plan (--plan, else the plan.json every shard folder holds):
 * a job found in two shard folders is an error (the shards overlapped; nothing is written), a job
 * found in none is an error after the rest is merged (OUT then says what is there; run the missing
 * shard and merge again: merging is idempotent). OUT gets the maps, their entries, plan.json,
 * index.json in plan order and errors.csv (the union of the shards' unreadable images).
 */
export interface MergeOptions {
  plan?: string;
}

function sameWork(a: MapPlan, b: MapPlan): boolean {
  const keys = (p: MapPlan) => p.jobs.map((j) => j.key).sort().join('\n');
  const models = (p: MapPlan) => p.models.map((m) => `${m.id}:${m.hash}`).sort().join(',');
  return a.preset === b.preset && a.raw === b.raw && a.seed === b.seed && models(a) === models(b) && keys(a) === keys(b);
}

export async function runMerge(outDir: string, shardDirs: string[], o: MergeOptions = {}): Promise<Record<string, unknown>> {
  if (!shardDirs.length) throw new HeatcheckError('USAGE_BAD_OPTION', 'merge needs at least one shard folder: heatcheck merge OUT SHARD_DIR...');
  for (const d of shardDirs) if (!existsSync(d)) throw new HeatcheckError('NOT_FOUND_FILE', `${d}: no such shard folder`, { file: d });
  let plan: MapPlan | undefined = o.plan ? readPlan(o.plan) : undefined;
  for (const d of shardDirs) {
    const f = path.join(d, 'plan.json');
    if (!existsSync(f)) {
      if (!o.plan) throw new HeatcheckError('NOT_FOUND_PLAN', `${d} has no plan.json (maps writes one beside its maps); give the plan with --plan`, { file: f });
      continue;
    }
    const p = readPlan(f);
    if (!plan) plan = p;
    else if (!sameWork(plan, p)) throw new HeatcheckError('BAD_INPUT_MERGE_PLAN', `${f} is not the same plan as ${o.plan ?? path.join(shardDirs[0], 'plan.json')} (other jobs, models, preset or seed); merge only shards of one plan`, { file: f });
  }
  plan = plan!;
  const out = path.resolve(outDir);
  if (shardDirs.some((d) => path.resolve(d) === out)) throw new HeatcheckError('USAGE_BAD_OPTION', `OUT ${outDir} is also given as a shard folder; merge into a new folder`);

  // Where each job's map is; a job in two shard folders means the shards overlapped.
  const found = new Map<string, { dir: string; entry: MapsIndexEntry }>();
  const duplicated: Array<{ key: string; dirs: string[] }> = [];
  for (const d of shardDirs) {
    for (const j of plan.jobs) {
      const e = doneEntry(d, plan, j);
      if (!e) continue;
      const prev = found.get(j.key);
      if (prev) duplicated.push({ key: j.key, dirs: [prev.dir, d] });
      else found.set(j.key, { dir: d, entry: e });
    }
  }
  if (duplicated.length) {
    throw new HeatcheckError('BAD_INPUT_MERGE_DUPLICATE', `${duplicated.length} map(s) are in more than one shard folder, first ${duplicated[0].key} in ${duplicated[0].dirs.join(' and ')}; shards of one plan never overlap (were two runs given the same --shard?). Nothing was merged.`, { duplicated: duplicated.slice(0, 20) });
  }
  for (const [key, { dir }] of found) {
    writeAtomic(path.join(out, key), new Uint8Array(readFileSync(path.join(dir, key))));
    writeAtomic(path.join(out, entryFileOf(key)), readFileSync(path.join(dir, entryFileOf(key))));
  }
  writePlan(path.join(out, 'plan.json'), plan);
  // Unreadable images: the union over the shards (one row per file).
  const failures = new FailureLog();
  const seen = new Set<string>();
  for (const d of shardDirs) {
    const f = path.join(d, 'index.json');
    if (!existsSync(f)) continue;
    let failed: Failure[] = [];
    try {
      failed = (JSON.parse(readFileSync(f, 'utf8')) as { failed?: Failure[] }).failed ?? [];
    } catch {
      throw new HeatcheckError('BAD_INPUT_INDEX', `${f} exists but is not valid JSON; run that shard again`, { file: f });
    }
    for (const x of failed) if (!seen.has(x.file)) (seen.add(x.file), failures.failures.push(x));
  }
  const entries = plan.jobs.map((j) => found.get(j.key)?.entry).filter((e): e is MapsIndexEntry => !!e);
  writeIndex(out, entries, failures.failures);
  failures.writeCsv(out);
  const missing = plan.jobs.filter((j) => !found.has(j.key)).map((j) => j.key);
  log(`merge: ${entries.length} of ${plan.jobs.length} maps from ${shardDirs.length} shard folder(s) into ${outDir}; ${missing.length} missing, none duplicated`);
  if (missing.length) {
    throw new HeatcheckError('BAD_INPUT_MERGE_MISSING', `${missing.length} of ${plan.jobs.length} planned map(s) are in no shard folder, first ${missing.slice(0, 3).join(', ')}${failures.count ? ` (${failures.count} image(s) could not be read: ${path.join(outDir, 'errors.csv')})` : ''}; the ${entries.length} present are merged into ${outDir}; run the missing shards (a rerun computes only what is missing) and merge again`, { missing: missing.slice(0, 50), merged: entries.length });
  }
  return { out: outDir, shards: shardDirs.length, maps: entries.length, planned: plan.jobs.length, missing: 0, duplicated: 0, failed: failures.count };
}

export function register(program: Command): void {
  program
    .command('merge')
    .description('merge shard folders of one plan (maps --shard i/n) into OUT; checks that no map is missing or duplicated')
    .argument('<out>', 'output folder (created)')
    .argument('<shardDirs...>', 'shard folders')
    .option('--plan <file>', 'the plan the shards ran (default: the plan.json in each shard folder)')
    .action(async (out: string, shardDirs: string[], o: MergeOptions) => {
      printJson(await runMerge(out, shardDirs, o));
    });
}
