/**
 * A Keras / TF.js LayersModel topology read from model.json alone (no weights, no TF.js): its
 * layers, their connections and every layer's output shape, worked out layer by layer from the
 * layer configs. Pure JSON, so the browser can show a model's input size and Grad-CAM candidates
 * the moment its files are chosen, and the CLI can describe a model without building it.
 *
 * Two layouts are read:
 *  - Keras 2 converter (tensorflowjs_converter --input_format keras): modelTopology = {keras_version,
 *    backend, model_config: {class_name: "Model" | "Functional", config: {layers, input_layers,
 *    output_layers}}, training_config};
 *  - TF.js (model.save) and Keras 3: modelTopology = {class_name, config: {layers, ...}}. Keras 3
 *    writes `batch_shape` instead of `batch_input_shape`, dtype policies as objects, and
 *    inbound_nodes as {args, kwargs} with `__keras_tensor__` entries; both node forms are read.
 * Shapes use null for an unknown dimension (the batch, or what a layer kind not known here makes).
 */

export type Shape = Array<number | null>;

export interface TopologyLayer {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** Per call of the layer (node): the (layer, node, tensor) it reads, in order. */
  inbound: Array<Array<[string, number, number]>>;
  /** Output shape of its first node (null when not known). */
  outputShape: Shape | null;
}

export interface Topology {
  layout: 'keras2' | 'tfjs';
  /** keras_version as written (e.g. "2.13.1", "tfjs-layers 4.22.0"), when present. */
  kerasVersion?: string;
  modelClass: string;
  layers: TopologyLayer[];
  inputs: Array<[string, number, number]>;
  outputs: Array<[string, number, number]>;
}

export class TopologyError extends Error {
  constructor(public readonly code: string, message: string) {
    super(message);
    this.name = 'TopologyError';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** [name, node, tensor] from the Keras 2 / TF.js form (["conv2d", 0, 0, {}]) or a Keras 3 __keras_tensor__. */
function tensorRefs(v: unknown, out: Array<[string, number, number]>): void {
  if (Array.isArray(v)) {
    if (typeof v[0] === 'string' && typeof v[1] === 'number') {
      out.push([v[0], v[1], typeof v[2] === 'number' ? v[2] : 0]);
      return;
    }
    for (const x of v) tensorRefs(x, out);
    return;
  }
  if (isObj(v)) {
    if (v.class_name === '__keras_tensor__' && isObj(v.config) && Array.isArray(v.config.keras_history)) {
      const h = v.config.keras_history as [string, number, number];
      out.push([h[0], h[1] ?? 0, h[2] ?? 0]);
    }
  }
}

function nodeInputs(node: unknown): Array<[string, number, number]> {
  const out: Array<[string, number, number]> = [];
  if (isObj(node) && 'args' in node) tensorRefs(node.args, out); // Keras 3
  else tensorRefs(node, out);
  return out;
}

/** input_layers / output_layers: [["a", 0, 0], ...] or a single ["a", 0, 0] (Keras 3 with one). */
function refList(v: unknown): Array<[string, number, number]> {
  if (!Array.isArray(v)) return [];
  if (typeof v[0] === 'string') return [[v[0], Number(v[1] ?? 0), Number(v[2] ?? 0)]];
  return v.filter(Array.isArray).map((r) => [String(r[0]), Number(r[1] ?? 0), Number(r[2] ?? 0)] as [string, number, number]);
}

/** The topology object of a LayersModel model.json, in either layout. Throws TopologyError for a file that is neither. */
export function readTopology(modelJson: unknown, source = 'model.json'): Topology {
  const mt = isObj(modelJson) ? modelJson.modelTopology : undefined;
  if (!isObj(mt)) throw new TopologyError('BAD_INPUT_MODEL_JSON', `${source}: no "modelTopology" object; a TF.js LayersModel or GraphModel model.json is expected`);
  const keras2 = isObj(mt.model_config);
  const model = (keras2 ? mt.model_config : mt) as Obj;
  // Old Keras Sequential models write config as the list of layers itself.
  const cfg = Array.isArray(model.config) ? { layers: model.config } : model.config;
  if (!isObj(cfg) || !Array.isArray(cfg.layers)) {
    const cls = typeof model.class_name === 'string' ? ` (class "${model.class_name}")` : '';
    throw new TopologyError('BAD_INPUT_MODEL_JSON', `${source}: modelTopology${keras2 ? '.model_config' : ''}.config.layers is missing${cls}; a Keras functional or sequential model is expected`);
  }
  const modelClass = String(model.class_name ?? 'Model');
  const layers: TopologyLayer[] = [];
  let prev: string | null = null;
  for (const raw of cfg.layers as unknown[]) {
    if (!isObj(raw)) continue;
    const config = (isObj(raw.config) ? raw.config : {}) as Obj;
    const name = String(raw.name ?? config.name ?? `layer_${layers.length}`);
    const className = String(raw.class_name ?? '');
    let inbound = Array.isArray(raw.inbound_nodes) ? (raw.inbound_nodes as unknown[]).map(nodeInputs) : [];
    // A Sequential model's layers have no inbound_nodes: each reads the previous one.
    if (modelClass === 'Sequential' && className !== 'InputLayer' && prev) inbound = [[[prev, 0, 0]]];
    layers.push({ name, className, config, inbound, outputShape: null });
    prev = name;
  }
  if (modelClass === 'Sequential' && layers.length && layers[0].className !== 'InputLayer') {
    const shape = (layers[0].config.batch_input_shape ?? layers[0].config.batch_shape) as Shape | undefined;
    if (shape) {
      layers.unshift({ name: `${layers[0].name}_input`, className: 'InputLayer', config: { batch_input_shape: shape }, inbound: [], outputShape: null });
      layers[1].inbound = [[[layers[0].name, 0, 0]]];
    }
  }
  let inputs = refList(cfg.input_layers);
  let outputs = refList(cfg.output_layers);
  if (!inputs.length) inputs = layers.filter((l) => l.className === 'InputLayer').map((l) => [l.name, 0, 0]);
  if (!outputs.length && layers.length) outputs = [[layers[layers.length - 1].name, 0, 0]];
  const topo: Topology = {
    layout: keras2 ? 'keras2' : 'tfjs',
    kerasVersion: typeof mt.keras_version === 'string' ? mt.keras_version : undefined,
    modelClass,
    layers,
    inputs,
    outputs,
  };
  inferShapes(topo);
  return topo;
}

const pair = (v: unknown, dflt: number): [number, number] => {
  if (Array.isArray(v)) return [Number(v[0] ?? dflt), Number(v[1] ?? v[0] ?? dflt)];
  if (typeof v === 'number') return [v, v];
  return [dflt, dflt];
};

/** Output size of a window op along one axis ('valid' / 'same', as Keras computes it). */
function windowOut(n: number | null, k: number, s: number, padding: string, dilation = 1): number | null {
  if (n == null) return null;
  const ke = (k - 1) * dilation + 1;
  return padding === 'same' ? Math.ceil(n / s) : Math.floor((n - ke) / s) + 1;
}

const IDENTITY = new Set([
  'Activation', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU', 'Softmax', 'BatchNormalization', 'LayerNormalization',
  'Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'Rescaling', 'Normalization',
  'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Masking', 'Identity', 'TFOpLambda', 'Lambda',
]);

/** One layer's output shape from its input shapes; null where this layer kind is not known here. */
function layerOutput(l: TopologyLayer, ins: Array<Shape | null>): Shape | null {
  const c = l.config;
  if (l.className === 'InputLayer') {
    const s = (c.batch_input_shape ?? c.batch_shape ?? (Array.isArray(c.input_shape) ? [null, ...(c.input_shape as Shape)] : null)) as Shape | null;
    return s ? s.map((d) => (typeof d === 'number' ? d : null)) : null;
  }
  const x = ins[0];
  if (!x) return null;
  const channelsLast = (c.data_format ?? 'channels_last') === 'channels_last';
  if (!channelsLast && x.length === 4) return null;
  switch (l.className) {
    case 'Conv2D':
    case 'SeparableConv2D':
    case 'DepthwiseConv2D': {
      if (x.length !== 4) return null;
      const [kh, kw] = pair(c.kernel_size, 1);
      const [sh, sw] = pair(c.strides, 1);
      const [dh, dw] = pair(c.dilation_rate, 1);
      const pad = String(c.padding ?? 'valid');
      const filters = l.className === 'DepthwiseConv2D' ? (x[3] == null ? null : x[3] * Number(c.depth_multiplier ?? 1)) : Number(c.filters);
      return [x[0], windowOut(x[1], kh, sh, pad, dh), windowOut(x[2], kw, sw, pad, dw), filters];
    }
    case 'Conv2DTranspose': {
      if (x.length !== 4) return null;
      const [kh, kw] = pair(c.kernel_size, 1);
      const [sh, sw] = pair(c.strides, 1);
      const same = c.padding === 'same';
      const up = (n: number | null, k: number, s: number) => (n == null ? null : same ? n * s : n * s + Math.max(k - s, 0));
      return [x[0], up(x[1], kh, sh), up(x[2], kw, sw), Number(c.filters)];
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      if (x.length !== 4) return null;
      const [ph, pw] = pair(c.pool_size, 2);
      const [sh, sw] = c.strides == null ? [ph, pw] : pair(c.strides, ph);
      const pad = String(c.padding ?? 'valid');
      return [x[0], windowOut(x[1], ph, sh, pad), windowOut(x[2], pw, sw, pad), x[3]];
    }
    case 'ZeroPadding2D':
    case 'Cropping2D': {
      if (x.length !== 4) return null;
      const p = l.className === 'ZeroPadding2D' ? c.padding : c.cropping;
      let top = 0, bottom = 0, left = 0, right = 0;
      if (typeof p === 'number') top = bottom = left = right = p;
      else if (Array.isArray(p)) {
        const a = p[0], b = p[1];
        if (Array.isArray(a)) { [top, bottom] = [Number(a[0]), Number(a[1])]; [left, right] = Array.isArray(b) ? [Number(b[0]), Number(b[1])] : [0, 0]; }
        else { top = bottom = Number(a ?? 0); left = right = Number(b ?? a ?? 0); }
      }
      const sign = l.className === 'ZeroPadding2D' ? 1 : -1;
      const add = (n: number | null, v: number) => (n == null ? null : n + sign * v);
      return [x[0], add(x[1], top + bottom), add(x[2], left + right), x[3]];
    }
    case 'UpSampling2D': {
      if (x.length !== 4) return null;
      const [sh, sw] = pair(c.size, 2);
      return [x[0], x[1] == null ? null : x[1] * sh, x[2] == null ? null : x[2] * sw, x[3]];
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      if (x.length !== 4) return null;
      return c.keepdims ? [x[0], 1, 1, x[3]] : [x[0], x[3]];
    case 'Flatten':
      return [x[0], x.slice(1).some((d) => d == null) ? null : (x.slice(1) as number[]).reduce((a, b) => a * b, 1)];
    case 'Dense':
      return [...x.slice(0, -1), Number(c.units)];
    case 'Reshape': {
      const t = (c.target_shape as Shape | undefined) ?? null;
      if (!t) return null;
      const known = x.slice(1).every((d) => d != null) ? (x.slice(1) as number[]).reduce((a, b) => a * b, 1) : null;
      const fixed = t.filter((d) => d != null && d !== -1).reduce((a: number, b) => a * (b as number), 1);
      return [x[0], ...t.map((d) => (d == null || d === -1 ? (known == null ? null : known / fixed) : d))];
    }
    case 'Concatenate': {
      const axis = Number(c.axis ?? -1);
      const rank = x.length;
      const ax = axis < 0 ? rank + axis : axis;
      if (ins.some((s) => !s || s.length !== rank)) return null;
      const out = [...x];
      out[ax] = ins.every((s) => s![ax] != null) ? ins.reduce((a, s) => a + (s![ax] as number), 0) : null;
      return out;
    }
    default:
      return IDENTITY.has(l.className) ? [...x] : null;
  }
}

function inferShapes(t: Topology): void {
  const byName = new Map(t.layers.map((l) => [l.name, l]));
  const shapes = new Map<string, Shape | null>(); // "name/node"
  const visiting = new Set<string>();
  const shapeOf = (name: string, node: number): Shape | null => {
    const key = `${name}/${node}`;
    if (shapes.has(key)) return shapes.get(key)!;
    const l = byName.get(name);
    if (!l || visiting.has(key)) return null;
    visiting.add(key);
    const ins = (l.inbound[node] ?? []).map(([n, k]) => shapeOf(n, k));
    let s: Shape | null = null;
    try {
      s = layerOutput(l, ins);
    } catch {
      s = null;
    }
    visiting.delete(key);
    shapes.set(key, s);
    return s;
  };
  for (const l of t.layers) l.outputShape = shapeOf(l.name, 0);
}

/** Layer names whose removal disconnects every output from every input (each path to the output passes through them). */
export function cutLayers(t: Topology): Set<string> {
  const consumers = new Map<string, string[]>();
  for (const l of t.layers) for (const node of l.inbound) for (const [src] of node) {
    const list = consumers.get(src) ?? [];
    if (!list.includes(l.name)) list.push(l.name);
    consumers.set(src, list);
  }
  const starts = t.inputs.map((r) => r[0]);
  const ends = new Set(t.outputs.map((r) => r[0]));
  const reaches = (blocked: string): boolean => {
    const seen = new Set<string>([blocked]);
    const stack = starts.filter((s) => s !== blocked);
    for (const s of stack) seen.add(s);
    while (stack.length) {
      const n = stack.pop()!;
      if (ends.has(n)) return true;
      for (const m of consumers.get(n) ?? []) if (!seen.has(m)) { seen.add(m); stack.push(m); }
    }
    return false;
  };
  const cuts = new Set<string>();
  for (const l of t.layers) if (!starts.includes(l.name) && !reaches(l.name)) cuts.add(l.name);
  return cuts;
}

export interface GradcamCandidate {
  name: string;
  className: string;
  /** Output shape [batch, height, width, channels] (batch null). */
  shape: Shape;
  /** Every path from the input to the output passes through it (Grad-CAM can cut the model here). */
  cut: boolean;
}

/**
 * Grad-CAM candidates: layers with a 4-D output [batch, h, w, c] larger than 1x1, in model order;
 * the default is the last one that cuts the model (every path to the output goes through it): for
 * InceptionV3 `mixed10` (its avg_pool is global, and a 1x1 map cannot localise anything), for
 * DenseNet-121 the activation after the last dense block.
 */
export function gradcamCandidates(t: Topology): { candidates: GradcamCandidate[]; defaultLayer: string | null } {
  const cuts = cutLayers(t);
  const candidates: GradcamCandidate[] = [];
  for (const l of t.layers) {
    const s = l.outputShape;
    if (l.className === 'InputLayer' || !s || s.length !== 4) continue;
    const [, h, w] = s;
    if (h == null || w == null || h * w <= 1) continue;
    candidates.push({ name: l.name, className: l.className, shape: s, cut: cuts.has(l.name) });
  }
  let defaultLayer: string | null = null;
  for (let i = candidates.length - 1; i >= 0 && !defaultLayer; i--) if (candidates[i].cut) defaultLayer = candidates[i].name;
  return { candidates, defaultLayer: defaultLayer ?? candidates[candidates.length - 1]?.name ?? null };
}

export interface OutputDescription {
  kind: 'logit' | 'sigmoid' | 'softmax';
  classes: number;
  /** The layer that writes the output and how its activation was read. */
  layer: string;
  activation: string;
}

/** The activation of the model's output: the last layer's (Dense, Activation, Softmax), or the one it passes through. */
export function describeOutput(t: Topology): OutputDescription | { error: string } {
  if (t.outputs.length !== 1) return { error: `the model has ${t.outputs.length} outputs; one output is expected` };
  const byName = new Map(t.layers.map((l) => [l.name, l]));
  const out = byName.get(t.outputs[0][0]);
  if (!out) return { error: `the output layer "${t.outputs[0][0]}" is not among the layers` };
  const units = out.outputShape ? out.outputShape[out.outputShape.length - 1] : null;
  let act = 'linear';
  let l: TopologyLayer | undefined = out;
  // Dropout / identity layers after the activation do not change it: look through them.
  while (l && ['Dropout', 'Flatten', 'Reshape'].includes(l.className)) l = byName.get(l.inbound[0]?.[0]?.[0] ?? '');
  if (l) {
    if (l.className === 'Softmax') act = 'softmax';
    else {
      const a = l.config.activation;
      act = typeof a === 'string' ? a : isObj(a) && typeof a.class_name === 'string' ? a.class_name.toLowerCase() : 'linear';
    }
  }
  const classes = units ?? 1;
  if (act === 'sigmoid') return { kind: 'sigmoid', classes, layer: out.name, activation: act };
  if (act === 'softmax') return { kind: 'softmax', classes, layer: out.name, activation: act };
  if (act === 'linear') return { kind: 'logit', classes, layer: out.name, activation: act };
  return { error: `the output layer "${out.name}" ends in activation "${act}"; a linear (logit), sigmoid or softmax output is expected` };
}

/**
 * A Keras 3 topology rewritten in the form TF.js deserialises (the Keras 2 / TF.js form): InputLayer
 * `batch_shape` -> `batch_input_shape`, dtype policies -> their dtype name, inbound nodes {args,
 * kwargs} -> [[layer, node, tensor, kwargs], ...], a single input/output ref -> a list of refs.
 * Anything already in the TF.js form is returned as it is. Pure: the input is not modified.
 */
export function tfjsModelTopology(modelTopology: unknown): unknown {
  if (!isObj(modelTopology)) return modelTopology;
  const keras2 = isObj(modelTopology.model_config);
  const model = (keras2 ? modelTopology.model_config : modelTopology) as Obj;
  const cfg = model.config;
  if (!isObj(cfg) || !Array.isArray(cfg.layers)) return modelTopology;
  const layers = cfg.layers as Obj[];
  const keras3 = layers.some((l) => (Array.isArray(l.inbound_nodes) && l.inbound_nodes.some((n) => isObj(n) && 'args' in n)) || (isObj(l.config) && ('batch_shape' in l.config || isObj(l.config.dtype))));
  if (!keras3) return modelTopology;
  const dtypeName = (d: unknown) => (isObj(d) && isObj(d.config) && typeof d.config.name === 'string' ? (d.config.name.includes('float16') ? 'float32' : d.config.name.replace(/^mixed_/, '')) : d);
  const newLayers = layers.map((l) => {
    const config = { ...(l.config as Obj) };
    if ('batch_shape' in config) { config.batch_input_shape = config.batch_shape; delete config.batch_shape; }
    if (isObj(config.dtype)) config.dtype = dtypeName(config.dtype);
    const inbound = Array.isArray(l.inbound_nodes)
      ? (l.inbound_nodes as unknown[]).map((n) => {
          const kwargs = isObj(n) && isObj(n.kwargs) ? n.kwargs : {};
          return nodeInputs(n).map(([a, b, c]) => [a, b, c, kwargs]);
        })
      : l.inbound_nodes;
    const { module: _m, registered_name: _r, build_config: _b, ...rest } = l;
    void _m; void _r; void _b;
    return { ...rest, config, inbound_nodes: inbound };
  });
  const newCfg = { ...cfg, layers: newLayers, input_layers: refList(cfg.input_layers), output_layers: refList(cfg.output_layers) };
  const newModel = { class_name: model.class_name === 'Functional' || model.class_name === 'Sequential' ? model.class_name : 'Model', config: newCfg };
  return keras2 ? { ...modelTopology, model_config: newModel } : { ...modelTopology, ...newModel };
}
