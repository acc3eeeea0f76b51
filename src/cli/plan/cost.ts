/**
 * The estimated cost of one map: model passes (forward + backward) of the method with these
 * parameters. The formulas are the method catalog's `cost(params)`; this one function is where the
 * CLI reads them, so that it can point at the catalog once the catalog is the methods' one home.
 */
const num = (p: Record<string, unknown>, k: string, d = 1) => (typeof p[k] === 'number' ? (p[k] as number) : d);

const PASSES: Record<string, (p: Record<string, unknown>) => number> = {
  gradcam: () => 1,
  grad: () => 1,
  ig: (p) => num(p, 'steps'),
  sg: (p) => num(p, 'samples'),
  sig: (p) => num(p, 'samples') * num(p, 'steps'),
  xrai: (p) => 2 * num(p, 'steps') + 4,
  'guided-ig': (p) => num(p, 'steps'),
  'blur-ig': (p) => num(p, 'steps'),
  occlusion: (p) => Math.ceil((Math.floor((1 - num(p, 'patch', 0.125)) / (num(p, 'patch', 0.125) * num(p, 'stride', 0.5))) + 1) ** 2 / 3),
};

/** Model passes of one map of `method` with its resolved parameters (1 for a method without an estimate). */
export function methodCost(method: string, params: Record<string, unknown>): number {
  const f = PASSES[method];
  return f ? f(params) : 1;
}
