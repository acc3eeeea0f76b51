/** Node's TF.js backends live in the node platform module (src/platform/node/backend.ts); this re-export keeps the commands' imports. */
export * from '../platform/node/backend';
