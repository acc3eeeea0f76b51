import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { HeatcheckError, exitCodeFor } from './errors';
import { parseThreads, setNodeWasmThreads } from '../platform/node/backend';
import { register as registerBackends } from './commands/backends';
import { register as registerPhantom } from './commands/phantom';
import { register as registerMaps } from './commands/maps';
import { register as registerMetric } from './commands/metric';
import { register as registerSegment } from './commands/segment';
import { register as registerEvaluate } from './commands/evaluate';
import { register as registerPredict } from './commands/predict';
import { register as registerModelInfo } from './commands/modelInfo';
import { register as registerInputs } from './commands/inputs';
import { register as registerAgreement } from './commands/agreement';
import { register as registerPlan } from './commands/plan';
import { register as registerMerge } from './commands/merge';
import { register as registerPublishReport } from './commands/publishReport';

// Quiet tfjs's "install tfjs-node" banner: the CLI runs on wasm by design.
const origWarn = console.warn;
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('tfjs-node')) return;
  origWarn(...args);
};
const origLog = console.log;
console.log = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && (args[0].includes('tfjs-node') || args[0].startsWith('====='))) return;
  origLog(...args);
};

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(here, '..', '..', 'package.json'), 'utf8')) as { version: string };

/** Each command lives in src/cli/commands/<name>.ts and exports register(program). One line per command here. */
const COMMANDS: Array<(p: Command) => void> = [
  registerBackends,
  registerPhantom,
  registerMaps,
  registerMetric,
  registerSegment,
  registerEvaluate,
  registerPredict,
  registerModelInfo,
  registerInputs,
  registerAgreement,
  registerPlan,
  registerMerge,
  registerPublishReport,
];

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name('heatcheck')
    .description('Heatcheck: can we trust this saliency map? Headless commands; JSON on stdout.')
    .version(pkg.version, '-v, --version')
    .option('--threads <n>', 'threads of the wasm backend: 1 to 8, or auto (default; also HEATCHECK_THREADS): times a conv with one thread per core and with one, keeps the faster')
    .exitOverride()
    .showHelpAfterError()
    .hook('preAction', () => {
      const raw = program.opts<{ threads?: string }>().threads;
      if (raw === undefined) return;
      try {
        setNodeWasmThreads(parseThreads(raw, '--threads'));
      } catch (e) {
        throw new HeatcheckError('USAGE_BAD_OPTION', `${e instanceof Error ? e.message : String(e)}.`);
      }
    });
  for (const reg of COMMANDS) reg(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    }
    if (e instanceof HeatcheckError) {
      process.stderr.write(`heatcheck: ${e.message}\n`);
      process.stdout.write(JSON.stringify({ ok: false, code: e.code, message: e.message, ...e.details }) + '\n');
      return exitCodeFor(e.code);
    }
    process.stderr.write(`heatcheck: unexpected error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    return 1;
  }
}
