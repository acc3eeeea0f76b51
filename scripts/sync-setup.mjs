#!/usr/bin/env node
/**
 * Creates the Heatcheck databases, users and `_security` objects on a sync server, with plain
 * CouchDB HTTP (works against CouchDB 3 and `npm run sync-server`). Safe to run again: existing
 * databases are kept, users get the given password and role, security objects are rewritten.
 *
 *   node scripts/sync-setup.mjs --server http://127.0.0.1:5984 --admin admin:admin \
 *       --readers alice:pw1,bob:pw2,carol:pw3 --coordinator coord:pw4 [--cors http://app.example.org]
 *
 * --cors ORIGIN (CouchDB 3 only) turns CORS on for the app's origin in the server's config
 * (`/_node/_local/_config`), with credentials; `npm run sync-server` takes `--origin` instead.
 */
import { register } from 'tsx/esm/api';
import { pathToFileURL, fileURLToPath } from 'node:url';
import path from 'node:path';

register();
const here = path.dirname(fileURLToPath(import.meta.url));
const L = await import(pathToFileURL(path.join(here, '..', 'src', 'core', 'sync', 'couchLayout.ts')).href);

function parseLogins(text, flag) {
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((pair) => {
    const i = pair.indexOf(':');
    if (i < 1) throw new Error(`${flag}: "${pair}" must be name:password`);
    const name = pair.slice(0, i), password = pair.slice(i + 1);
    const bad = L.checkUserName(name);
    if (bad) throw new Error(`${flag}: ${bad}`);
    return { name, password };
  });
}

export function parseArgs(argv) {
  const o = { server: process.env.HEATCHECK_SYNC_SERVER ?? 'http://127.0.0.1:5984', admin: process.env.HEATCHECK_SYNC_ADMIN ?? 'admin:admin', readers: [], coordinators: [], cors: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    if (a === '--server') { o.server = v.replace(/\/+$/, ''); i++; }
    else if (a === '--admin') { o.admin = v; i++; }
    else if (a === '--readers') { o.readers = parseLogins(v, '--readers'); i++; }
    else if (a === '--coordinator') { o.coordinators = parseLogins(v, '--coordinator'); i++; }
    else if (a === '--cors') { o.cors = v.split(',').map((s) => s.trim()).filter(Boolean); i++; }
    else throw new Error(`sync-setup: unknown argument ${a}`);
  }
  if (!o.readers.length) throw new Error('sync-setup: --readers name:password[,...] is required');
  return o;
}

/** Runs the setup; `log` gets one line per step. */
export async function setupSyncServer(o, log = () => {}) {
  const auth = 'Basic ' + Buffer.from(o.admin).toString('base64');
  const call = async (method, p, body) => {
    let r;
    try {
      r = await fetch(`${o.server}${p}`, { method, headers: { authorization: auth, 'content-type': 'application/json', accept: 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new Error(`sync-setup: cannot reach ${o.server} (${e.cause?.code ?? e.message}). Is the server running?`);
    }
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, json, text };
  };
  const must = async (method, p, body, ok = [200, 201, 202]) => {
    const r = await call(method, p, body);
    if (r.status === 401) throw new Error(`sync-setup: ${o.server} refused the admin login "${o.admin.split(':')[0]}" (401): check --admin name:password.`);
    if (!ok.includes(r.status)) throw new Error(`sync-setup: ${method} ${o.server}${p} answered ${r.status}: ${r.text.slice(0, 200)}`);
    return r;
  };
  const ensureDb = async (db) => {
    const r = await must('PUT', `/${encodeURIComponent(db)}`, undefined, [201, 202, 412]);
    log(`${r.status === 412 ? 'database exists' : 'created database'}: ${db}`);
  };
  const putDoc = async (db, id, doc) => {
    const url = `/${encodeURIComponent(db)}/${id.startsWith('_design/') ? '_design/' + encodeURIComponent(id.slice(8)) : encodeURIComponent(id)}`;
    const cur = await call('GET', url);
    const body = cur.status === 200 ? { ...doc, _rev: cur.json._rev } : doc;
    await must('PUT', url, body);
  };
  const ensureUser = async ({ name, password }, role) => {
    const id = `org.couchdb.user:${name}`;
    const cur = await call('GET', `/_users/${encodeURIComponent(id)}`);
    const base = cur.status === 200 ? cur.json : { _id: id, name, type: 'user' };
    const roles = [...new Set([...(base.roles ?? []).filter((r) => r !== L.READER_ROLE && r !== L.COORDINATOR_ROLE), role])];
    await must('PUT', `/_users/${encodeURIComponent(id)}`, { ...base, name, type: 'user', roles, password });
    log(`user ${name}: role ${role}`);
  };

  await must('GET', '/_session');
  await ensureDb('_users');
  await ensureDb(L.STUDY_DB);
  await must('PUT', `/${L.STUDY_DB}/_security`, L.studySecurity());
  await putDoc(L.STUDY_DB, L.VALIDATE_DDOC_ID, { validate_doc_update: L.studyValidateSource() });
  for (const r of o.readers) {
    await ensureUser(r, L.READER_ROLE);
    const db = L.readerDbName(r.name);
    await ensureDb(db);
    await must('PUT', `/${db}/_security`, L.readerSecurity(r.name));
    await putDoc(db, L.VALIDATE_DDOC_ID, { validate_doc_update: L.readerValidateSource(r.name) });
    log(`security of ${db}: read ${r.name} and coordinators, write ${r.name}`);
  }
  for (const c of o.coordinators) await ensureUser(c, L.COORDINATOR_ROLE);
  // the readers' list (the coordinator replicates each of their databases)
  const cur = await call('GET', `/${L.STUDY_DB}/${L.READERS_DOC_ID}`);
  const known = cur.status === 200 && Array.isArray(cur.json.readers) ? cur.json.readers : [];
  const readers = [...new Set([...known, ...o.readers.map((r) => r.name)])].sort();
  await putDoc(L.STUDY_DB, L.READERS_DOC_ID, { type: 'readers', readers });
  log(`study database lists readers: ${readers.join(', ')}`);
  if (o.cors.length) {
    const cfg = async (section, key, value) => must('PUT', `/_node/_local/_config/${section}/${key}`, value);
    await cfg('chttpd', 'enable_cors', 'true');
    await cfg('cors', 'origins', o.cors.join(', '));
    await cfg('cors', 'credentials', 'true');
    await cfg('cors', 'headers', 'accept, authorization, content-type, origin, referer');
    await cfg('cors', 'methods', 'GET, PUT, POST, HEAD, DELETE');
    log(`CORS on for ${o.cors.join(', ')}`);
  }
  return { readers };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const o = parseArgs(process.argv.slice(2));
    await setupSyncServer(o, (line) => console.log(`sync-setup: ${line}`));
    console.log(`sync-setup: done (${o.server})`);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
