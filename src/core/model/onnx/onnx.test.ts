import * as tf from '@tensorflow/tfjs';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnnxModel } from './model';
import { modelProtoType } from './decode';
import { compareWithTorch, fixtureProbe, loadFixtureModel, makeOnnxFixtures, onnxRuntimeOutput, relMaxError, useWasmBackend, type OnnxFixture } from './fixtures.testutil';
import { logical, tensorValue } from './values';

// The small net (scripts/onnx_fixtures.py) uses every op of the importer's list; its opset-13 file
// carries auto_pad, Identity and Dropout nodes and keeps its weights in an external-data file.
// References: PyTorch autograd on the same weights and input.
let fx: OnnxFixture;
beforeAll(async () => {
  fx = makeOnnxFixtures(['small']).get('small')!;
});
afterAll(() => {
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`ONNX import of the small all-ops net equals PyTorch (${backend})`, () => {
    beforeAll(async () => {
      if (backend === 'wasm') await useWasmBackend();
      else await tf.setBackend('cpu');
    });
    for (const opset of [13, 17]) {
      it(`opset ${opset}: logit, input gradient and Grad-CAM`, async () => {
        const m = loadFixtureModel(fx, opset);
        try {
          const ops = new Set(m.graph.nodes.map((n) => n.opType));
          for (const op of ['Conv', 'ConvTranspose', 'BatchNormalization', 'Relu', 'LeakyRelu', 'Clip', 'Sigmoid', 'Tanh', 'Softmax', 'MaxPool', 'AveragePool',
            'GlobalAveragePool', 'Concat', 'Add', 'Sub', 'Mul', 'Div', 'Gemm', 'MatMul', 'Flatten', 'Reshape', 'Transpose', 'Pad', 'Constant', 'ReduceMean',
            'Squeeze', 'Unsqueeze', 'Resize', 'Shape', 'Gather', ...(opset === 13 ? ['Identity', 'Dropout'] : [])]) {
            expect(ops, `the fixture uses ${op}`).toContain(op);
          }
          if (opset === 13) {
            expect(m.graph.externalFiles).toEqual(['small_op13.onnx.data']);
            expect(m.graph.nodes.some((n) => n.attrs.auto_pad === 'SAME_UPPER')).toBe(true);
          }
          const c = await compareWithTorch(m, fx);
          expect(c.logitRel).toBeLessThan(1e-4);
          expect(c.gradRel).toBeLessThan(1e-3);
          expect(c.grad64Rel).toBeLessThan(1e-3);
          // Grad-CAM's default: the last spatial value every path goes through (PyTorch's reference layer).
          expect(c.camOp).toBe('Mul');
          expect(c.camRel).toBeLessThan(1e-3);
          // onnxruntime-node, the second reference for the forward pass, on the same file and input.
          const ort = (await onnxRuntimeOutput(fx, opset))[0];
          expect(Math.abs(c.logit - ort) / Math.abs(ort)).toBeLessThan(1e-4);
          // predict: the graph's output, batch of two (the reshape chain follows the batch size).
          const y = tf.tidy(() => m.predict(tf.tensor4d(fx.x, [1, fx.size, fx.size, 3]).tile([2, 1, 1, 1])).arraySync()) as number[][];
          expect(y.length).toBe(2);
          expect(Math.abs(y[1][0] - fx.logit) / Math.abs(fx.logit)).toBeLessThan(1e-4);
        } finally {
          m.dispose();
        }
      });
      it(`opset ${opset}: the op-graph input gradient and Grad-CAM gradients equal stock tf.grad through the lowered graph (1e-6)`, async () => {
        const m = loadFixtureModel(fx, opset);
        const probe = fixtureProbe(m, fx);
        const g = m.graph;
        const out = g.outputNames[0];
        try {
          // Two different images in one batch.
          const x = tf.tidy(() => { const a = tf.tensor4d(fx.x, [1, fx.size, fx.size, 3]); return tf.concat([a, a.mul(-0.5).add(0.2)]) as tf.Tensor4D; });
          const stock = tf.tidy(() => tf.grad((xx: tf.Tensor) => logical(g.run(xx, [out])[0]).sum())(x));
          const fast = probe.inputGradients(x);
          expect(relMaxError(await fast.data(), await stock.data())).toBeLessThan(1e-6);
          const layer = probe.defaultLayer;
          const { activations, gradients } = probe.layerGradients(x, layer);
          const stockCam = tf.tidy(() => tf.grad((a: tf.Tensor) => logical(g.execute(new Map([[layer, tensorValue(a, true)]]), [out])[0]).sum())(activations));
          expect(relMaxError(await gradients.data(), await stockCam.data())).toBeLessThan(1e-6);
          tf.dispose([x, stock, fast, activations, gradients, stockCam]);
        } finally {
          probe.dispose();
          m.dispose();
        }
      });
    }
  });
}

describe('ONNX import errors', () => {
  const file = () => path.join(fx.dir, fx.onnx['17']);
  it('an unsupported op names the op, the node and the opset', () => {
    const T = modelProtoType();
    const msg = T.decode(readFileSync(file())) as unknown as { graph: { node: Array<{ op_type: string; name: string }> } };
    const node = msg.graph.node.find((n) => n.op_type === 'Tanh')!;
    node.op_type = 'Einsum';
    const bytes = T.encode(msg).finish();
    expect(() => buildOnnxModel(bytes, 'edited.onnx')).toThrow(new RegExp(`edited\\.onnx: node "${node.name.replace(/[/.]/g, '\\$&')}" uses op Einsum \\(opset 17\\)`));
  });
  it('a missing external-data file is named', () => {
    const f = path.join(fx.dir, fx.onnx['13']);
    expect(() => buildOnnxModel(new Uint8Array(readFileSync(f)), f, () => null)).toThrow(/external-data file "small_op13\.onnx\.data", which is not among the files/);
  });
  it('bytes that are not ONNX are refused as such', () => {
    expect(() => buildOnnxModel(new TextEncoder().encode('{"modelTopology": {}}'), 'model.onnx')).toThrow(/model\.onnx: not an ONNX model|holds no graph/);
  });
});

describe('cascading randomization of an ONNX graph', () => {
  it('re-initialises Conv/ConvTranspose/Gemm from the output back, kaiming-uniform bounds, seeded, on a copy', async () => {
    await tf.setBackend('cpu');
    const { onnxCascadeSteps, randomizeOnnx } = await import('./randomize');
    const m = loadFixtureModel(fx, 17);
    const x = tf.tensor4d(fx.x, [1, fx.size, fx.size, 3]);
    const logit = (mm: typeof m) => tf.tidy(() => mm.predict(x).dataSync()[0]);
    try {
      const steps = onnxCascadeSteps(m.graph);
      const ops = steps.map((s) => m.graph.nodes.find((n) => n.name === s.block)!.opType);
      expect(ops[0]).toBe('Gemm');
      expect(ops[1]).toBe('ConvTranspose');
      expect(ops.slice(2).every((o) => o === 'Conv')).toBe(true);
      expect(ops.length).toBe(6); // fc, up, c3, dw, c2, c1 (bn1 folded into c1 by the exporter)
      const before = logit(m);
      const r0 = randomizeOnnx(m, 0, 11);
      const r0b = randomizeOnnx(m, 0, 11);
      const r1 = randomizeOnnx(m, 1, 11);
      try {
        const gemm = m.graph.nodes.find((n) => n.name === steps[0].block)!;
        const w = r0.graph.getWeight(gemm.inputs[1]);
        const fan = w.shape[1] as number;
        const vals = w.dataSync() as Float32Array;
        let maxAbs = 0;
        for (const v of vals) maxAbs = Math.max(maxAbs, Math.abs(v));
        expect(maxAbs).toBeLessThanOrEqual(1 / Math.sqrt(fan) + 1e-7);
        expect(maxAbs).toBeGreaterThan(0.95 / Math.sqrt(fan));
        // The same draw for the same (seed, node), at step 0 and step 1.
        expect(Array.from(r1.graph.getWeight(gemm.inputs[1]).dataSync())).toEqual(Array.from(vals));
        expect(logit(r0b)).toBe(logit(r0));
        expect(logit(r0)).not.toBe(before);
        const up = m.graph.nodes.find((n) => n.name === steps[1].block)!;
        expect(Array.from(r0.graph.getWeight(up.inputs[1]).dataSync())).toEqual(Array.from(m.graph.getWeight(up.inputs[1]).dataSync()));
        expect(Array.from(r1.graph.getWeight(up.inputs[1]).dataSync())).not.toEqual(Array.from(m.graph.getWeight(up.inputs[1]).dataSync()));
        expect(logit(m)).toBe(before); // the imported model is untouched
      } finally {
        r0.dispose(); r0b.dispose(); r1.dispose();
      }
    } finally {
      x.dispose();
      m.dispose();
    }
  });
});
