#!/usr/bin/env node
// Entry of `npx heatcheck`: runs the TypeScript CLI (src/cli) through tsx, no build step.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

// TF.js (a few hundred files) loads before tsx's loader hooks are registered, which would see
// every one of its files: about 0.3 s less start-up for every command, all of which load it. The
// TypeScript modules' imports of these packages then resolve to these same instances.
await import('@tensorflow/tfjs');
await import('@tensorflow/tfjs-backend-wasm');
register();
const here = path.dirname(fileURLToPath(import.meta.url));
const { main } = await import(path.join(here, '..', 'src', 'cli', 'main.ts'));
const code = await main(process.argv.slice(2));
process.exitCode = code;
