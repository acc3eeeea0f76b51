/**
 * The layout of a Heatcheck sync server (CouchDB 3 or `npm run sync-server`), shared by the setup
 * script, the app's replication and the tests:
 * - one database per reader, `heatcheck-reader-<name>`: read by that reader and coordinators
 *   (`_security` members), written only by that reader (a `validate_doc_update` function; CouchDB
 *   lets members write, so the function is what makes it read-only for coordinators);
 * - one study database, `heatcheck-study`: read by readers and coordinators, written by
 *   coordinators only (the case list with content hashes, the list of readers);
 * - users in `_users` with the role `heatcheck-reader` or `heatcheck-coordinator`.
 * Server admins may always read and write (CouchDB's rule).
 */
export const STUDY_DB = 'heatcheck-study';
export const READER_ROLE = 'heatcheck-reader';
export const COORDINATOR_ROLE = 'heatcheck-coordinator';
export const READERS_DOC_ID = 'readers';
export const CASES_DOC_ID = 'cases';

/** A login name that is also a valid part of a CouchDB database name. */
export const USER_NAME_RULE = /^[a-z][a-z0-9_-]{0,63}$/;

export function checkUserName(name: string): string | null {
  return USER_NAME_RULE.test(name) ? null : `"${name}" cannot be a Heatcheck sync login: use lower-case letters, digits, _ or -, starting with a letter (it names the reader's database).`;
}

export const readerDbName = (name: string) => `heatcheck-reader-${name}`;

export interface SecurityObject { admins: { names: string[]; roles: string[] }; members: { names: string[]; roles: string[] } }

export const readerSecurity = (name: string): SecurityObject => ({ admins: { names: [], roles: [] }, members: { names: [name], roles: [COORDINATOR_ROLE] } });
export const studySecurity = (): SecurityObject => ({ admins: { names: [], roles: [] }, members: { names: [], roles: [READER_ROLE, COORDINATOR_ROLE] } });

/** validate_doc_update of a reader's database: only that reader (or a server admin) writes. */
export const readerValidateSource = (name: string) =>
  `function (newDoc, oldDoc, userCtx) { if (userCtx.roles.indexOf('_admin') !== -1) return; if (userCtx.name !== ${JSON.stringify(name)}) throw({ forbidden: 'Only reader ${name} writes to this database.' }); }`;
/** validate_doc_update of the study database: coordinators (and server admins) write. */
export const studyValidateSource = () =>
  `function (newDoc, oldDoc, userCtx) { if (userCtx.roles.indexOf('_admin') !== -1 || userCtx.roles.indexOf(${JSON.stringify(COORDINATOR_ROLE)}) !== -1) return; throw({ forbidden: 'Only a coordinator writes to the study database.' }); }`;
export const VALIDATE_DDOC_ID = '_design/heatcheck-access';
