/**
 * Hand-built TF.js GraphModels for tests: model.json ("format": "graph-model", a TensorFlow
 * GraphDef as JSON, exactly what tensorflowjs_converter writes) and its weight shard, from a short
 * list of nodes. No Python or TensorFlow needed.
 */
import type { ModelFiles } from './load';

export interface FixtureNode {
  name: string;
  op: string;
  inputs?: string[];
  attr?: Record<string, unknown>;
}
export interface FixtureConst {
  name: string;
  dtype: 'float32' | 'int32';
  shape: number[];
  values: number[];
}

const b64 = (s: string) => btoa(s);
/** GraphDef attribute helpers. */
export const attr = {
  float: { type: 'DT_FLOAT' },
  ints: (v: number[]) => ({ list: { i: v.map(String) } }),
  str: (s: string) => ({ s: b64(s) }),
  bool: (b: boolean) => ({ b }),
  shape: (dims: number[]) => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } }),
};

/** The files of a GraphModel with one float32 input placeholder `x` of shape [-1, ...inputShape]. */
export function graphModelFiles(inputShape: number[], consts: FixtureConst[], nodes: FixtureNode[], manifest?: Record<string, unknown>): ModelFiles {
  const node: Array<Record<string, unknown>> = [
    { name: 'x', op: 'Placeholder', attr: { dtype: attr.float, shape: attr.shape([-1, ...inputShape]) } },
    ...consts.map((c) => ({
      name: c.name,
      op: 'Const',
      attr: {
        dtype: { type: c.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' },
        value: { tensor: { dtype: c.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT', tensorShape: { dim: c.shape.map((d) => ({ size: String(d) })) } } },
      },
    })),
    ...nodes.map((n) => ({ name: n.name, op: n.op, input: n.inputs ?? [], attr: { T: attr.float, ...(n.attr ?? {}) } })),
  ];
  const bytes = consts.reduce((a, c) => a + c.values.length * 4, 0);
  const data = new Uint8Array(bytes);
  const view = new DataView(data.buffer);
  let o = 0;
  for (const c of consts) {
    const want = c.shape.reduce((a, b) => a * b, 1);
    if (want !== c.values.length) throw new Error(`fixture const ${c.name}: ${c.values.length} values for shape [${c.shape}]`);
    for (const v of c.values) {
      if (c.dtype === 'int32') view.setInt32(o, v, true);
      else view.setFloat32(o, v, true);
      o += 4;
    }
  }
  return {
    source: 'fixture',
    modelJson: {
      format: 'graph-model',
      generatedBy: 'hand-built test fixture',
      convertedBy: null,
      modelTopology: { node, library: {}, versions: {} },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: consts.map((c) => ({ name: c.name, shape: c.shape, dtype: c.dtype })) }],
    },
    shards: new Map([['group1-shard1of1.bin', data]]),
    manifest,
  };
}

/**
 * A small CNN as a GraphModel on a size x size x 1 input: conv 3x3 with `dense.length` filters
 * (SAME, no bias) + ReLU (node "feat"), global mean over H and W, then a dense layer to one logit.
 * `kernel` holds 9 x filters values ([3, 3, 1, filters], row-major).
 */
export function cnnGraphFiles(size: number, kernel: number[], dense: number[], bias: number, manifest?: Record<string, unknown>): ModelFiles {
  const k = dense.length;
  return graphModelFiles(
    [size, size, 1],
    [
      { name: 'K', dtype: 'float32', shape: [3, 3, 1, k], values: kernel },
      { name: 'axes', dtype: 'int32', shape: [2], values: [1, 2] },
      { name: 'W', dtype: 'float32', shape: [k, 1], values: dense },
      { name: 'b', dtype: 'float32', shape: [1], values: [bias] },
    ],
    [
      { name: 'conv', op: 'Conv2D', inputs: ['x', 'K'], attr: { strides: attr.ints([1, 1, 1, 1]), padding: attr.str('SAME'), data_format: attr.str('NHWC'), dilations: attr.ints([1, 1, 1, 1]) } },
      { name: 'feat', op: 'Relu', inputs: ['conv'] },
      { name: 'gap', op: 'Mean', inputs: ['feat', 'axes'], attr: { keep_dims: attr.bool(false), Tidx: { type: 'DT_INT32' } } },
      { name: 'mm', op: 'MatMul', inputs: ['gap', 'W'], attr: { transpose_a: attr.bool(false), transpose_b: attr.bool(false) } },
      { name: 'logit', op: 'AddV2', inputs: ['mm', 'b'] },
    ],
    manifest,
  );
}
