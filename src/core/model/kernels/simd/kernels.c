/*
 * Heatcheck's wasm SIMD kernels for the input-gradient pass (fastgrad) on tfjs-backend-wasm.
 *
 * This module has no memory of its own: it imports tfjs-backend-wasm's (scripts/build-simd-kernels.sh
 * links it with --import-memory), so every pointer below is an offset into the tensors' own heap and
 * nothing is copied in or out. For that to be safe it must never write memory it was not handed: no
 * static data, no C stack (the build script checks that no function touches __stack_pointer), no
 * libc. All loops are plain C over 128-bit wasm SIMD vectors (4 float32 lanes).
 *
 * Every kernel computes exactly what the JavaScript loops in fusedBackward.ts compute, bit for bit,
 * in the same order of additions (the tests compare them):
 *   relu_backward      dx = y > 0 ? dy : 0 (PyTorch's threshold_backward)
 *   maxpool_backward   each window's dy to its first maximum in window order (tfjs' MaxPoolGrad rule)
 *   copy_channels      a channel range of an NHWC tensor (the backward of a concat on channels)
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

EXPORT(relu_backward)
void relu_backward(const float *dy, const float *y, float *out, int n) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    v128_t m0 = wasm_f32x4_gt(wasm_v128_load(y + i), zero);
    v128_t m1 = wasm_f32x4_gt(wasm_v128_load(y + i + 4), zero);
    v128_t m2 = wasm_f32x4_gt(wasm_v128_load(y + i + 8), zero);
    v128_t m3 = wasm_f32x4_gt(wasm_v128_load(y + i + 12), zero);
    wasm_v128_store(out + i, wasm_v128_and(wasm_v128_load(dy + i), m0));
    wasm_v128_store(out + i + 4, wasm_v128_and(wasm_v128_load(dy + i + 4), m1));
    wasm_v128_store(out + i + 8, wasm_v128_and(wasm_v128_load(dy + i + 8), m2));
    wasm_v128_store(out + i + 12, wasm_v128_and(wasm_v128_load(dy + i + 12), m3));
  }
  for (; i + 4 <= n; i += 4) {
    v128_t m = wasm_f32x4_gt(wasm_v128_load(y + i), zero);
    wasm_v128_store(out + i, wasm_v128_and(wasm_v128_load(dy + i), m));
  }
  /* +0 where y <= 0 or y is NaN, as the mask gives */
  for (; i < n; i++) out[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

static void zero_floats(float *p, int n) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(p + i, zero);
  for (; i < n; i++) p[i] = 0.0f;
}

/*
 * x, out: [n, h, w, c]; dy: [n, oh, ow, c]. Window (i, j) covers rows i*sh - top .. + kh and columns
 * j*sw - left .. + kw, clipped to the image (tfjs pads with -Infinity, which is never a maximum
 * unless the whole window is, and a window is never all padding).
 *
 * Four channels at a time: the first maximum of each lane is tracked as a value and a tap number;
 * "strictly greater" keeps the first on ties and keeps a NaN that comes first, as the scalar loop
 * does. Then every tap of the window adds dy where it is its lane's maximum and +0 elsewhere: the
 * same sums in the same order as adding dy to the maximum alone (out starts at +0 and so is never
 * -0, and x + 0 == x for every other x).
 */
EXPORT(maxpool_backward)
void maxpool_backward(const float *dy, const float *x, float *out, int n, int h, int w, int c, int kh, int kw,
                      int sh, int sw, int top, int left, int oh, int ow) {
  const int row = w * c;
  const int img = h * row;
  zero_floats(out, n * img);
  const int c4 = c & ~3;
  for (int b = 0; b < n; b++) {
    const float *xb = x + b * img;
    float *ob = out + b * img;
    for (int i = 0; i < oh; i++) {
      const int r0 = i * sh - top;
      const int rs = r0 < 0 ? 0 : r0;
      const int re = r0 + kh > h ? h : r0 + kh;
      for (int j = 0; j < ow; j++) {
        const int q0 = j * sw - left;
        const int qs = q0 < 0 ? 0 : q0;
        const int qe = q0 + kw > w ? w : q0 + kw;
        const float *g = dy + ((b * oh + i) * ow + j) * c;
        if (re <= rs || qe <= qs) continue;
        for (int ch = 0; ch < c4; ch += 4) {
          v128_t best = wasm_v128_load(xb + rs * row + qs * c + ch);
          v128_t at = wasm_i32x4_splat(0);
          int tap = 0;
          for (int r = rs; r < re; r++) {
            for (int q = qs; q < qe; q++, tap++) {
              if (tap == 0) continue;
              v128_t v = wasm_v128_load(xb + r * row + q * c + ch);
              v128_t gt = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, gt);
              at = wasm_v128_bitselect(wasm_i32x4_splat(tap), at, gt);
            }
          }
          const v128_t gv = wasm_v128_load(g + ch);
          tap = 0;
          for (int r = rs; r < re; r++) {
            for (int q = qs; q < qe; q++, tap++) {
              float *o = ob + r * row + q * c + ch;
              v128_t add = wasm_v128_and(gv, wasm_i32x4_eq(at, wasm_i32x4_splat(tap)));
              wasm_v128_store(o, wasm_f32x4_add(wasm_v128_load(o), add));
            }
          }
        }
        for (int ch = c4; ch < c; ch++) {
          float best = 0.0f;
          int at = -1;
          for (int r = rs; r < re; r++) {
            for (int q = qs; q < qe; q++) {
              const int p = r * row + q * c + ch;
              const float v = xb[p];
              if (at < 0 || v > best) {
                best = v;
                at = p;
              }
            }
          }
          ob[at] += g[ch];
        }
      }
    }
  }
}

/* out[p, :] = src[p, offset .. offset + width) for every pixel p of an NHWC tensor with `channels` channels. */
EXPORT(copy_channels)
void copy_channels(const float *src, float *out, int pixels, int channels, int offset, int width) {
  const int w4 = width & ~3;
  for (int p = 0; p < pixels; p++) {
    const float *s = src + p * channels + offset;
    float *o = out + p * width;
    int k = 0;
    for (; k < w4; k += 4) wasm_v128_store(o + k, wasm_v128_load(s + k));
    for (; k < width; k++) o[k] = s[k];
  }
}
