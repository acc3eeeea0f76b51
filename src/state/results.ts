/** The results store lives in src/storage/results.ts (below the worker and the stores); this re-export keeps the stores' imports. */
export * from '../storage/results';
