#!/usr/bin/env node
// Entry of `npx heatcheck`: runs the TypeScript CLI (src/cli) through tsx, no build step.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

// Every command loads TF.js: before tsx's hooks, which would slow it (src/cli/preloadTfjs.mjs).
await import('../src/cli/preloadTfjs.mjs');
register();
const here = path.dirname(fileURLToPath(import.meta.url));
const { main } = await import(path.join(here, '..', 'src', 'cli', 'main.ts'));
const code = await main(process.argv.slice(2));
process.exitCode = code;
