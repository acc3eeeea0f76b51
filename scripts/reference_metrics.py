#!/usr/bin/python3
"""Reference values for Heatcheck's metrics, from scikit-learn, scikit-image, SciPy, NumPy and torch.

Run with Debian's Python (python3-sklearn, python3-skimage, python3-scipy, numpy, torch):

    /usr/bin/python3 scripts/reference_metrics.py src/core/metrics/fixtures

Writes reference.json (inputs described by generator specs, expected values) and a few small .npy
files for the CLI tests. The inputs are not stored: both this script and the TypeScript tests build
them from the same integer generator (src/core/metrics/fixtures/gen.ts mirrors gen_field below),
which involves only integer arithmetic and correctly rounded float64 element-wise operations, so
both sides see bit-identical arrays.

Which reference each quantity matches:
  auroc   sklearn.metrics.roc_auc_score(mask, map)
  auprc   sklearn.metrics.auc(recall, precision) on sklearn.metrics.precision_recall_curve(mask, map)
  ssim    skimage.metrics.structural_similarity(a, b, data_range=R) on float64 inputs
          (data_range None: skimage's float default, 2)
  otsu    skimage.filters.threshold_otsu(map)
  sobel   skimage.filters.sobel(image)
  iou     sklearn.metrics.jaccard_score, dice: sklearn.metrics.f1_score (binary)
  ttest   scipy.stats.ttest_1samp(x, mu, alternative=...); tcdf: scipy.stats.t.cdf
  percentile numpy.percentile (linear)
  resample torch.nn.functional.interpolate: bilinear (align_corners=False), nearest-exact
"""
import json
import os
import sys
import warnings

import numpy as np
import scipy
import scipy.stats
import sklearn
import skimage
import torch
import torch.nn.functional as F
from sklearn.metrics import auc, f1_score, jaccard_score, precision_recall_curve, roc_auc_score
from skimage.filters import sobel, threshold_otsu
from skimage.metrics import structural_similarity

warnings.simplefilter('ignore')


# --------------------------------------------------------------------------- generator
def lcg_noise(seed, n):
    """n integers in [0, 65536): state = state * 1664525 + 1013904223 mod 2^32, take the top 16 bits."""
    s = seed & 0xFFFFFFFF
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        out[i] = s >> 16
    return out


def box_sum(a, r):
    """Sum over the (2r+1)^2 window clipped to the image, and the number of pixels in it (exact integers)."""
    h, w = a.shape
    c = np.zeros((h + 1, w + 1), dtype=np.int64)
    c[1:, 1:] = a.cumsum(0).cumsum(1)
    i = np.arange(h)
    j = np.arange(w)
    i0 = np.clip(i - r, 0, h)[:, None]
    i1 = np.clip(i + r + 1, 0, h)[:, None]
    j0 = np.clip(j - r, 0, w)[None, :]
    j1 = np.clip(j + r + 1, 0, w)[None, :]
    s = c[i1, j1] - c[i0, j1] - c[i1, j0] + c[i0, j0]
    cnt = (i1 - i0) * (j1 - j0)
    return s, cnt


def gen_field(spec):
    h, w = spec['h'], spec['w']
    noise = lcg_noise(spec['seed'], h * w).reshape(h, w)
    s, cnt = box_sum(noise, spec.get('r', 0))
    v = s.astype(np.float64) / (65535 * cnt).astype(np.float64)
    if spec.get('levels'):
        v = np.floor(v * spec['levels']) / spec['levels']
    if 'floor' in spec:
        v = np.maximum(v, spec['floor'])
    if 'mix' in spec:
        other = gen_field(spec['mix']['spec'])
        a = spec['mix']['alpha']
        v = a * v + (1 - a) * other
    if 'plusMask' in spec:
        v = v + spec['plusMask']['k'] * gen_mask(spec['plusMask']['mask'])
    if 'scale' in spec:
        v = v * spec['scale']
    if 'offset' in spec:
        v = v + spec['offset']
    return v


def gen_mask(spec):
    h, w = spec['h'], spec['w']
    k = spec['kind']
    m = np.zeros((h, w), dtype=np.uint8)
    if k == 'threshold':
        m = (gen_field(spec['field']) > spec['t']).astype(np.uint8)
    elif k == 'rect':
        m[spec['r0']:spec['r1'], spec['c0']:spec['c1']] = 1
    elif k == 'all':
        m[:] = 1
    elif k == 'pixel':
        m.ravel()[spec['i']] = 1
    return m


def F64(x):
    return float(np.float64(x))


# --------------------------------------------------------------------------- cases
def field(seed, h=320, w=320, r=4, **kw):
    d = {'seed': seed, 'h': h, 'w': w, 'r': r}
    d.update(kw)
    return d


def rect(h, w, r0, r1, c0, c1):
    return {'kind': 'rect', 'h': h, 'w': w, 'r0': r0, 'r1': r1, 'c0': c0, 'c1': c1}


def thr(seed, t, h=320, w=320, r=8):
    return {'kind': 'threshold', 'h': h, 'w': w, 'field': field(seed, h, w, r), 't': t}


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    ref = {
        'generatedBy': 'scripts/reference_metrics.py',
        'versions': {'sklearn': sklearn.__version__, 'skimage': skimage.__version__, 'scipy': scipy.__version__,
                     'numpy': np.__version__, 'torch': torch.__version__},
    }

    # ---- AUROC / AUPRC
    big_mask = thr(11, 0.5)
    ranking = []
    cases = [
        ('smooth map vs blob mask, 320x320', field(1, plusMask={'k': 0.02, 'mask': big_mask}), big_mask),
        ('quantised map (many ties), 320x320', field(2, levels=16, plusMask={'k': 0.05, 'mask': big_mask}), big_mask),
        ('constant region (floor) and ties', field(3, floor=0.5, plusMask={'k': 0.01, 'mask': big_mask}), big_mask),
        ('tiny mask (one pixel)', field(4), {'kind': 'pixel', 'h': 320, 'w': 320, 'i': 51234}),
        ('small rectangle 3x4', field(5, plusMask={'k': 0.003, 'mask': rect(320, 320, 100, 103, 200, 204)}), rect(320, 320, 100, 103, 200, 204)),
        ('large mask (most pixels)', field(6), thr(12, 0.475)),
        ('map with 2 levels only, 40x40', field(7, 40, 40, 0, levels=2), thr(13, 0.5, 40, 40, 2)),
        ('signed map, 64x48', field(8, 64, 48, 2, scale=2, offset=-1), rect(64, 48, 10, 40, 5, 30)),
        ('tiny 3x3 with ties', field(9, 3, 3, 0, levels=3), rect(3, 3, 0, 2, 0, 1)),
    ]
    for name, ms, ks in cases:
        m = gen_field(ms).ravel()
        k = gen_mask(ks).ravel()
        p, r, _ = precision_recall_curve(k, m)
        ranking.append({'name': name, 'map': ms, 'mask': ks, 'auroc': F64(roc_auc_score(k, m)), 'auprc': F64(auc(r, p)),
                        'positives': int(k.sum()), 'n': int(k.size)})
    # Edge cases: sklearn's behaviour recorded beside ours.
    m = gen_field(field(10, 20, 20, 1)).ravel()
    allpos = np.ones(400, dtype=np.uint8)
    nopos = np.zeros(400, dtype=np.uint8)
    p, r, _ = precision_recall_curve(allpos, m)
    p2, r2, _ = precision_recall_curve(nopos, m)
    edge = {
        'map': field(10, 20, 20, 1),
        'allPositive': {'auroc': 'sklearn raises ValueError (only one class present)', 'auprc': F64(auc(r, p))},
        'noPositive': {'auroc': 'sklearn raises ValueError (only one class present)', 'auprcSklearn': F64(auc(r2, p2))},
    }
    ref['ranking'] = ranking
    ref['rankingEdgeCases'] = edge

    # ---- SSIM
    ssim = []
    scases = [
        ('two related smooth maps 320x320, default data range', field(21, r=3), field(21, r=3, mix={'alpha': 0.6, 'spec': field(22, r=5)}), None),
        ('unrelated maps 320x320', field(23, r=6), field(24, r=6), None),
        ('identical maps', field(25, r=2), field(25, r=2), None),
        ('constant regions, data_range 1', field(26, floor=0.5), field(27, floor=0.5), 1.0),
        ('quantised maps, data range 0.5', field(28, levels=8), field(28, levels=8, mix={'alpha': 0.5, 'spec': field(29)}), 0.5),
        ('signed maps 64x80', field(30, 64, 80, 2, scale=2, offset=-1), field(31, 64, 80, 1, scale=2, offset=-1), None),
        ('smallest image 7x9', field(32, 7, 9, 0), field(33, 7, 9, 0), None),
        ('both constant', field(34, 16, 16, 0, floor=2), field(35, 16, 16, 0, floor=2), None),
    ]
    for name, a, b, R in scases:
        A, B = gen_field(a), gen_field(b)
        v = structural_similarity(A, B, data_range=R) if R is not None else structural_similarity(A, B)
        ssim.append({'name': name, 'a': a, 'b': b, 'dataRange': R, 'ssim': F64(v)})
    ref['ssim'] = ssim

    # ---- Otsu
    otsu = []
    ocases = [
        ('smooth map 320x320', field(41)),
        ('bimodal (map plus blob)', field(42, plusMask={'k': 0.5, 'mask': thr(43, 0.5)})),
        ('quantised (ties)', field(44, levels=10)),
        ('floor region', field(45, floor=0.45)),
        ('signed 64x48', field(46, 64, 48, 2, scale=2, offset=-1)),
        ('two values', field(47, 10, 10, 0, levels=2)),
        ('constant', field(48, 8, 8, 0, floor=3)),
    ]
    for name, s in ocases:
        v = gen_field(s)
        t = F64(threshold_otsu(v))
        otsu.append({'name': name, 'map': s, 'threshold': t, 'above': int((v > t).sum())})
    ref['otsu'] = otsu

    # ---- IoU / Dice (binary)
    seg = []
    for name, a, b in [
        ('two blobs', thr(51, 0.5), thr(52, 0.5)),
        ('rect inside blob', rect(320, 320, 100, 200, 50, 260), thr(51, 0.5)),
        ('disjoint rects', rect(40, 40, 0, 10, 0, 10), rect(40, 40, 20, 30, 20, 30)),
    ]:
        A, B = gen_mask(a).ravel(), gen_mask(b).ravel()
        seg.append({'name': name, 'a': a, 'b': b, 'iou': F64(jaccard_score(A, B)), 'dice': F64(f1_score(A, B)),
                    'pixelError': F64(np.mean(A != B))})
    ref['segmentation'] = seg

    # ---- Sobel edge map
    edges = []
    for name, s in [('smooth 64x48', field(61, 64, 48, 2)), ('noise 17x23', field(62, 17, 23, 0))]:
        e = sobel(gen_field(s))
        edges.append({'name': name, 'image': s, 'sum': F64(e.sum()), 'samples': [[int(i), F64(e.ravel()[i])] for i in [0, 1, 5, 47, 48, 100, e.size - 1]]})
    ref['sobel'] = edges

    # ---- Student t CDF and one-sample t-tests
    tcdf = []
    for df in [1, 2, 3, 5, 9, 29, 49, 199, 1000]:
        for t in [-40.0, -6.5, -2.1, -1.0, -0.3, 0.0, 0.7, 1.7, 2.6, 8.0]:
            tcdf.append({'t': t, 'df': df, 'cdf': F64(scipy.stats.t.cdf(t, df))})
    ref['tcdf'] = tcdf
    tt = []
    samples = [
        [0.31, 0.42, 0.28, 0.35, 0.51, 0.22, 0.39, 0.44, 0.30, 0.27],
        [0.61, 0.58, 0.72, 0.49, 0.66, 0.70, 0.55],
        [0.5, 0.51, 0.49, 0.52, 0.48, 0.5],
        [0.9, 0.1],
    ]
    for x in samples:
        for mu in [0.3, 0.5]:
            for alt in ['less', 'greater', 'two-sided']:
                r = scipy.stats.ttest_1samp(x, mu, alternative=alt)
                tt.append({'x': x, 'mu': mu, 'alternative': alt, 't': F64(r.statistic), 'p': F64(r.pvalue)})
    # paired: method vs baseline (one-sided greater) = one-sample test of differences against 0
    a = [0.81, 0.77, 0.92, 0.68, 0.85, 0.79, 0.88, 0.74]
    b = [0.70, 0.75, 0.80, 0.69, 0.71, 0.72, 0.83, 0.66]
    r = scipy.stats.ttest_rel(a, b, alternative='greater')
    ref['ttest'] = tt
    ref['pairedTtest'] = {'a': a, 'b': b, 'alternative': 'greater', 't': F64(r.statistic), 'p': F64(r.pvalue)}

    # ---- percentiles (linear, numpy default) for the bootstrap
    xs = [0.3, 0.1, 0.7, 0.2, 0.9, 0.5, 0.55, 0.05, 0.61]
    ref['percentile'] = {'x': xs, 'q': [0, 2.5, 25, 50, 97.5, 100], 'values': [F64(v) for v in np.percentile(xs, [0, 2.5, 25, 50, 97.5, 100])]}

    # ---- Fleiss' kappa: Fleiss (1971) / Wikipedia example, by the textbook formula in NumPy
    table = np.array([[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
                      [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]], dtype=float)
    n = table.sum(1)[0]
    P = ((table ** 2).sum(1) - n) / (n * (n - 1))
    pj = table.sum(0) / table.sum()
    ref['fleiss'] = {'table': table.astype(int).tolist(), 'kappa': F64((P.mean() - (pj ** 2).sum()) / (1 - (pj ** 2).sum()))}

    # ---- resampling (torch.nn.functional.interpolate)
    res = []
    for name, s, size in [('down 64x48 -> 20x30', field(71, 64, 48, 1), (20, 30)), ('up 7x5 -> 16x13', field(72, 7, 5, 0), (16, 13)),
                          ('down 320 -> 224', field(73, 320, 320, 3), (224, 224))]:
        x = torch.from_numpy(gen_field(s))[None, None]
        bl = F.interpolate(x, size=size, mode='bilinear', align_corners=False)[0, 0].numpy()
        ne = F.interpolate(x, size=size, mode='nearest-exact')[0, 0].numpy()
        idx = [0, 1, 7, size[1], size[0] * size[1] // 2 + 3, size[0] * size[1] - 1]
        res.append({'name': name, 'src': s, 'size': list(size), 'bilinearSum': F64(bl.sum()), 'nearestSum': F64(ne.sum()),
                    'bilinear': [[i, F64(bl.ravel()[i])] for i in idx], 'nearest': [[i, F64(ne.ravel()[i])] for i in idx]})
    ref['resample'] = res

    # ---- small .npy files for the CLI (float32, big-endian float64), with their reference values
    a = gen_field(field(81, 40, 36, 2)).astype('<f4')
    b = gen_field(field(82, 40, 36, 2, mix={'alpha': 0.5, 'spec': field(81, 40, 36, 2)})).astype('>f8')
    mk = gen_mask(thr(83, 0.5, 40, 36, 3))
    np.save(os.path.join(out_dir, 'cli_a_f4.npy'), a)
    np.save(os.path.join(out_dir, 'cli_b_f8be.npy'), b)
    np.save(os.path.join(out_dir, 'cli_mask_u1.npy'), mk)
    A, B = a.astype(np.float64), b.astype(np.float64)
    p, r, _ = precision_recall_curve(mk.ravel(), A.ravel())
    ref['cli'] = {
        'note': 'a is float32; SSIM and Otsu computed on its float64 values (Heatcheck works in float64)',
        'ssim': F64(structural_similarity(A, B)), 'ssimRange1': F64(structural_similarity(A, B, data_range=1.0)),
        'auroc': F64(roc_auc_score(mk.ravel(), A.ravel())), 'auprc': F64(auc(r, p)),
        'otsu': F64(threshold_otsu(A)),
        'otsuOnFloat32': F64(threshold_otsu(a)), 'ssimOnFloat32': F64(structural_similarity(a, a.astype(np.float32) * np.float32(0.9))),
    }

    with open(os.path.join(out_dir, 'reference.json'), 'w') as f:
        json.dump(ref, f, indent=1)
        f.write('\n')
    print('wrote', os.path.join(out_dir, 'reference.json'))


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', 'src', 'core', 'metrics', 'fixtures'))
