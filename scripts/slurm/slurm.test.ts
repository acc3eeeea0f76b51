/**
 * Integration: the demo study's maps on a real single-node Slurm (started here, stopped after),
 * as a user runs it: heatcheck plan, scripts/slurm/submit.sh (an array of 4 cost-balanced shards,
 * then the dependent merge + evaluate job). The merged maps must equal, byte for byte, the maps
 * of one process running the same plan, and the report its report. Skipped, saying why, when
 * Slurm cannot start here; under CI=true it fails instead (CI installs slurm-wlm and munge).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main';
import { jobState, slurmUnavailable, startLocalSlurm, waitForJobs, type LocalSlurm } from './localSlurm';
import { runCli } from '../../src/cli/testing/runCli';
import { npyFiles } from '../../src/cli/testing/npyFiles';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CI = process.env.CI === 'true' || process.env.CI === '1';
const MODEL = path.join(REPO, 'public', 'models', 'densenet-compact-s1');
const unavailable = slurmUnavailable();

let root: string;
let slurm: LocalSlurm | null = null;
let startError: Error | null = null;

const cli = runCli;


/** The report's findings: everything but when, how long and where. */
function findings(file: string): Record<string, unknown> {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  return { cases: r.cases, models: r.models.map((m: Record<string, unknown>) => m.id), parameters: r.parameters, classifier: r.classifier, readerAgreement: r.readerAgreement, criteria: r.criteria, verdict: r.verdict, table: r.table, counts: r.counts };
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'heatcheck-slurm-'));
  if (unavailable) return;
  try {
    slurm = await startLocalSlurm(path.join(root, 'slurm'));
  } catch (e) {
    startError = e as Error;
  }
}, 60_000);

afterAll(async () => {
  await slurm?.stop();
  rmSync(root, { recursive: true, force: true });
}, 30_000);

describe(`Slurm array job${unavailable ? ` (skipped here: ${unavailable})` : ''}`, () => {
  it.runIf(CI && !!unavailable)('is available in CI', () => {
    throw new Error(`CI must run the Slurm integration test, but ${unavailable}; .ci/run installs slurm-wlm and munge`);
  });

  it.skipIf(!!unavailable && !CI)('4 shards of the demo study merge into the single-process maps and report', async (ctx) => {
    if (unavailable) return; // reported by the test above
    if (startError) {
      if (CI) throw startError;
      process.stderr.write(`Slurm integration skipped: Slurm could not start here: ${startError.message}\n`);
      ctx.skip();
    }
    const s = slurm!;
    // The first 4 cases of the demo study (phantom seed 2022: two normal, two abnormal), one demo
    // model, two methods (one that draws noise, so seeds per job are checked too), quick preset.
    const study = path.join(root, 'study');
    expect((await cli(['phantom', '--out', study, '--count', '4', '--seed', '2022'])).code).toBe(0);
    const plan = path.join(root, 'plan.json');
    expect((await cli(['plan', '--study', study, '--models', MODEL, '--methods', 'gradcam,sg', '--preset', 'quick', '--seed', '1', '--randomization-steps', '1', '--randomization-cases', '2', '--out', plan])).code).toBe(0);

    const run = path.join(root, 'run');
    const sub = spawnSync(path.join(REPO, 'scripts', 'slurm', 'submit.sh'), [plan, run, '4', '--resamples', '100'], { env: s.env, encoding: 'utf8' });
    expect(sub.status, sub.stderr).toBe(0);
    const [, arrayId, finalId] = /array (\d+) .* then (\d+) /.exec(sub.stdout) ?? [];
    expect(arrayId).toBeTruthy();

    // Meanwhile, the same plan in one process, and its report.
    const ref = path.join(root, 'ref');
    expect((await cli(['maps', '--plan', plan, '--out', ref])).code).toBe(0);
    expect((await cli(['evaluate', '--study', study, '--models', MODEL, '--methods', 'gradcam,sg', '--preset', 'quick', '--seed', '1', '--randomization-steps', '1', '--randomization-cases', '2', '--maps', ref, '--out', path.join(root, 'ref-report.json'), '--resamples', '100'])).code).toBe(0);

    await waitForJobs(s, [arrayId, finalId], 150_000);
    const logs = () => readdirSync(path.join(run, 'logs')).map((f) => `${f}:\n${readFileSync(path.join(run, 'logs', f), 'utf8').slice(-1500)}`).join('\n');
    expect(jobState(s, arrayId), logs()).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect(jobState(s, finalId), logs()).toEqual(['COMPLETED']);

    // Each task ran its own cost-balanced shard: 12 maps (4 cases x 2 methods, and the fully randomized
    // model on the two abnormal cases x 2 methods) in all, none twice.
    const shards = [0, 1, 2, 3].map((i) => JSON.parse(readFileSync(path.join(run, `shard-${i}.json`), 'utf8')));
    expect(shards.map((x) => x.shard)).toEqual(['0/4', '1/4', '2/4', '3/4']);
    expect(shards.reduce((a, x) => a + x.computed, 0)).toBe(12);
    expect(JSON.parse(readFileSync(path.join(run, 'merge.json'), 'utf8'))).toMatchObject({ maps: 12, planned: 12, missing: 0, duplicated: 0 });
    // The report was scored from the merged maps alone.
    expect(JSON.parse(readFileSync(path.join(run, 'evaluate.json'), 'utf8'))).toMatchObject({ modelsRun: false, mapsComputed: 0, planComputed: 0 });

    // The planned maps, the randomized models' among them.
    const keys = (JSON.parse(readFileSync(plan, 'utf8')).jobs as Array<{ key: string }>).map((j) => j.key);
    expect(keys.length).toBe(12);
    const a = npyFiles(ref);
    const b = npyFiles(path.join(run, 'maps'));
    for (const k of keys) expect(b.get(k)?.equals(a.get(k)!), k).toBe(true);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    expect(existsSync(path.join(run, 'report.json')), logs()).toBe(true);
    expect(findings(path.join(run, 'report.json'))).toEqual(findings(path.join(root, 'ref-report.json')));
  }, 240_000);
});
