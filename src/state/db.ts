/** The app's IndexedDB lives in src/storage/db.ts (below the worker and the stores); this re-export keeps the stores' and pages' imports. */
export * from '../storage/db';
