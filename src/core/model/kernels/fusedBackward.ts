import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { heapOffset, simdKernelsFor, type WasmBackendLike } from './simdKernels';

/**
 * Fused backward kernels for the wasm backend, in the spirit of PyTorch's threshold_backward and
 * max_pool2d_with_indices_backward: one pass, one output, no intermediate mask or index tensor.
 *
 * - HeatcheckReluBackward(dy, y): dx = y > 0 ? dy : 0 (stock: Step(y) then Multiply, two passes
 *   and a mask tensor).
 * - HeatcheckMaxPoolBackward(dy, x): every window's dy goes to its first maximum in window order
 *   (the tie rule of tfjs' MaxPoolGrad), found by scanning x; no ArgMax tensor, no ScatterNd.
 *
 * - HeatcheckSplitChannels(x; sizes): the backward of a concat on the last axis, one copy per part
 *   (stock SplitV slices the NHWC tensor element by element).
 * - HeatcheckCropSpatial(x; top, left, height, width): rows and columns of an NHWC tensor, all
 *   channels (a zero padding's backward, a transposed convolution's crop): each output row is one
 *   contiguous run of the input, copied at once (stock Slice copies pixel by pixel; slow in Chromium).
 *
 * They run as Heatcheck's wasm SIMD kernels on the backend's heap (simdKernels.ts, simd/kernels.c),
 * or, where those cannot start, as plain JavaScript loops over the same heap
 * (BackendWasm.typedArrayFromHeap: views, no copies); both give the same values bit for bit.
 * Where they are not registered (other backends) the callers compose stock ops with the same rules
 * (reluBackward below; poolBackprop.maxPoolBackpropFirstMax; tf.split).
 */

export const RELU_BACKWARD = 'HeatcheckReluBackward';
export const MAXPOOL_BACKWARD = 'HeatcheckMaxPoolBackward';
export const SPLIT_CHANNELS = 'HeatcheckSplitChannels';
export const CROP_SPATIAL = 'HeatcheckCropSpatial';

function reluBackwardKernel({ inputs, backend }: { inputs: NamedTensorInfoMap; backend: unknown }): TensorInfo {
  const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
  const b = backend as WasmBackendLike;
  const out = b.makeOutput(dy.shape, 'float32');
  const n = dy.shape.reduce((a, v) => a * v, 1);
  if (n === 0) return out;
  const simd = simdKernelsFor(backend);
  if (simd) {
    simd.relu_backward(heapOffset(backend, dy), heapOffset(backend, y), heapOffset(backend, out), n);
    return out;
  }
  // views after makeOutput: growing the heap there would detach earlier views
  const g = b.typedArrayFromHeap(dy);
  const v = b.typedArrayFromHeap(y);
  const o = b.typedArrayFromHeap(out);
  for (let i = 0; i < n; i++) o[i] = v[i] > 0 ? g[i] : 0;
  return out;
}

interface PoolAttrs { filterSize: [number, number]; strides: [number, number]; pad: 'valid' | 'same' | number }

function maxPoolBackwardKernel({ inputs, backend, attrs }: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  const { filterSize, strides, pad } = attrs as unknown as PoolAttrs;
  const b = backend as WasmBackendLike;
  const [n, h, w, c] = x.shape;
  const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad);
  const [kh, kw] = filterSize;
  const [sh, sw] = strides;
  const { top, left } = info.padInfo;
  const oh = info.outHeight;
  const ow = info.outWidth;
  const out = b.makeOutput(x.shape, 'float32');
  if (n * h * w * c === 0) return out;
  const simd = simdKernelsFor(backend);
  if (simd) {
    simd.maxpool_backward(heapOffset(backend, dy), heapOffset(backend, x), heapOffset(backend, out), n, h, w, c, kh, kw, sh, sw, top, left, oh, ow);
    return out;
  }
  const g = b.typedArrayFromHeap(dy);
  const xv = b.typedArrayFromHeap(x);
  const o = b.typedArrayFromHeap(out);
  o.fill(0);
  const rowStride = w * c;
  const imgStride = h * rowStride;
  for (let bi = 0; bi < n; bi++) {
    const xb = bi * imgStride;
    for (let i = 0; i < oh; i++) {
      const r0 = i * sh - top;
      const rs = Math.max(0, r0);
      const re = Math.min(h, r0 + kh);
      for (let j = 0; j < ow; j++) {
        const c0 = j * sw - left;
        const cs = Math.max(0, c0);
        const ce = Math.min(w, c0 + kw);
        const gBase = ((bi * oh + i) * ow + j) * c;
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let r = rs; r < re; r++) {
            let p = xb + r * rowStride + cs * c + ch;
            for (let q = cs; q < ce; q++, p += c) {
              const val = xv[p];
              // strictly greater: the first maximum keeps the gradient
              if (at < 0 || val > best) { best = val; at = p; }
            }
          }
          if (at >= 0) o[at] += g[gBase + ch];
        }
      }
    }
  }
  return out;
}

function splitChannelsKernel({ inputs, backend, attrs }: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] {
  const { x } = inputs as { x: TensorInfo };
  const { sizes } = attrs as unknown as { sizes: number[] };
  const b = backend as WasmBackendLike;
  const channels = x.shape[x.shape.length - 1];
  const pixels = channels === 0 ? 0 : x.shape.reduce((a, v) => a * v, 1) / channels;
  const outs = sizes.map((s) => b.makeOutput([...x.shape.slice(0, -1), s], 'float32'));
  if (pixels === 0) return outs;
  const simd = simdKernelsFor(backend);
  let offset = 0;
  for (let k = 0; k < sizes.length; k++) {
    const width = sizes[k];
    if (width > 0) {
      if (simd) simd.copy_channels(heapOffset(backend, x), heapOffset(backend, outs[k]), pixels, channels, offset, width);
      else {
        // views after every makeOutput above: none of them can be detached by a later allocation
        const src = b.typedArrayFromHeap(x);
        const o = b.typedArrayFromHeap(outs[k]);
        for (let p = 0; p < pixels; p++) o.set(src.subarray(p * channels + offset, p * channels + offset + width), p * width);
      }
    }
    offset += width;
  }
  return outs;
}

function cropSpatialKernel({ inputs, backend, attrs }: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const { x } = inputs as { x: TensorInfo };
  const { top, left, height, width } = attrs as unknown as { top: number; left: number; height: number; width: number };
  const b = backend as WasmBackendLike;
  const [n, h, w, c] = x.shape;
  const out = b.makeOutput([n, height, width, c], 'float32');
  const run = width * c;
  if (n * height * run === 0) return out;
  const src = b.typedArrayFromHeap(x);
  const o = b.typedArrayFromHeap(out);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < height; r++) {
      const from = ((i * h + top + r) * w + left) * c;
      o.set(src.subarray(from, from + run), (i * height + r) * run);
    }
  }
  return out;
}

export const reluBackwardConfig = (backendName: string): KernelConfig => ({ kernelName: RELU_BACKWARD, backendName, kernelFunc: reluBackwardKernel as never });
export const maxPoolBackwardConfig = (backendName: string): KernelConfig => ({ kernelName: MAXPOOL_BACKWARD, backendName, kernelFunc: maxPoolBackwardKernel as never });
export const cropSpatialConfig = (backendName: string): KernelConfig => ({ kernelName: CROP_SPATIAL, backendName, kernelFunc: cropSpatialKernel as never });
export const splitChannelsConfig = (backendName: string): KernelConfig => ({ kernelName: SPLIT_CHANNELS, backendName, kernelFunc: splitChannelsKernel as never });

function fusedOn(kernel: string): boolean {
  return tf.getKernel(kernel, tf.getBackend()) !== undefined;
}

/**
 * y > 0 ? dy : 0, the same rule on every backend: fused on wasm, Select(y > 0, dy, 0) elsewhere
 * (not dy * Step(y): Step keeps NaN, and Infinity * 0 is NaN, where the fused kernel gives 0).
 */
export function reluBackward(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (dy.dtype === 'float32' && y.dtype === 'float32' && fusedOn(RELU_BACKWARD) && tf.util.arraysEqual(dy.shape, y.shape)) {
    return tf.engine().runKernel(RELU_BACKWARD, { dy, y }) as tf.Tensor;
  }
  return tf.tidy(() => tf.where(tf.greater(y, 0), dy, tf.zerosLike(dy)));
}

/** Whether the fused max-pool backward runs on the current backend. */
export function fusedMaxPoolBackward(): boolean {
  return fusedOn(MAXPOOL_BACKWARD);
}

/** Max-pool input gradient by the fused kernel (call only when fusedMaxPoolBackward()). */
export function maxPoolBackwardFused(dy: tf.Tensor4D, x: tf.Tensor4D, filterSize: [number, number], strides: [number, number], pad: 'valid' | 'same' | number): tf.Tensor4D {
  return tf.engine().runKernel(MAXPOOL_BACKWARD, { dy, x }, { filterSize, strides, pad } as unknown as NamedAttrMap) as tf.Tensor4D;
}

let splitKernel = true;

/** Benchmarks only: false sends concat backward through stock tf.split (SplitV), as before the split kernel. */
export function setSplitKernel(on: boolean): void {
  splitKernel = on;
}

/**
 * Splits x along `axis` (negative counts from the end) into parts of the given sizes: tf.split's
 * result, a concat's backward. Along the last axis (channels of NHWC) it is one copy per part on
 * wasm; any other axis, or another backend, runs tf.split.
 */
export function splitAxis(x: tf.Tensor, sizes: number[], axis: number): tf.Tensor[] {
  const a = axis < 0 ? axis + x.rank : axis;
  if (a === x.rank - 1 && splitKernel && x.dtype === 'float32' && fusedOn(SPLIT_CHANNELS)) {
    return tf.engine().runKernel(SPLIT_CHANNELS, { x }, { sizes } as unknown as NamedAttrMap) as unknown as tf.Tensor[];
  }
  return tf.split(x, sizes, a);
}

/** x[:, top:top+height, left:left+width, :] of an NHWC tensor: one copy per output row on wasm, tf.slice elsewhere. */
export function cropSpatial(x: tf.Tensor4D, top: number, left: number, height: number, width: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (top < 0 || left < 0 || height < 0 || width < 0 || top + height > h || left + width > w) {
    throw new RangeError(`cropSpatial: rows ${top}..${top + height} and columns ${left}..${left + width} are outside a ${h}x${w} tensor`);
  }
  if (x.dtype === 'float32' && fusedOn(CROP_SPATIAL)) {
    return tf.engine().runKernel(CROP_SPATIAL, { x }, { top, left, height, width } as unknown as NamedAttrMap) as tf.Tensor4D;
  }
  return tf.slice(x, [0, top, left, 0], [n, height, width, c]);
}
