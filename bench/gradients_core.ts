/**
 * Measurements shared by bench/gradients.ts (Node) and the browser bench page (bench/browser/):
 * forward ms, input-gradient ms (stock tf.grad and the fast path), batch throughput, and the
 * per-kernel time breakdown of one gradient pass from tf.profile.
 */
import * as tf from '@tensorflow/tfjs';
import { createFastGrad } from '../src/core/model/fastgrad';
import { setSimdKernels } from '../src/core/model/kernels/simdKernels';
import { setSplitKernel } from '../src/core/model/kernels/fusedBackward';

/** Which fused backward kernels fastgrad runs: before, JavaScript loops and stock SplitV; after, the wasm SIMD kernels. */
export function useKernels(mode: 'before' | 'after'): void {
  setSimdKernels(mode === 'after');
  setSplitKernel(mode === 'after');
}

export interface MeasureOptions {
  id: string;
  /** Timed repetitions (median); warm-up runs are separate. */
  reps: number;
  /** Also time the stock tf.grad path (slow on big models). */
  stock: boolean;
  /** Warm-up runs before the stock gradient (0 on big models: one run costs seconds). */
  stockWarmup: number;
  stockReps: number;
  /** Batch sizes timed for throughput; the best is reported as batch / batchGradImagesPerS. */
  batches: number[];
  profile: boolean;
}

export interface KernelShare { kernel: string; ms: number; calls: number }

export interface MeasureResult {
  id: string;
  backend: string;
  inputShape: number[];
  reps: number;
  stockReps: number;
  forwardMs: number;
  fastForwardMs: number;
  stockGradMs: number | null;
  fastGradMs: number;
  /** The batch of the best throughput in `batches`. */
  batch: number;
  batchGradImagesPerS: number;
  /** Input-gradient images per second at each timed batch size. */
  byBatch: Record<number, number>;
  stockProfile: KernelShare[] | null;
  fastProfile: KernelShare[] | null;
  /** Kernels of the forward pass alone (model.predict / the fast path's predict): subtracted to tell forward convs from transposed ones. */
  stockForwardProfile?: KernelShare[] | null;
  fastForwardProfile?: KernelShare[] | null;
  genericLayers: string[];
  maxAbsDiff: number | null;
  error?: string;
}

const target0 = (o: tf.Tensor) => tf.squeeze(tf.slice(o, [0, 0], [-1, 1]), [1]) as tf.Tensor1D;

/** Median wall time of fn (ms) over reps runs after warmup runs, each read back to the CPU. */
export async function timeMs(fn: () => tf.Tensor, reps: number, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) {
    const t = fn();
    await t.data();
    t.dispose();
  }
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const t = fn();
    await t.data();
    ts.push(performance.now() - t0);
    t.dispose();
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor((ts.length - 1) / 2)];
}

async function profileKernels(fn: () => tf.Tensor): Promise<KernelShare[]> {
  const info = await tf.profile(async () => {
    const t = fn();
    await t.data();
    t.dispose();
  });
  const by = new Map<string, KernelShare>();
  for (const k of info.kernels) {
    if (k.name.endsWith('__op')) continue; // op scopes wrap kernels: counting them would count twice
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : Number((await k.kernelTimeMs as unknown as { kernelMs?: number })?.kernelMs ?? await k.kernelTimeMs) || 0;
    const e = by.get(k.name) ?? { kernel: k.name, ms: 0, calls: 0 };
    e.ms += ms;
    e.calls += 1;
    by.set(k.name, e);
  }
  return [...by.values()].sort((a, b) => b.ms - a.ms);
}

/** The parts of an input-gradient pass the profile table shows. */
export const KERNEL_GROUPS = ['forward conv', 'transposed conv', 'relu bwd', 'max-pool bwd', 'concat bwd', 'masks & scales', 'forward other', 'other bwd'] as const;
export type KernelGroup = typeof KERNEL_GROUPS[number];

const CONV = new Set(['Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D']);
const TRANSPOSED = new Set(['Conv2DBackpropInput', 'DepthwiseConv2dNativeBackpropInput', 'Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter']);
const RELU_BWD = new Set(['Step', 'ReluGrad', 'Relu6Grad', 'HeatcheckReluBackward']);
const MAXPOOL_BWD = new Set(['MaxPoolGrad', 'MaxPoolWithArgmax', 'ArgMax', 'ScatterNd', 'HeatcheckMaxPoolBackward']);
const CONCAT_BWD = new Set(['SplitV', 'HeatcheckSplitChannels']);
const MASKS = new Set(['Multiply', 'Greater', 'GreaterEqual', 'Select', 'Equal', 'Cast', 'Sign']);

/**
 * Splits a gradient pass's kernel time into KERNEL_GROUPS. The forward pass is profiled apart
 * (`forward`): the gradient pass's convolutions beyond the forward pass's are the transposed
 * (input-gradient) ones (fastgrad runs them as forward convolutions of flipped filters; the extra
 * depthwise convolutions are max-pool backward's window taps), and its other kernels beyond the
 * forward's count as backward.
 */
export function groupKernels(grad: KernelShare[], forward: KernelShare[]): Record<KernelGroup, number> {
  const out = Object.fromEntries(KERNEL_GROUPS.map((g) => [g, 0])) as Record<KernelGroup, number>;
  const fwd = new Map(forward.map((k) => [k.kernel, k.ms]));
  for (const k of grad) {
    const f = Math.min(k.ms, fwd.get(k.kernel) ?? 0);
    const extra = k.ms - f;
    if (CONV.has(k.kernel)) {
      out['forward conv'] += f;
      out[k.kernel.includes('Depthwise') && !fwd.has(k.kernel) ? 'max-pool bwd' : 'transposed conv'] += extra;
    } else if (TRANSPOSED.has(k.kernel)) out['transposed conv'] += k.ms;
    else if (RELU_BWD.has(k.kernel)) out['relu bwd'] += k.ms;
    else if (MAXPOOL_BWD.has(k.kernel)) out['max-pool bwd'] += k.ms;
    else if (CONCAT_BWD.has(k.kernel)) out['concat bwd'] += k.ms;
    else {
      out['forward other'] += f;
      out[MASKS.has(k.kernel) ? 'masks & scales' : 'other bwd'] += extra;
    }
  }
  return out;
}

export async function measureModel(model: tf.LayersModel, o: MeasureOptions): Promise<MeasureResult> {
  const shape = model.inputs[0].shape.slice(1) as number[];
  const x1 = tf.randomNormal([1, ...shape] as [number, number, number, number], 0, 0.5, 'float32', 7) as tf.Tensor4D;
  const fg = createFastGrad(model, target0);
  const stockGrad = () => tf.grad((x: tf.Tensor) => tf.sum(target0(model.apply(x) as tf.Tensor)))(x1);
  const r: MeasureResult = {
    id: o.id, backend: tf.getBackend(), inputShape: shape, reps: o.reps, stockReps: o.stock ? o.stockReps : 0,
    forwardMs: NaN, fastForwardMs: NaN, stockGradMs: null, fastGradMs: NaN, batch: NaN, batchGradImagesPerS: NaN, byBatch: {},
    stockProfile: null, fastProfile: null, genericLayers: fg.genericLayers, maxAbsDiff: null,
  };
  try {
    r.forwardMs = await timeMs(() => model.predict(x1) as tf.Tensor, o.reps);
    r.fastForwardMs = await timeMs(() => fg.predict(x1), o.reps);
    r.fastGradMs = await timeMs(() => fg.inputGradients(x1), o.reps);
    if (o.stock) {
      r.stockGradMs = await timeMs(stockGrad, o.stockReps, o.stockWarmup);
      const a = fg.inputGradients(x1);
      const b = stockGrad();
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).div(tf.max(tf.abs(b))));
      r.maxAbsDiff = (await d.data())[0];
      tf.dispose([a, b, d]);
    }
    // Throughput at each batch size: neither side's library is at its best at one fixed batch
    // (PyTorch's CPU backward is several times slower per image at batch 16 than at 1-2 on the small
    // CNN here), so both report every batch and compare best with best.
    for (const b of o.batches) {
      const xb = tf.randomNormal([b, ...shape] as [number, number, number, number], 0, 0.5, 'float32', 8) as tf.Tensor4D;
      try {
        const bt = await timeMs(() => fg.inputGradients(xb), Math.max(1, Math.floor(o.reps / 2)));
        r.byBatch[b] = b / (bt / 1000);
        if (!(r.byBatch[b] <= r.batchGradImagesPerS)) { r.batchGradImagesPerS = r.byBatch[b]; r.batch = b; }
      } finally {
        xb.dispose();
      }
    }
    if (o.profile) {
      r.fastProfile = await profileKernels(() => fg.inputGradients(x1));
      r.fastForwardProfile = await profileKernels(() => fg.predict(x1));
      if (o.stock) {
        r.stockProfile = await profileKernels(stockGrad);
        r.stockForwardProfile = await profileKernels(() => model.predict(x1) as tf.Tensor);
      }
    }
  } catch (e) {
    r.error = e instanceof Error ? e.message : String(e);
  } finally {
    fg.dispose();
    x1.dispose();
  }
  return r;
}

/** The small CNN of issue 9 (224x224x3): conv 3x3 + ReLU blocks with max pooling, GAP, one logit. */
export function buildSmallCnn(): tf.LayersModel {
  const input = tf.input({ shape: [224, 224, 3], name: 'input' });
  let x: tf.SymbolicTensor = input;
  let k = 0;
  for (const f of [32, 64, 128, 128]) {
    k++;
    x = tf.layers.conv2d({ name: `conv${k}`, filters: f, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.heNormal({ seed: k }) }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.activation({ name: `relu${k}`, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
    if (k < 4) x = tf.layers.maxPooling2d({ name: `pool${k}`, poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
  }
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'logit', units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ name: 'small-cnn', inputs: input, outputs: out });
}

/** A workload of the bench: how to get the model, and how hard to time it. */
export interface Workload {
  id: string;
  kind: 'demo' | 'small-cnn' | 'architecture';
  /** demo: public/models/<id>; architecture: buildArchitecture name. */
  source: string;
  big: boolean;
}

export const WORKLOADS: Workload[] = [
  { id: 'densenet-compact-s1', kind: 'demo', source: 'densenet-compact-s1', big: false },
  { id: 'inception-compact-s1', kind: 'demo', source: 'inception-compact-s1', big: false },
  { id: 'small-cnn', kind: 'small-cnn', source: 'small-cnn', big: false },
  { id: 'densenet121', kind: 'architecture', source: 'densenet121', big: true },
  { id: 'inceptionv3', kind: 'architecture', source: 'inceptionv3', big: true },
];

/** Batch sizes timed for throughput (both Heatcheck and PyTorch): small models, big models. */
export const SMALL_BATCHES = [1, 2, 4, 8, 16];
export const BIG_BATCHES = [1, 2, 4];

/** Repetitions: big models 1-3 reps (one stock gradient, no warm-up: it takes seconds). */
export function optionsFor(w: Workload, backend: string, withStock: boolean): MeasureOptions {
  const gpu = backend === 'webgl' || backend === 'webgpu';
  // SwiftShader (software webgl/webgpu here) compiles a shader per op shape and runs slowly: one rep, small batch.
  if (gpu) return { id: w.id, reps: 1, stock: withStock && !w.big, stockWarmup: 0, stockReps: 1, batches: [4], profile: false };
  if (w.big) return { id: w.id, reps: 2, stock: withStock, stockWarmup: 0, stockReps: 1, batches: BIG_BATCHES, profile: true };
  return { id: w.id, reps: 5, stock: withStock, stockWarmup: 1, stockReps: 3, batches: SMALL_BATCHES, profile: true };
}

/** Integrated Gradients' cost: `steps` gradient passes over interpolated inputs, in batches. */
export async function timeIg(model: tf.LayersModel, steps: number, batch: number): Promise<number> {
  const shape = model.inputs[0].shape.slice(1) as number[];
  const fg = createFastGrad(model, target0);
  const x = tf.randomNormal([1, ...shape], 0, 0.5, 'float32', 3);
  const t0 = performance.now();
  let acc = tf.zerosLike(x);
  for (let s = 0; s < steps; s += batch) {
    const n = Math.min(batch, steps - s);
    const next = tf.tidy(() => {
      const alphas = tf.linspace((s + 1) / steps, (s + n) / steps, n).reshape([n, 1, 1, 1]);
      const g = fg.inputGradients(tf.mul(alphas, x) as tf.Tensor4D);
      return tf.add(acc, tf.sum(g, 0, true));
    });
    acc.dispose();
    acc = next;
  }
  const map = tf.mul(acc, tf.div(x, steps));
  await map.data();
  const ms = performance.now() - t0;
  tf.dispose([acc, map, x]);
  fg.dispose();
  return ms;
}
