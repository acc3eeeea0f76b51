#!/usr/bin/python3
"""Reference Blur IG values for src/core/saliency/blurIg.test.ts.

PAIR saliency v0.2's BlurIG.GetMask, ported line for line, with scipy.ndimage.gaussian_filter
(mode='constant', truncate 4.0, no blur across channels) and an analytic linear model
f(x) = sum(w * x) + c, whose input gradient is w everywhere. Run with Debian's python3-scipy:

    /usr/bin/python3 scripts/blur_ig_reference.py

writes src/core/saliency/fixtures/blur_ig_linear.json (inputs, weights and expected maps).
"""
import json
import math
import os

import numpy as np
from scipy import ndimage


def gaussian_blur(image, sigma):
    # PAIR: if sigma == 0: return image; else gaussian_filter(image, sigma=[sigma, sigma, 0], mode='constant')
    if sigma == 0:
        return image
    return ndimage.gaussian_filter(image, sigma=[sigma, sigma, 0], mode='constant')


def blur_ig(x_value, grad_fn, max_sigma, steps, grad_step=0.01, sqrt=False):
    if sqrt:
        sigmas = [math.sqrt(float(i) * max_sigma / float(steps)) for i in range(0, steps + 1)]
    else:
        sigmas = [float(i) * max_sigma / float(steps) for i in range(0, steps + 1)]
    step_vector_diff = [sigmas[i + 1] - sigmas[i] for i in range(0, steps)]
    total_gradients = np.zeros_like(x_value)
    for i in range(steps):
        x_step = gaussian_blur(x_value, sigmas[i])
        gaussian_gradient = (gaussian_blur(x_value, sigmas[i] + grad_step) - x_step) / grad_step
        total_gradients += step_vector_diff[i] * np.multiply(gaussian_gradient, grad_fn(x_step))
    total_gradients *= -1.0
    return total_gradients


def main():
    rng = np.random.default_rng(20221)
    h, w, c = 12, 10, 2
    x = rng.uniform(-1, 1, size=(h, w, c))
    wt = rng.uniform(-1, 1, size=(h, w, c))
    cases = []
    for max_sigma, steps, sqrt in [(3.0, 10, False), (50.0, 20, False), (8.0, 16, True)]:
        m = blur_ig(x, lambda _xs: wt, max_sigma, steps, sqrt=sqrt)
        cases.append({'maxSigma': max_sigma, 'steps': steps, 'sqrt': sqrt, 'gradStep': 0.01, 'map': m.reshape(-1).tolist()})
    blurred = {str(s): gaussian_blur(x, s).reshape(-1).tolist() for s in [0.5, 2.0, 7.5, 50.0]}
    out = {
        'source': 'scripts/blur_ig_reference.py (PAIR saliency v0.2 BlurIG.GetMask with scipy.ndimage.gaussian_filter, scipy ' + __import__('scipy').__version__ + ')',
        'shape': [h, w, c],
        'x': x.reshape(-1).tolist(),
        'w': wt.reshape(-1).tolist(),
        'cases': cases,
        'blurred': blurred,
    }
    path = os.path.join(os.path.dirname(__file__), '..', 'src', 'core', 'saliency', 'fixtures', 'blur_ig_linear.json')
    with open(path, 'w') as f:
        json.dump(out, f)
    print('wrote', os.path.normpath(path))


if __name__ == '__main__':
    main()
