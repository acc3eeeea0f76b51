import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

/**
 * Fused backward kernels for the wasm backend, in the spirit of PyTorch's threshold_backward and
 * max_pool2d_with_indices_backward: one pass, one output, no intermediate mask or index tensor.
 *
 * - HeatcheckReluBackward(dy, y): dx = y > 0 ? dy : 0 (stock: Step(y) then Multiply, two passes
 *   and a mask tensor).
 * - HeatcheckMaxPoolBackward(dy, x): every window's dy goes to its first maximum in window order
 *   (the tie rule of tfjs' MaxPoolGrad), found by scanning x; no ArgMax tensor, no ScatterNd.
 *
 * They run as plain loops over the wasm heap (BackendWasm.typedArrayFromHeap: views, no copies).
 * Where they are not registered (other backends) the callers compose stock ops with the same rules
 * (reluBackward below; poolBackprop.maxPoolBackpropFirstMax).
 */

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

export const RELU_BACKWARD = 'HeatcheckReluBackward';
export const MAXPOOL_BACKWARD = 'HeatcheckMaxPoolBackward';

function reluBackwardKernel({ inputs, backend }: { inputs: NamedTensorInfoMap; backend: unknown }): TensorInfo {
  const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
  const b = backend as WasmBackendLike;
  const out = b.makeOutput(dy.shape, 'float32');
  const n = dy.shape.reduce((a, v) => a * v, 1);
  if (n === 0) return out;
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

export const reluBackwardConfig = (backendName: string): KernelConfig => ({ kernelName: RELU_BACKWARD, backendName, kernelFunc: reluBackwardKernel as never });
export const maxPoolBackwardConfig = (backendName: string): KernelConfig => ({ kernelName: MAXPOOL_BACKWARD, backendName, kernelFunc: maxPoolBackwardKernel as never });

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
