import * as tf from '@tensorflow/tfjs';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnnxModel } from './model';
import { modelProtoType } from './decode';
import { compareWithTorch, loadFixtureModel, makeOnnxFixtures, useWasmBackend, type OnnxFixture } from './testing';

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
          // predict: the graph's output, batch of two (the reshape chain follows the batch size).
          const y = tf.tidy(() => m.predict(tf.tensor4d(fx.x, [1, fx.size, fx.size, 3]).tile([2, 1, 1, 1])).arraySync()) as number[][];
          expect(y.length).toBe(2);
          expect(Math.abs(y[1][0] - fx.logit) / Math.abs(fx.logit)).toBeLessThan(1e-4);
        } finally {
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
