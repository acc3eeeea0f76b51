import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { probeNodeBackends, requestedThreadsSpec } from '../nodeBackend';
import { printJson } from '../output';
import { simdKernelStatus } from '../../core/model/kernels/simdKernels';

export function register(program: Command): void {
  program
    .command('backends')
    .description('which compute backends initialise here, with their versions')
    .action(async () => {
      const attempts = await probeNodeBackends();
      printJson({
        tfjs: tf.version.tfjs,
        environment: 'node',
        wasmThreads: requestedThreadsSpec(),
        // how fastgrad's fused backward kernels run on the wasm backend (set once wasm has started)
        fusedKernels: simdKernelStatus(),
        backends: attempts.map((a) => ({ name: a.name, ok: a.ok, version: a.version ?? null, ms: Math.round(a.ms), error: a.error ?? null })),
      });
    });
}
