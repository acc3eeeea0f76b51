#!/usr/bin/env node
/**
 * `npm run sync-server`: a CouchDB-compatible server on this machine for local use and tests.
 *
 * express-pouchdb (CouchDB's HTTP API over PouchDB) in its fullCouchDB mode, on an in-memory
 * PouchDB (memdown: pure JavaScript, nothing native). What it enforces is CouchDB's own:
 * users in `_users` (basic auth and `_session` cookies), server admins (`--admin`), per-database
 * `_security` objects (members may read and write, non-members get 401/403; a `_security` object is
 * written by admins only) and `validate_doc_update` functions in design documents (used by
 * scripts/sync-setup.mjs so that only the reader writes to their database).
 *
 * Three things are added to express-pouchdb here:
 * - `validate_doc_update` as CouchDB documents it (newDoc, oldDoc, userCtx, secObj; a thrown
 *   {forbidden} is 403, {unauthorized} 401; server admins and internal writes pass the function
 *   with their admin role; `_local` documents are not validated). express-pouchdb's own validation
 *   plug-in (pouchdb-validation 4.2.0) overwrote a replicated document's revision history
 *   (`_revisions`) with the stored one before writing, so replicated updates (new_edits=false) were
 *   dropped without an error; this one leaves the document as it came;
 * - CORS for the listed origins only (`--origin`, comma-separated; CouchDB 3 has the same setting in
 *   its [cors] section), with credentials, so the app on another port may replicate;
 * - a user document in `_users` is read only by that user or an admin (CouchDB 3's rule; the plug-in
 *   answered with an error 500 instead of a refusal).
 *
 * In memory: everything is gone when the process stops; clients push their documents again when it
 * returns (their local databases are the source of truth). Users and security objects are created
 * by `node scripts/sync-setup.mjs` (plain CouchDB HTTP; it works against a real CouchDB 3 as well).
 *
 *   node scripts/sync-server.mjs [--port 5984] [--host 127.0.0.1] [--admin admin:admin]
 *                                [--origin http://127.0.0.1:4173,http://localhost:4173]
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

export function parseArgs(argv) {
  const opts = { port: 5984, host: '127.0.0.1', admin: process.env.HEATCHECK_SYNC_ADMIN ?? 'admin:admin', origins: ['http://127.0.0.1:4173', 'http://localhost:4173'] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    if (a === '--port') { opts.port = Number(v); i++; }
    else if (a === '--host') { opts.host = v; i++; }
    else if (a === '--admin') { opts.admin = v; i++; }
    else if (a === '--origin') { opts.origins = v.split(',').map((s) => s.trim()).filter(Boolean); i++; }
    else if (a === '--help' || a === '-h') { opts.help = true; }
    else throw new Error(`sync-server: unknown argument ${a} (see --help)`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error(`sync-server: --port must be a port number, not ${opts.port}`);
  if (!/^[^:]+:.+$/.test(opts.admin)) throw new Error('sync-server: --admin must be name:password');
  return opts;
}

/** Starts the server; resolves to { url, port, close() }. */
export async function startSyncServer(options = {}) {
  const opts = { ...parseArgs([]), ...options };
  const express = require('express');
  const PouchDB = require('pouchdb-core')
    .plugin(require('pouchdb-adapter-memory'))
    .plugin(require('pouchdb-adapter-http'))
    .plugin(require('pouchdb-replication'))
    .plugin(require('pouchdb-mapreduce'));
  const InMemory = PouchDB.defaults({ adapter: 'memory' });
  const couch = require('express-pouchdb')(InMemory, {
    mode: 'fullCouchDB',
    inMemoryConfig: true,
    logPath: '/dev/null',
    overrideMode: { exclude: ['routes/fauxton', 'validation'] },
  });
  couch.dbWrapper.registerWrapper((name, db, next) => { installValidation(db); next(); });
  const [adminName, ...rest] = opts.admin.split(':');
  await new Promise((resolve, reject) => couch.couchConfig.set('admins', adminName, rest.join(':'), (err) => (err ? reject(err) : resolve())));

  const app = express();
  const allowed = new Set(opts.origins);
  app.use((req, res, next) => {
    const origin = req.headers.origin;
    if (origin && allowed.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Expose-Headers', 'Content-Type, Cache-Control, ETag, X-Couch-Request-ID');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET, PUT, POST, HEAD, DELETE, OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? 'Accept, Authorization, Content-Type, Origin, Referer');
        res.setHeader('Access-Control-Max-Age', '600');
        res.statusCode = 204;
        res.end();
        return;
      }
    } else if (origin && req.method === 'OPTIONS') {
      res.statusCode = 403;
      res.end();
      return;
    }
    next();
  });
  // `_users/org.couchdb.user:NAME`: only NAME or a server admin reads or changes it
  app.use(async (req, res, next) => {
    const m = /^\/_users\/(org\.couchdb\.user(?::|%3A)[^/?]+)/i.exec(req.path);
    if (!m) return next();
    const wanted = decodeURIComponent(m[1]).slice('org.couchdb.user:'.length);
    const who = await sessionOf(req, `http://${opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host}:${server.address().port}`);
    if (who.roles.includes('_admin') || (who.name && who.name === wanted)) return next();
    res.status(who.name ? 403 : 401).json({ error: who.name ? 'forbidden' : 'unauthorized', reason: 'Only the user and server admins may read a user document.' });
  });
  // `POST /db/_changes?filter=_selector` with {selector} in the body: CouchDB filters the feed by
  // the Mango selector; express-pouchdb reads only `doc_ids` from the body and would drop the
  // selector, so it is parsed here and handed on as the changes option PouchDB applies
  app.post('/:db/_changes', (req, res, next) => {
    if (req.query.filter !== '_selector') return next();
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { raw += d; });
    req.on('end', () => {
      let body;
      try { body = JSON.parse(raw || '{}'); } catch { res.status(400).json({ error: 'bad_request', reason: 'invalid_json' }); return; }
      if (!body || typeof body.selector !== 'object' || body.selector === null) { res.status(400).json({ error: 'bad_request', reason: 'filter=_selector needs a "selector" object in the request body' }); return; }
      req.body = body;
      req._body = true; // body-parser: already read
      req.query.selector = body.selector;
      next();
    });
    req.on('error', next);
  });
  app.use(couch);

  let server;
  server = await new Promise((resolve, reject) => {
    const s = app.listen(opts.port, opts.host, () => resolve(s));
    s.on('error', reject);
  });
  const sockets = new Set();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  const port = server.address().port;
  return {
    url: `http://${opts.host}:${port}`,
    port,
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

/** validate_doc_update functions of a database's design documents, run before every write. */
function installValidation(db) {
  const wrappers = require('pouchdb-wrappers');
  const createBulkDocsWrapper = require('pouchdb-bulkdocs-wrapper');
  const validators = async () => {
    const res = await db.allDocs({ startkey: '_design/', endkey: '_design0', include_docs: true });
    // eslint-disable-next-line no-new-func
    return res.rows.filter((r) => typeof r.doc?.validate_doc_update === 'string').map((r) => ({ ddoc: r.doc, fn: new Function(`return (${r.doc.validate_doc_update});`)() }));
  };
  const check = async (doc, options = {}) => {
    if (!doc || typeof doc !== 'object' || String(doc._id ?? '').startsWith('_local/')) return;
    const fns = await validators();
    if (!fns.length) return;
    const oldDoc = doc._id ? await db.get(doc._id).catch(() => null) : null;
    const userCtx = options.userCtx ?? { db: db.name, name: null, roles: ['_admin'] };
    const secObj = options.secObj ?? {};
    for (const { ddoc, fn } of fns) {
      try { fn.call(ddoc, JSON.parse(JSON.stringify(doc)), oldDoc, userCtx, secObj); } catch (e) {
        if (e && e.forbidden !== undefined) throw Object.assign(new Error(String(e.forbidden)), { status: 403, name: 'forbidden', error: true });
        if (e && e.unauthorized !== undefined) throw Object.assign(new Error(String(e.unauthorized)), { status: 401, name: 'unauthorized', error: true });
        throw Object.assign(new Error(`validate_doc_update of ${ddoc._id} failed: ${e?.message ?? e}`), { status: 500, name: 'validation_failed', error: true });
      }
    }
  };
  wrappers.installWrapperMethods(db, {
    put: (orig, args) => check(args.doc, args.options).then(orig),
    post: (orig, args) => check(args.doc, args.options).then(orig),
    remove: (orig, args) => check({ ...(typeof args.docOrId === 'object' ? args.docOrId : { _id: args.docOrId, _rev: args.optsOrRev }), _deleted: true }, args.options).then(orig),
    bulkDocs: createBulkDocsWrapper((doc, args) => check(doc, args.options)),
  });
}

/** Who sent the request (the same credentials, asked of this server's own `_session`). */
async function sessionOf(req, base) {
  const headers = {};
  if (req.headers.authorization) headers.authorization = req.headers.authorization;
  if (req.headers.cookie) headers.cookie = req.headers.cookie;
  try {
    const r = await fetch(`${base}/_session`, { headers });
    const j = await r.json();
    return { name: j?.userCtx?.name ?? null, roles: j?.userCtx?.roles ?? [] };
  } catch {
    return { name: null, roles: [] };
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let opts;
  try { opts = parseArgs(process.argv.slice(2)); } catch (e) { console.error(e.message); process.exit(2); }
  if (opts.help) {
    console.log('node scripts/sync-server.mjs [--port 5984] [--host 127.0.0.1] [--admin name:password] [--origin http://127.0.0.1:4173,...]');
    process.exit(0);
  }
  const s = await startSyncServer(opts).catch((e) => { console.error(`sync-server: could not start on ${opts.host}:${opts.port}: ${e.message}`); process.exit(1); });
  console.log(`sync-server: CouchDB-compatible server (in memory) at ${s.url}; admin ${opts.admin.split(':')[0]}; CORS for ${opts.origins.join(', ')}`);
  const stop = () => { void s.close().then(() => process.exit(0)); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
