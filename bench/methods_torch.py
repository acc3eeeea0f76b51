"""PyTorch side of bench/methods.ts: the saliency methods of one case, timed as PAIR's saliency library computes them.

The network is the tf.layers model Heatcheck explains, rebuilt by KerasGraph (scripts/demo_models_torch.py, through
bench/gradients_torch.py) from the model.json the TS side hands over, with the same weights (read from its
weightsManifest and shards), in eval mode, parameters frozen, float32 on the CPU, torch.set_num_threads(THREADS),
glibc malloc tuned as in gradients_torch.tune_malloc (no page-fault churn per pass).
The input [H, W, C] is the very Float32Array Heatcheck explains (raw little-endian file). Target: logit 0.

Methods (batch = the probe's maxBatch the TS side passes, as Heatcheck's engine batches them):
- gradient: d logit / d input at the input, batch 1.
- IG-25: PAIR's IntegratedGradients.GetMask: nodes alpha = linspace(0, 1, 25) (both ends; Heatcheck's `pair` rule,
  which the TS side also uses for this case), black baseline (the input range's minimum), gradients summed in
  batches of maxBatch, attribution = sum * (x - baseline) / 25. Completeness printed: sum(attr) vs f(x) - f(b).
- SG-25: PAIR's GetSmoothedMask with magnitude=True (what Heatcheck's `sg` does): mean over 25 samples of
  grad(x + eps)^2, eps ~ N(0, sd^2), sd = 0.15 * (max(x) - min(x)), samples in batches of maxBatch.
- XRAI: PAIR's saliency.core.XRAI.GetMaskWithDetails (saliency v0.2, saliency/core/xrai.py), written out here
  because the package cannot be installed: IG (as above) from a black and a white baseline, averaged, channels
  reduced by max; segments by `_get_segments_felzenszwalb`: the image min-max scaled to [-1, 1], resized to
  224 x 224 (skimage resize, order 3, mode constant, preserve_range, anti_aliasing), skimage felzenszwalb at scales
  (50, 100, 150, 250, 500, 1200), sigma 0.8, min_size 150, each label map resized back (order 0), one boolean mask
  per label min..max (`_unpack_segs_to_masks`), each dilated by skimage.morphology.dilation with disk(5)
  (PAIR's dilation_rad 5); then `_xrai` (the full greedy selection, area_perc_th 1.0, min_pixel_diff 50, gain =
  mean attribution over the mask's pixels not yet covered, boolean-array arithmetic as PAIR does it; uncovered
  pixels get their mean attribution). Two choices follow Heatcheck rather than PAIR's defaults so that both
  sides do the same work: the baselines are the model's input range (Heatcheck's `baselines: 'range'`; PAIR takes
  the image's min and max), and each baseline's IG runs at the steps Heatcheck's adaptive IG ended at (the TS
  side passes them; PAIR's default is 100). xraiMs is the whole of it; timed apart: the gradient part (both IGs),
  the segmentation, and the selection twice: on XRAI's own attribution (xraiSelOwnMs) and on the IG-25
  attribution, max over channels (xraiSelMs: the attribution the TS side times its selection on).

Usage: /usr/bin/python3 bench/methods_torch.py SPEC.json THREADS
SPEC: [{"id", "modelJson", "input", "shape": [H, W, C], "inputRange": [lo, hi], "maxBatch", "reps", "xraiSteps": [nb, nw]}]
Prints one JSON object per model on stdout.
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
from skimage import segmentation
from skimage.morphology import dilation, disk
from skimage.transform import resize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gradients_torch import KerasGraph, median_ms, tune_malloc  # noqa: E402


# ---------------------------------------------------------------- network
def load_weights(model, model_json_path):
    """Copies the TF.js weights (weightsManifest + shards, TF layouts) into a KerasGraph by layer and weight name."""
    with open(model_json_path) as f:
        mj = json.load(f)
    folder = os.path.dirname(model_json_path)
    loaded = 0
    for group in mj['weightsManifest']:
        data = b''.join(open(os.path.join(folder, p), 'rb').read() for p in group['paths'])
        offset = 0
        for w in group['weights']:
            assert w.get('dtype', 'float32') == 'float32', w
            n = int(np.prod(w['shape'])) if w['shape'] else 1
            arr = torch.from_numpy(np.frombuffer(data, dtype='<f4', count=n, offset=offset).reshape(w['shape']).copy())
            offset += 4 * n
            layer, wname = w['name'].rsplit('/', 1)
            kind, m = model.kinds[layer], model.mods[layer]
            if kind == 'Conv2D':
                target = {'kernel': (m.weight, lambda a: a.permute(3, 2, 0, 1)), 'bias': (m.bias, lambda a: a)}[wname]
            elif kind == 'Dense':
                target = {'kernel': (m.weight, lambda a: a.t()), 'bias': (m.bias, lambda a: a)}[wname]
            elif kind == 'BatchNormalization':
                target = {'gamma': (m.weight, lambda a: a), 'beta': (m.bias, lambda a: a),
                          'moving_mean': (m.running_mean, lambda a: a), 'moving_variance': (m.running_var, lambda a: a)}[wname]
            else:
                raise ValueError(f'{model_json_path}: weight {w["name"]} of a {kind} layer is not mirrored')
            param, fn = target
            with torch.no_grad():
                param.copy_(fn(arr))
            loaded += 1
    return loaded


def build(spec):
    with open(spec['modelJson']) as f:
        model = KerasGraph(json.load(f)).eval()
    n = load_weights(model, spec['modelJson'])
    for p in model.parameters():
        p.requires_grad_(False)
    return model, n


def target(model, xs):
    with torch.no_grad():
        return model(xs)[:, 0]


def grads(model, xs):
    """d logit 0 / d input for each row of xs [N, H, W, C]."""
    xi = xs.clone().requires_grad_(True)
    g, = torch.autograd.grad(model(xi)[:, 0].sum(), xi)
    return g


# ---------------------------------------------------------------- methods
def integrated_gradients(model, x, baseline, steps, batch):
    """PAIR's IntegratedGradients.GetMask: linspace(0, 1, steps) nodes, gradient sum * (x - b) / steps. x: [H, W, C]."""
    diff = x - baseline
    total = torch.zeros_like(x)
    alphas = torch.linspace(0, 1, steps)
    for i in range(0, steps, batch):
        a = alphas[i:i + batch].view(-1, 1, 1, 1)
        total += grads(model, baseline + a * diff).sum(0)
    return total * diff / steps


def smooth_grad(model, x, samples, noise, batch, gen):
    """PAIR's GetSmoothedMask, magnitude=True: mean of grad(x + eps)^2, sd = noise * (max - min)."""
    sd = noise * float(x.max() - x.min())
    total = torch.zeros_like(x)
    for i in range(0, samples, batch):
        n = min(batch, samples - i)
        xs = x.unsqueeze(0) + torch.randn((n,) + tuple(x.shape), generator=gen) * sd
        total += grads(model, xs).pow(2).sum(0)
    return total / samples


def normalize_image(im, value_range, resize_shape):
    """PAIR's _normalize_image: min-max to value_range, then skimage resize (bicubic, anti-aliased)."""
    lo, hi = im.min(), im.max()
    im = (im - lo) / (hi - lo)
    im = im * (value_range[1] - value_range[0]) + value_range[0]
    return resize(im, resize_shape, order=3, mode='constant', preserve_range=True, anti_aliasing=True)


def felzenszwalb_masks(im):
    """PAIR's _get_segments_felzenszwalb with its defaults; im [H, W, C] float. Returns boolean masks [H, W]."""
    shape = im.shape[:2]
    norm = normalize_image(im, (-1.0, 1.0), (224, 224))
    masks = []
    for scale in (50, 100, 150, 250, 500, 1200):
        seg = segmentation.felzenszwalb(norm, scale=scale, sigma=0.8, min_size=150)
        seg = resize(seg, shape, order=0, preserve_range=True, mode='constant', anti_aliasing=False).astype(np.int64)
        masks.extend(seg == label for label in range(seg.min(), seg.max() + 1))
    fp = disk(5)
    return [dilation(m, footprint=fp) for m in masks]


def xrai_full(attr, masks, area_perc_th=1.0, min_pixel_diff=50):
    """PAIR's XRAI._xrai (gain = density over the mask minus what is covered), on boolean masks. attr [H, W]."""
    out = np.full(attr.shape, -np.inf)
    covered = np.zeros(attr.shape, dtype=bool)
    remaining = dict(enumerate(masks))
    area = 0.0
    while area <= area_perc_th:
        best_gain, best_key, drop = -np.inf, None, []
        for k, m in remaining.items():
            new = np.logical_and(m, np.logical_not(covered))
            if np.sum(new) < min_pixel_diff:
                drop.append(k)
                continue
            gain = attr[new].mean()
            if gain > best_gain:
                best_gain, best_key = gain, k
        for k in drop:
            del remaining[k]
        if not remaining:
            break
        new = np.logical_and(remaining[best_key], np.logical_not(covered))
        covered = np.logical_or(covered, remaining[best_key])
        area = np.mean(covered)
        out[new] = best_gain
        del remaining[best_key]
    left = out == -np.inf
    if np.any(left):
        out[left] = attr[left].mean()
    return out


def completeness(attr, fx, fb):
    s = float(attr.double().sum())
    d = fx - fb
    return {'sum': s, 'fx': fx, 'fb': fb, 'error': abs(s - d) / abs(d) if abs(d) > 1e-6 * max(1, abs(fx), abs(fb)) else None}


# ---------------------------------------------------------------- timing
def timed(fn, reps):
    """Median ms over reps runs (median_ms, no warm-up: the caller warmed the kernels up) and the last result."""
    last = {}

    def run():
        last['v'] = fn()
    ms = median_ms(run, reps, warmup=0)
    return ms, last['v']


def main():
    tune_malloc()
    torch.set_num_threads(int(sys.argv[2]))
    spec = json.load(open(sys.argv[1]))
    for w in spec:
        model, nweights = build(w)
        h, wd, c = w['shape']
        x = torch.from_numpy(np.fromfile(w['input'], dtype='<f4').reshape(h, wd, c).copy())
        lo, hi = w['inputRange']
        black, white = torch.full_like(x, lo), torch.full_like(x, hi)
        B, reps = int(w['maxBatch']), int(w['reps'])
        fx, fblack, fwhite = target(model, torch.stack([x, black, white])).tolist()
        # Warm-up: one gradient at batch 1 and one at batch B (the shapes the methods run).
        grads(model, x.unsqueeze(0))
        grads(model, x.unsqueeze(0).repeat(B, 1, 1, 1))
        r = {'id': w['id'], 'threads': torch.get_num_threads(), 'torch': torch.__version__, 'reps': reps, 'maxBatch': B,
             'weightsLoaded': nweights, 'targetAtInput': fx, 'targetAtBlack': fblack, 'targetAtWhite': fwhite}
        r['gradMs'], _ = timed(lambda: grads(model, x.unsqueeze(0)), reps)
        r['ig25Ms'], ig = timed(lambda: integrated_gradients(model, x, black, 25, B), reps)
        r['ig25'] = completeness(ig, fx, fblack)
        gen = torch.Generator().manual_seed(0)
        r['sg25Ms'], _ = timed(lambda: smooth_grad(model, x, 25, 0.15, B, gen), reps)
        nb, nw = w['xraiSteps']
        xnp = x.numpy().astype(np.float64)
        attr25 = ig.numpy().max(axis=-1)
        parts = {'grad': [], 'seg': [], 'sel': [], 'selOwn': [], 'total': []}
        xr = {}
        for _ in range(reps):
            t0 = time.perf_counter()
            ib = integrated_gradients(model, x, black, nb, B)
            iw = integrated_gradients(model, x, white, nw, B)
            attr = ((ib + iw) / 2).numpy().max(axis=-1)
            t1 = time.perf_counter()
            masks = felzenszwalb_masks(xnp)
            t2 = time.perf_counter()
            xrai_map = xrai_full(attr, masks)
            t3 = time.perf_counter()
            # The selection's time on the IG-25 attribution, as the TS side times it (the map above is XRAI's own).
            xrai_full(attr25, masks)
            t4 = time.perf_counter()
            parts['grad'].append((t1 - t0) * 1000)
            parts['seg'].append((t2 - t1) * 1000)
            parts['sel'].append((t4 - t3) * 1000)
            parts['selOwn'].append((t3 - t2) * 1000)
            parts['total'].append((t3 - t0) * 1000)
            xr = {'steps': [nb, nw], 'masks': len(masks), 'black': completeness(ib, fx, fblack), 'white': completeness(iw, fx, fwhite),
                  'mapMin': float(xrai_map.min()), 'mapMax': float(xrai_map.max())}
        r['xraiGradMs'] = statistics.median(parts['grad'])
        r['xraiSegMs'] = statistics.median(parts['seg'])
        r['xraiSelMs'] = statistics.median(parts['sel'])
        r['xraiSelOwnMs'] = statistics.median(parts['selOwn'])
        # XRAI as PAIR runs it: both IGs, the segments and the selection on XRAI's own attribution.
        r['xraiMs'] = statistics.median(parts['total'])
        r['xrai'] = xr
        print(json.dumps(r), flush=True)


if __name__ == '__main__':
    main()
