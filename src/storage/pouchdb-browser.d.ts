declare module 'pouchdb-browser' {
  import type { PouchCtor } from './replica';
  const PouchDB: PouchCtor;
  export default PouchDB;
}
