/**
 * For tests and benches: `npm run sync-server` as a child process on a free port, set up with
 * scripts/sync-setup.mjs. `stop()` kills it (everything in it is gone: it keeps data in memory),
 * `restart()` starts it again on the same port and runs the setup again.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

export async function startSyncServerProcess({ port, admin = 'admin:adminpw', origins = [], readers = [], coordinators = [] } = {}) {
  port ??= await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child = null;
  const launch = async () => {
    const args = [path.join(here, 'sync-server.mjs'), '--port', String(port), '--admin', admin];
    if (origins.length) args.push('--origin', origins.join(','));
    child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`sync server did not start: ${out}`)), 30_000);
      const on = (d) => { out += d; if (out.includes('sync-server: CouchDB-compatible server')) { clearTimeout(t); resolve(); } };
      child.stdout.on('data', on);
      child.stderr.on('data', (d) => { out += d; });
      child.on('exit', (code) => { clearTimeout(t); reject(new Error(`sync server exited (${code}): ${out}`)); });
    });
    const { setupSyncServer } = await import('./sync-setup.mjs');
    await setupSyncServer({ server: url, admin, readers, coordinators, cors: [] });
  };
  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const c = child;
    await new Promise((resolve) => { c.once('exit', resolve); c.kill('SIGKILL'); });
  };
  await launch();
  return { url, port, stop, restart: async () => { await stop(); await launch(); } };
}
