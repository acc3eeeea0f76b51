/**
 * A real single-node Slurm for tests and benches, started without systemd: a generated munge key
 * and munged on its own socket, a generated slurm.conf (this host as controller and only node, no
 * accounting, no cgroups), slurmctld and slurmd in the foreground as children of this process.
 * Needs Debian's slurm-wlm and munge and root (slurmd launches jobs as their user).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface LocalSlurm {
  dir: string;
  conf: string;
  /** The environment for sbatch, squeue and the jobs: SLURM_CONF set. */
  env: NodeJS.ProcessEnv;
  node: string;
  cpus: number;
  stop(): Promise<void>;
}

const DAEMONS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'sinfo', 'scontrol'];

const which = (cmd: string): string | null => {
  for (const d of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin'])) {
    if (d && existsSync(path.join(d, cmd))) return path.join(d, cmd);
  }
  return null;
};

/** Why a local Slurm cannot start here (missing programs, not root), or null when it can try. */
export function slurmUnavailable(): string | null {
  const missing = DAEMONS.filter((d) => !which(d));
  if (missing.length) return `${missing.join(', ')} not installed (apt-get install slurm-wlm munge)`;
  if (process.getuid?.() !== 0) return 'not root: slurmd must run as root to start jobs';
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const tail = (file: string, n = 15) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-n).join('\n') : '(no log)');

/** Starts munged, slurmctld and slurmd under `dir`; resolves when the node is idle (or throws with their logs). */
export async function startLocalSlurm(dir: string, opts: { cpus?: number } = {}): Promise<LocalSlurm> {
  const why = slurmUnavailable();
  if (why) throw new Error(`Slurm cannot start: ${why}`);
  const node = os.hostname().split('.')[0];
  const cpus = opts.cpus ?? os.cpus().length;
  const mungeDir = path.join(dir, 'munge');
  for (const d of [dir, mungeDir, path.join(dir, 'state'), path.join(dir, 'spool')]) mkdirSync(d, { recursive: true });
  chmodSync(mungeDir, 0o755);
  const key = path.join(mungeDir, 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = path.join(mungeDir, 'munge.sock');
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const conf = path.join(dir, 'slurm.conf');
  writeFileSync(path.join(dir, 'plugstack.conf'), '');
  writeFileSync(
    conf,
    [
      'ClusterName=heatcheck',
      `SlurmctldHost=${node}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      `AuthInfo=socket=${socket}`,
      'CredType=cred/munge',
      `StateSaveLocation=${path.join(dir, 'state')}`,
      `SlurmdSpoolDir=${path.join(dir, 'spool')}`,
      `SlurmctldPidFile=${path.join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${path.join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${path.join(dir, 'slurmctld.log')}`,
      `SlurmdLogFile=${path.join(dir, 'slurmd.log')}`,
      `PlugStackConfig=${path.join(dir, 'plugstack.conf')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'MpiDefault=none',
      'SchedulerType=sched/backfill',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'ReturnToService=2',
      `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} State=UNKNOWN`,
      'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const children: ChildProcess[] = [];
  const launch = (cmd: string, args: string[], log: string) => {
    const fd = openSync(path.join(dir, log), 'a');
    const c = spawn(which(cmd)!, args, { env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    children.push(c);
    return c;
  };
  const stop = async () => {
    // Newest first: slurmd, slurmctld, then munged.
    for (const c of [...children].reverse()) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([gone, sleep(5000)]);
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
  };
  try {
    launch('munged', ['-F', '-f', `--key-file=${key}`, `--socket=${socket}`, `--pid-file=${path.join(mungeDir, 'munged.pid')}`, `--log-file=${path.join(mungeDir, 'munged.log')}`, `--seed-file=${path.join(mungeDir, 'munged.seed')}`], 'munged.out');
    for (let i = 0; i < 50 && !existsSync(socket); i++) await sleep(100);
    if (!existsSync(socket)) throw new Error(`munged did not create ${socket}:\n${tail(path.join(mungeDir, 'munged.log'))}`);
    launch('slurmctld', ['-D', '-f', conf], 'slurmctld.out');
    launch('slurmd', ['-D', '-f', conf, '-N', node], 'slurmd.out');
    const t0 = Date.now();
    let state = '';
    while (Date.now() - t0 < 30_000) {
      const r = spawnSync(which('sinfo')!, ['-h', '-N', '-o', '%T'], { env, encoding: 'utf8' });
      state = r.stdout.trim();
      if (r.status === 0 && state === 'idle') return { dir, conf, env, node, cpus, stop };
      for (const c of children) if (c.exitCode !== null) throw new Error(`${c.spawnfile} exited with ${c.exitCode}`);
      await sleep(300);
    }
    throw new Error(`the node did not become idle in 30 s (state "${state}")`);
  } catch (e) {
    await stop();
    throw new Error(`${e instanceof Error ? e.message : String(e)}\nslurmctld.log:\n${tail(path.join(dir, 'slurmctld.log'))}\nslurmd.log:\n${tail(path.join(dir, 'slurmd.log'))}`);
  }
}

/** Waits until none of these job ids is queued or running (array ids included); throws after `timeoutMs`. */
export async function waitForJobs(s: LocalSlurm, ids: string[], timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const r = spawnSync('squeue', ['-h', '-j', ids.join(','), '-o', '%i %T'], { env: s.env, encoding: 'utf8' });
    if (r.stdout.trim() === '' && (r.status === 0 || /Invalid job id/i.test(r.stderr))) return;
    await sleep(500);
  }
  throw new Error(`Slurm jobs ${ids.join(', ')} still queued or running after ${timeoutMs / 1000} s`);
}

/** A finished job's state (COMPLETED, FAILED, ...), from the controller (kept MinJobAge seconds). */
export function jobState(s: LocalSlurm, id: string): string[] {
  const r = spawnSync('scontrol', ['show', 'job', id, '-o'], { env: s.env, encoding: 'utf8' });
  return [...r.stdout.matchAll(/JobState=(\S+)/g)].map((m) => m[1]);
}
