#!/usr/bin/python3
"""Reference Guided IG values for src/core/saliency/guidedIg.test.ts.

An independent NumPy implementation of Guided IG as PAIR saliency v0.2 defines it (guided_ig_impl:
the L1-guided path from the baseline to the input, selection of the `fraction` of features with the
smallest |gradient| by np.quantile(..., method='lower'), steps of 1/steps of the L1 distance, at
most `max_dist` off the straight line), on a model with a known gradient:
f(x) = sum(a * x**2 + w * x), grad f = 2 a x + w, evaluated in float32 as TF.js would.

    /usr/bin/python3 scripts/guided_ig_reference.py

writes src/core/saliency/fixtures/guided_ig_quadratic.json.
"""
import json
import os

import numpy as np

EPS = 1e-9


def path_point(alpha, start, end):
    return start + (end - start) * alpha


def guided_ig(x_in, x_base, grad_fn, steps, fraction, max_dist):
    x_in = x_in.astype(np.float64)
    x_base = x_base.astype(np.float64)
    x = x_base.copy()
    attr = np.zeros_like(x_in)
    l1_total = np.abs(x_in - x_base).sum()
    if l1_total == 0:
        return attr
    diff = x_in - x_base
    for step in range(steps):
        g_at_x = grad_fn(x)
        g = g_at_x.copy()
        alpha = (step + 1.0) / steps
        lo = max(alpha - max_dist, 0.0)
        hi = min(alpha + max_dist, 1.0)
        x_lo = path_point(lo, x_base, x_in)
        x_hi = path_point(hi, x_base, x_in)
        target = l1_total * (1 - (step + 1) / steps)
        gamma = np.inf
        while gamma > 1.0:
            before = x.copy()
            with np.errstate(divide='ignore', invalid='ignore'):
                a = np.where(diff != 0, (x - x_base) / diff, np.nan)
            a[np.isnan(a)] = hi
            behind = a < lo
            x[behind] = x_lo[behind]
            current = np.abs(x - x_in).sum()
            if abs(target - current) <= max(EPS * max(abs(target), abs(current)), EPS):
                attr += (x - before) * g_at_x
                break
            g[x == x_hi] = np.inf
            thr = np.quantile(np.abs(g), fraction, method='lower')
            chosen = (np.abs(g) <= thr) & (g != np.inf)
            room = (np.abs(x - x_hi) * chosen).sum()
            gamma = (current - target) / room if room > 0 else np.inf
            if gamma > 1.0:
                x[chosen] = x_hi[chosen]
            else:
                x[chosen] = (x + (x_hi - x) * gamma)[chosen]
            attr += (x - before) * g_at_x
    return attr


def main():
    rng = np.random.default_rng(515)
    shape = (8, 6, 2)
    x = rng.uniform(-1, 1, size=shape).astype(np.float32)
    a = rng.uniform(-1, 1, size=shape).astype(np.float32)
    w = rng.uniform(-1, 1, size=shape).astype(np.float32)
    a2 = (2 * a).astype(np.float32)

    def grad_fn(at):
        return (at.astype(np.float32) * a2 + w).astype(np.float64)

    base = np.full(shape, -1.0, dtype=np.float32)
    cases = []
    for steps, fraction, max_dist in [(20, 0.25, 0.02), (30, 0.1, 1.0), (10, 0.5, 0.0)]:
        m = guided_ig(x, base, grad_fn, steps, fraction, max_dist)
        cases.append({'steps': steps, 'fraction': fraction, 'maxDist': max_dist, 'map': m.reshape(-1).tolist()})
    out = {
        'source': 'scripts/guided_ig_reference.py (NumPy ' + np.__version__ + ')',
        'shape': list(shape),
        'x': x.reshape(-1).tolist(),
        'a': a.reshape(-1).tolist(),
        'w': w.reshape(-1).tolist(),
        'baseline': -1.0,
        'cases': cases,
    }
    path = os.path.join(os.path.dirname(__file__), '..', 'src', 'core', 'saliency', 'fixtures', 'guided_ig_quadratic.json')
    with open(path, 'w') as f:
        json.dump(out, f)
    print('wrote', os.path.normpath(path))


if __name__ == '__main__':
    main()
