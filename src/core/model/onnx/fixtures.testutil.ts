import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { gradCamAtLayer } from '../../saliency/gradcam';
import { validateManifest } from '../manifest';
import { buildOnnxModel, type OnnxModel } from './model';
import { createOnnxProbe } from './probe';
import type { TfProbe } from '../probe';

/**
 * Test helpers for the ONNX importer (Node only, like segmentation/fixtures.testutil.ts: test files import it): fixtures written by
 * scripts/onnx_fixtures.py with Debian's PyTorch into a temp folder, and the comparisons the issue
 * states (logits 1e-4 relative; input gradients and Grad-CAM 1e-3 of the reference's max |value|).
 */

export interface OnnxFixture {
  dir: string;
  name: string;
  size: number;
  channels: number;
  logit: number;
  /** The logit and input gradient computed by PyTorch in float64 (the exact reference). */
  logit64: number;
  grad64: Float32Array;
  /** PyTorch's own float32 input gradient against its float64 one: the float32 noise floor. */
  torchFloat32GradError: { maxAbsRel: number; l2Rel: number };
  camShape: [number, number];
  onnx: Record<string, string>;
  x: Float32Array;
  grad: Float32Array;
  cam: Float32Array;
}

export const PYTHON = '/usr/bin/python3';
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../..');

/**
 * Runs scripts/onnx_fixtures.py for the networks named and reads what it wrote. `inputs`: NAME=PATH.npy
 * pairs giving a network its fixed input (channels-last float32, as `heatcheck inputs` writes it).
 */
export function makeOnnxFixtures(names: string[], opsets = [13, 17], inputs: string[] = []): Map<string, OnnxFixture> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heatcheck-onnx-'));
  execFileSync(PYTHON, [path.join(root, 'scripts/onnx_fixtures.py'), dir, ...names, '--opsets', opsets.join(','), ...inputs.flatMap((i) => ['--input', i])], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 900_000 });
  const out = new Map<string, OnnxFixture>();
  for (const name of names) {
    const meta = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8'));
    const f32 = (s: string) => new Float32Array(new Uint8Array(readFileSync(path.join(dir, `${name}_${s}.bin`))).buffer);
    out.set(name, { dir, ...meta, x: f32('x'), grad: f32('grad'), grad64: f32('grad64'), cam: f32('cam') });
  }
  return out;
}

/** The ONNX file of a fixture, with its external-data files looked up beside it. */
export function loadFixtureModel(f: OnnxFixture, opset: number): OnnxModel {
  const file = path.join(f.dir, f.onnx[String(opset)]);
  return buildOnnxModel(new Uint8Array(readFileSync(file)), file, (loc) => {
    const p = path.join(f.dir, loc);
    return existsSync(p) ? new Uint8Array(readFileSync(p)) : null;
  });
}

export function fixtureProbe(m: OnnxModel, f: OnnxFixture): TfProbe {
  return createOnnxProbe(m, validateManifest({ id: f.name, input: { height: f.size, width: f.size, channels: f.channels }, preprocessing: { scale: 1, offset: 0 }, output: { kind: 'logit', index: 0 } }));
}

/** max |a - b| / max |b|. */
export function relMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

/** ||a - b|| / ||b||. */
export function relL2Error(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, m = 0;
  for (let i = 0; i < b.length; i++) {
    d += (a[i] - b[i]) ** 2;
    m += b[i] ** 2;
  }
  return Math.sqrt(d / m);
}

export interface Comparison {
  logit: number;
  /** Against PyTorch float32. */
  logitRel: number;
  gradRel: number;
  /** Against PyTorch float64 (max |diff| / max, and L2). */
  grad64Rel: number;
  grad64L2: number;
  camRel: number;
  camLayer: string;
  camOp: string;
  seconds: number;
}

/** Logit, input gradient and Grad-CAM (default layer) of the imported model against PyTorch's. */
export async function compareWithTorch(m: OnnxModel, f: OnnxFixture): Promise<Comparison> {
  const t0 = performance.now();
  const probe = fixtureProbe(m, f);
  const x = tf.tensor4d(f.x, [1, f.size, f.size, f.channels]);
  try {
    const logit = (await probe.target(x).data())[0];
    const g = probe.inputGradients(x);
    const grad = (await g.data()) as Float32Array;
    g.dispose();
    const layer = probe.defaultLayer;
    const { cam, h, w } = await gradCamAtLayer(probe, x.squeeze([0]) as tf.Tensor3D, layer);
    if (h !== f.camShape[0] || w !== f.camShape[1]) throw new Error(`Grad-CAM layer ${layer} is ${h}x${w}; PyTorch's reference layer is ${f.camShape.join('x')}`);
    return {
      logit,
      logitRel: Math.abs(logit - f.logit) / Math.abs(f.logit),
      gradRel: relMaxError(grad, f.grad),
      grad64Rel: relMaxError(grad, f.grad64),
      grad64L2: relL2Error(grad, f.grad64),
      camRel: relMaxError(cam, f.cam),
      camLayer: layer,
      camOp: m.graph.producerOf(layer)?.opType ?? '',
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    x.dispose();
    probe.dispose();
  }
}

/** The wasm backend in Node (files from node_modules; no network), as the CLI uses it. */
export async function useWasmBackend(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await tf.setBackend('wasm');
  await tf.ready();
}

/**
 * The second reference for the forward pass: onnxruntime-node (CPU) on the same .onnx file and the
 * same input (transposed to NCHW). Returns the first output's values.
 */
export async function onnxRuntimeOutput(f: OnnxFixture, opset: number, x: Float32Array = f.x, batch = 1): Promise<Float32Array> {
  const mod = await import('onnxruntime-node');
  const ort = (mod as unknown as { default?: typeof mod }).default ?? mod;
  const { size: s, channels: c } = f;
  const nchw = new Float32Array(x.length);
  for (let b = 0; b < batch; b++) for (let i = 0; i < s * s; i++) for (let k = 0; k < c; k++) nchw[b * s * s * c + k * s * s + i] = x[b * s * s * c + i * c + k];
  const session = await ort.InferenceSession.create(path.join(f.dir, f.onnx[String(opset)]));
  try {
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', nchw, [batch, c, s, s]) });
    return out[session.outputNames[0]].data as Float32Array;
  } finally {
    await session.release();
  }
}
