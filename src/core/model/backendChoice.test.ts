import { describe, expect, it } from 'vitest';
import { pickMeasured, SOFTWARE_ADAPTER } from './backends';
import type { BackendAttempt } from './backendNames';

const a = (name: BackendAttempt['name'], convMs: number | undefined, extra: Partial<BackendAttempt> = {}): BackendAttempt => ({ name, ok: convMs !== undefined, ms: 1, convMs, ...extra });

describe('pickMeasured: the default backend by start-up measurement', () => {
  it('a software WebGL (SwiftShader) never wins over wasm, even when its tiny conv is faster', () => {
    const r = pickMeasured([a('webgpu', undefined, { error: 'no adapter' }), a('webgl', 2, { adapter: 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)', software: true }), a('wasm', 9), a('cpu', 80)]);
    expect(r?.active).toBe('wasm');
    expect(r?.reason).toMatch(/not emulated in software/);
    expect(r?.reason).toMatch(/webgl 2\.0 ms/);
  });
  it('a WebGPU fallback adapter is software too', () => {
    expect(pickMeasured([a('webgpu', 1, { software: true, adapter: 'google swiftshader (fallback adapter)' }), a('wasm', 5), a('cpu', 50)])?.active).toBe('wasm');
  });
  it('a hardware GPU wins when its conv is the fastest', () => {
    expect(pickMeasured([a('webgl', 0.8, { adapter: 'NVIDIA GeForce RTX 3060', software: false }), a('wasm', 6), a('cpu', 60)])?.active).toBe('webgl');
  });
  it('a hardware GPU slower than wasm loses (the measurement decides, not the order)', () => {
    expect(pickMeasured([a('webgl', 12, { adapter: 'Intel HD 4000' }), a('wasm', 6), a('cpu', 60)])?.active).toBe('wasm');
  });
  it('when only software GPUs work, the fastest of them is used', () => {
    expect(pickMeasured([a('webgl', 3, { software: true }), a('webgpu', 4, { software: true })])?.active).toBe('webgl');
  });
  it('nothing measured: no choice', () => {
    expect(pickMeasured([a('wasm', undefined, { error: 'x' })])).toBeNull();
  });
  it('knows the software renderers by name', () => {
    for (const n of ['Google SwiftShader', 'llvmpipe (LLVM 15.0.6, 256 bits)', 'Microsoft Basic Render Driver', 'ANGLE (Microsoft, WARP, D3D11)']) expect(SOFTWARE_ADAPTER.test(n)).toBe(true);
    for (const n of ['ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0)', 'Apple M1', 'Mesa Intel(R) UHD Graphics 620 (KBL GT2)', 'AMD Radeon RX 6800 (radeonsi, navi21, LLVM 15.0.6, DRM 3.49)']) expect(SOFTWARE_ADAPTER.test(n)).toBe(false);
  });
});
