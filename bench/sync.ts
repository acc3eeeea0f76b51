/**
 * Sync load: 3 readers x 200 cases x 5 boxes pushed to the local sync server (`npm run
 * sync-server`, a child process, in memory) and replicated to a coordinator; prints the time until
 * the coordinator holds every box, and the coordinator's time to recompute consensus and agreement
 * over the replicated boxes (core's studyReaderAgreement, quorum 2, 512 x 512 images), beside the
 * same computation over the readers' own boxes (the reference: a file-exchange merge of the same
 * boxes), and whether the two results are equal. Then the coordinator publishes the study's case
 * list (one document per case) and each reader's workstation pulls it and checks it. PouchDB in memory stands in for the browser's
 * IndexedDB adapter.
 *
 *   npm run bench -- sync --readers=3 --cases=200 --boxes=5
 *   npx tsx bench/sync.ts --readers 3 --cases 200 --boxes 5
 * Flags (or the environment variables READERS, CASES, BOXES) set the sizes; 3 x 200 x 5 by default.
 */
import { createRequire } from 'node:module';
import { Replica, type PouchCtor, type PulledCaseList, type ReplicatedRead } from '../src/storage/replica';
import { checkCaseList, type PublishedCase } from '../src/core/sync/caseList';
import { studyReaderAgreement, type AgreementCaseInput } from '../src/core/annotation';
import { mulberry32 } from '../src/core/rng';

const require = createRequire(import.meta.url);
const Pouch = require('pouchdb-core').plugin(require('pouchdb-adapter-memory')).plugin(require('pouchdb-adapter-http')).plugin(require('pouchdb-replication')) as PouchCtor;
/** `--name value` or `--name=value`, else the environment variable, else the default; a positive integer. */
function size(name: string, env: string, fallback: number): number {
  const argv = process.argv.slice(2);
  let text: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) text = argv[i + 1];
    else if (argv[i].startsWith(`--${name}=`)) text = argv[i].slice(name.length + 3);
  }
  text ??= process.env[env] ?? String(fallback);
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) { console.error(`bench/sync.ts: --${name} must be a whole number of at least 1, not "${text}"`); process.exit(2); }
  return v;
}
const R = size('readers', 'READERS', 3), C = size('cases', 'CASES', 200), N = size('boxes', 'BOXES', 5);
const SIZE = 512;

const names = Array.from({ length: R }, (_, i) => `reader${i + 1}`);
const { startSyncServerProcess } = await import('../scripts/syncServerProcess.mjs' as string);
const server = await startSyncServerProcess({ readers: names.map((name) => ({ name, password: `${name}-pw` })), coordinators: [{ name: 'coord', password: 'coord-pw' }] });
const rng = mulberry32(2022);
const reads: ReplicatedRead[] = [];
for (const name of names) for (let c = 0; c < C; c++) {
  const boxes = Array.from({ length: N }, (_, k) => { const x = Math.floor(rng() * 400), y = Math.floor(rng() * 400); return { id: `${name}-c${c}-b${k}`, x0: x, y0: y, x1: x + 20 + Math.floor(rng() * 90), y1: y + 20 + Math.floor(rng() * 90) }; });
  reads.push({ readerId: name, caseId: `case-${c}`, imageHash: `hash-${c}`, boxes, status: 'done' });
}
const noop = () => {};
const lists: Array<PulledCaseList | null> = names.map(() => null);
const replicas = names.map((name, i) => new Replica({ Pouch, server: server.url, user: name, password: `${name}-pw`, localPrefix: 'bench', onReads: noop, onStatus: noop, onConflicts: noop, onCaseList: (l) => { lists[i] = l; } }));
for (const r of replicas) await r.start();
const t0 = performance.now();
await Promise.all(replicas.map((r, i) => (async () => { for (const x of reads.filter((y) => y.readerId === names[i])) await r.push(x); })()));
const tWritten = performance.now();
const coord = new Replica({ Pouch, server: server.url, user: 'coord', password: 'coord-pw', localPrefix: 'bench', onReads: noop, onStatus: noop, onConflicts: noop });
await coord.start();
const total = R * C * N;
const count = () => names.reduce((s, n) => s + Array.from({ length: C }, (_, c) => coord.readOf(n, `hash-${c}`).boxes.length).reduce((a, b) => a + b, 0), 0);
while (count() < total) await new Promise((r) => setTimeout(r, 100));
const tSynced = performance.now();

const inputs = (get: (reader: string, c: number) => ReplicatedRead['boxes']): AgreementCaseInput[] => Array.from({ length: C }, (_, c) => ({ id: `case-${c}`, width: SIZE, height: SIZE, readers: Object.fromEntries(names.map((n) => [n, get(n, c).map((b) => [b.x0, b.y0, b.x1, b.y1] as [number, number, number, number])])) }));
const t1 = performance.now();
const fromSync = studyReaderAgreement(inputs((n, c) => coord.readOf(n, `hash-${c}`).boxes), 2);
const t2 = performance.now();
const byKey = new Map(reads.map((x) => [`${x.readerId}|${x.imageHash}`, [...x.boxes].sort((a, b) => a.id.localeCompare(b.id))]));
const fromFiles = studyReaderAgreement(inputs((n, c) => byKey.get(`${n}|hash-${c}`)!), 2);
const t3 = performance.now();

const caseList: PublishedCase[] = Array.from({ length: C }, (_, c) => ({ type: 'case', name: `case-${c}.png`, imageHash: `hash-${c}`, width: SIZE, height: SIZE, label: null, order: c }));
const t4 = performance.now();
await coord.publishCaseList(caseList, 'bench study');
const t5 = performance.now();
while (!lists.every((l) => l && l.cases.length === C && l.manifest?.count === C)) await new Promise((r) => setTimeout(r, 50));
const t6 = performance.now();
const checks = lists.map((l) => checkCaseList(l!.cases, caseList.map((x) => ({ name: x.name, imageHash: x.imageHash })), l!.manifest));
const t7 = performance.now();

console.log(`sync load: ${R} readers x ${C} cases x ${N} boxes = ${total} box documents (+ ${R * C} read documents), local server in memory`);
console.log(`  readers write their documents locally:          ${((tWritten - t0) / 1000).toFixed(2)} s`);
console.log(`  coordinator holds every box (from its sign-in):  ${((tSynced - tWritten) / 1000).toFixed(2)} s`);
console.log(`  consensus + agreement over replicated boxes:     ${((t2 - t1) / 1000).toFixed(2)} s   (reference, the readers' own boxes: ${((t3 - t2) / 1000).toFixed(2)} s)`);
console.log(`  same result as the reference: ${JSON.stringify(fromSync) === JSON.stringify(fromFiles) ? 'yes' : 'NO'}; pooled ${JSON.stringify(fromSync.pooled).slice(0, 160)}`);
console.log(`  case list: publish ${C} case documents ${((t5 - t4) / 1000).toFixed(2)} s; every reader holds it ${((t6 - t5) / 1000).toFixed(2)} s later; check ${((t7 - t6) / R).toFixed(1)} ms per reader; all match: ${checks.every((c) => c.ok) ? 'yes' : 'NO'}`);
console.log('  (timings on a shared 2-core machine are noisy; rerun on a quiet one)');
await Promise.all([...replicas, coord].map((r) => r.stop()));
await server.stop();
