#include <wasm_simd128.h>
#define A 12
__attribute__((export_name("peak"))) float peak(int n) {
  v128_t a[A];
  for (int k = 0; k < A; k++) a[k] = wasm_f32x4_splat(1.0f + k * 1e-3f);
  v128_t m = wasm_f32x4_splat(0.999999f), c = wasm_f32x4_splat(1e-7f);
  for (int i = 0; i < n; i++) {
#pragma clang loop unroll(full)
    for (int k = 0; k < A; k++) a[k] = wasm_f32x4_add(wasm_f32x4_mul(a[k], m), c);
  }
  v128_t s = a[0];
  for (int k = 1; k < A; k++) s = wasm_f32x4_add(s, a[k]);
  return wasm_f32x4_extract_lane(s, 0);
}
