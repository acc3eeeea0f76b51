// Loads TF.js (a few hundred files) before tsx's loader hooks are registered, which would see every
// one of its files: about 0.3 s less start-up. Imported first by scripts/heatcheck.mjs and by the
// bootstrap of each --jobs worker thread (src/cli/jobs/pool.ts); the TypeScript modules' imports of
// these packages then resolve to these same instances.
await import('@tensorflow/tfjs');
await import('@tensorflow/tfjs-backend-wasm');
