import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

/**
 * Conv2DBackpropFilter through im2col + matMul, for backends that lack the kernel (wasm).
 *
 * dW[kh, kw, ci, co] = sum over n, oh, ow of xPad[n, oh*sh + kh*dh, ow*sw + kw*dw, ci] * dy[n, oh, ow, co]
 *
 * The strided window of every kernel tap is one stridedSlice of the padded input; the taps are
 * concatenated along channels into the im2col matrix [M, KH*KW*Cin] (M = N*outH*outW), and the
 * whole filter gradient is one matMul(colsᵀ, dy) on the backend. No per-element JavaScript loop.
 * `dilations` is accepted as an extra attribute (tfjs itself never passes it).
 */
export function conv2dBackpropFilterIm2col(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
  dilations: number | [number, number] = 1,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
  dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
): tf.Tensor4D {
  return tf.tidy(() => {
    let xs = x;
    let dys = dy;
    if (dataFormat === 'NCHW') {
      xs = tf.transpose(x, [0, 2, 3, 1]);
      dys = tf.transpose(dy, [0, 2, 3, 1]);
    }
    const info = tf.backend_util.computeConv2DInfo(
      xs.shape, filterShape, strides, dilations, pad as never, dimRoundingMode, false, 'channelsLast',
    );
    const { batchSize, outHeight, outWidth, inChannels, outChannels, filterHeight, filterWidth,
      strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
    // Pad enough for every window; extra rows/cols beyond the input are zeros.
    const needH = (outHeight - 1) * strideHeight + (filterHeight - 1) * dilationHeight + 1;
    const needW = (outWidth - 1) * strideWidth + (filterWidth - 1) * dilationWidth + 1;
    const inH = xs.shape[1];
    const inW = xs.shape[2];
    const top = padInfo.top;
    const left = padInfo.left;
    const bottom = Math.max(0, needH - top - inH);
    const right = Math.max(0, needW - left - inW);
    const xp = top || bottom || left || right
      ? tf.pad(xs, [[0, 0], [top, bottom], [left, right], [0, 0]])
      : xs;
    const taps: tf.Tensor4D[] = [];
    for (let kh = 0; kh < filterHeight; kh++) {
      for (let kw = 0; kw < filterWidth; kw++) {
        const h0 = kh * dilationHeight;
        const w0 = kw * dilationWidth;
        taps.push(tf.stridedSlice(
          xp,
          [0, h0, w0, 0],
          [batchSize, h0 + (outHeight - 1) * strideHeight + 1, w0 + (outWidth - 1) * strideWidth + 1, inChannels],
          [1, strideHeight, strideWidth, 1],
        ) as tf.Tensor4D);
      }
    }
    const m = batchSize * outHeight * outWidth;
    const cols = (taps.length === 1 ? taps[0] : tf.concat(taps, 3)).reshape([m, filterHeight * filterWidth * inChannels]);
    const dw = tf.matMul(cols as tf.Tensor2D, dys.reshape([m, outChannels]) as tf.Tensor2D, true, false);
    return dw.reshape([filterHeight, filterWidth, inChannels, outChannels]) as tf.Tensor4D;
  });
}

export const conv2dBackpropFilterConfig = (backendName: string): KernelConfig => ({
  kernelName: 'Conv2DBackpropFilter',
  backendName,
  kernelFunc: ({ inputs, attrs }: { inputs: NamedTensorInfoMap; attrs?: NamedAttrMap }): TensorInfo => {
    const a = (attrs ?? {}) as unknown as {
      strides: number | [number, number];
      pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      filterShape: [number, number, number, number];
      dilations?: number | [number, number];
    };
    const x = inputs.x as tf.Tensor4D;
    const dy = inputs.dy as tf.Tensor4D;
    // Returning a Tensor (not a bare TensorInfo) lets the engine adopt it as the kernel output.
    return conv2dBackpropFilterIm2col(x, dy, a.filterShape, a.strides, a.pad, a.dilations ?? 1, a.dimRoundingMode, a.dataFormat);
  },
});
