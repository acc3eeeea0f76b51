"""Reference fixtures for src/core/segmentation, written with Debian's python3-skimage.

Run:  /usr/bin/python3 scripts/skimage_fixtures.py [src/core/segmentation/fixtures]

Writes small .npy files and a manifest.json describing them:
- felzenszwalb: random float images (1 and 3 channels, several sizes) without tied edge weights,
  and skimage.segmentation.felzenszwalb labels for several (scale, sigma, min_size);
- resize: PAIR XRAI's _normalize_image (min-max to [-1, 1], skimage.transform.resize order=3,
  mode='constant', preserve_range=True, anti_aliasing=True) on float32 images, up and down;
- xrai_segments: PAIR saliency v0.2's _get_segments_felzenszwalb label maps (224x224 bicubic,
  Felzenszwalb at the six scales, nearest back to the input size) before the disk dilation;
- dilation: skimage.morphology.dilation(mask, disk(5)).
Tests read these files; they need no Python.
"""
import json
import os
import sys

import numpy as np
import scipy
import skimage
from scipy import ndimage as ndi
from skimage import segmentation
from skimage.morphology import dilation, disk
from skimage.transform import resize

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', 'src', 'core', 'segmentation', 'fixtures')
os.makedirs(OUT, exist_ok=True)
manifest = {
    'generator': 'scripts/skimage_fixtures.py',
    'skimage': skimage.__version__,
    'scipy': scipy.__version__,
    'numpy': np.__version__,
    'felzenszwalb': [],
    'resize': [],
    'xrai_segments': [],
    'dilation': [],
    'gaussian_kernels': [],
}


def save(name, arr):
    np.save(os.path.join(OUT, name), arr)
    return name


def edge_costs(image, sigma):
    """The edge weights exactly as skimage's _felzenszwalb_cy computes them (to reject ties)."""
    image = np.atleast_3d(image).astype(np.float64)
    sm = ndi.gaussian_filter(image, [sigma, sigma, 0], mode='reflect')
    h, w = sm.shape[:2]
    def d(a, b):
        return np.sqrt(np.sum((a - b) * (a - b), axis=-1)).ravel()
    return np.hstack([d(sm[:, 1:], sm[:, :w - 1]), d(sm[1:, :], sm[:h - 1, :]),
                      d(sm[1:, 1:], sm[:h - 1, :w - 1]), d(sm[1:, :w - 1], sm[:h - 1, 1:])])


def blobby(rng, h, w, c, regions=6, noise=0.05):
    """Piecewise-smooth random image: a few random discs and stripes over a gradient, plus noise."""
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, c))
    for ch in range(c):
        img[..., ch] = rng.uniform(0, 0.3) * xx / w + rng.uniform(0, 0.3) * yy / h
    for _ in range(regions):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(3, max(4, min(h, w) / 3))
        m = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
        img[m] += rng.uniform(-0.6, 0.6, size=c)
    img += rng.normal(0, noise, size=img.shape)
    return img


rng = np.random.default_rng(20240611)

# ---- Felzenszwalb parity cases ------------------------------------------------------------
FZ = [
    # name, h, w, c, kind, scale, sigma, min_size
    ('g17x23_s1', 17, 23, 1, 'uniform', 1.0, 0.8, 20),
    ('g17x23_s50', 17, 23, 1, 'blobby', 50.0, 0.8, 5),
    ('c17x23_s100', 17, 23, 3, 'blobby', 100.0, 0.5, 10),
    ('g40x40_s100', 40, 40, 1, 'blobby', 100.0, 0.8, 20),
    ('g40x40_s300_sig0', 40, 40, 1, 'blobby', 300.0, 0.0, 30),
    ('c40x40_s10', 40, 40, 3, 'uniform', 10.0, 0.8, 15),
    ('c40x40_s250', 40, 40, 3, 'blobby', 250.0, 1.2, 50),
    ('g64x48_s50', 64, 48, 1, 'blobby', 50.0, 0.8, 150),
    ('g64x48_s500', 64, 48, 1, 'blobby', 500.0, 0.8, 40),
    ('c64x48_s150', 64, 48, 3, 'blobby', 150.0, 0.8, 25),
    ('c48x64_s1200', 48, 64, 3, 'blobby', 1200.0, 0.8, 150),
    ('g31x57_s75', 31, 57, 1, 'blobby', 75.0, 2.0, 8),
]
for name, h, w, c, kind, scale, sigma, min_size in FZ:
    for attempt in range(50):
        img = rng.uniform(0, 1, size=(h, w, c)) if kind == 'uniform' else blobby(rng, h, w, c)
        img = img.astype(np.float32)  # stored as float32; felzenszwalb converts to float64 exactly
        costs = edge_costs(img, sigma)
        if np.unique(costs).size == costs.size:
            break
    else:
        raise SystemExit(f'{name}: could not draw an image without tied edge weights')
    stored = img[..., 0] if c == 1 else img
    labels = segmentation.felzenszwalb(stored, scale=scale, sigma=sigma, min_size=min_size,
                                       channel_axis=None if c == 1 else -1)
    manifest['felzenszwalb'].append({
        'name': name, 'image': save(f'fz_{name}_img.npy', stored),
        'labels': save(f'fz_{name}_labels.npy', labels.astype(np.int32)),
        'height': h, 'width': w, 'channels': c, 'scale': scale, 'sigma': sigma, 'min_size': min_size,
        'segments': int(labels.max()) + 1,
    })

# The CLI reads any float .npy NumPy writes: one case again as big-endian float64.
c0 = next(c for c in manifest['felzenszwalb'] if c['name'] == 'g40x40_s100')
np.save(os.path.join(OUT, 'cli_g40x40_f8be.npy'), np.load(os.path.join(OUT, c0['image'])).astype('>f8'))
manifest['cli'] = {'image': 'cli_g40x40_f8be.npy', 'same_as': c0['name']}

# ---- PAIR XRAI _normalize_image + resize (bicubic, anti-aliasing) -------------------------
def normalize_image(im, value_range, resize_shape=None):
    """PAIR saliency v0.2 xrai._normalize_image, verbatim in behaviour."""
    im_max = np.max(im)
    im_min = np.min(im)
    im = (im - im_min) / (im_max - im_min)
    im = im * (value_range[1] - value_range[0]) + value_range[0]
    if resize_shape is not None:
        im = resize(im, resize_shape, order=3, mode='constant', preserve_range=True, anti_aliasing=True)
    return im


RS = [
    # name, h, w, c, out_h, out_w
    ('up_13x9x1_to_31x20', 13, 9, 1, 31, 20),
    ('down_60x50x1_to_23x36', 60, 50, 1, 23, 36),
    ('mixed_45x20x3_to_30x33', 45, 20, 3, 30, 33),
]
for name, h, w, c, oh, ow in RS:
    img = blobby(rng, h, w, c).astype(np.float32)
    out = normalize_image(img, [-1.0, 1.0], (oh, ow))
    manifest['resize'].append({
        'name': name, 'image': save(f'rs_{name}_img.npy', img), 'out': save(f'rs_{name}_out.npy', out),
        'height': h, 'width': w, 'channels': c, 'out_height': oh, 'out_width': ow, 'out_dtype': str(out.dtype),
    })

# ---- PAIR _get_segments_felzenszwalb label maps (before dilation) -------------------------
SCALES = [50, 100, 150, 250, 500, 1200]
XS = [
    ('g64x48', 64, 48, 1),
    ('c40x52', 40, 52, 3),
]
for name, h, w, c in XS:
    img = blobby(rng, h, w, c, regions=10, noise=0.08).astype(np.float32)
    im = normalize_image(img, [-1.0, 1.0], (224, 224))
    segs = []
    for scale in SCALES:
        seg = segmentation.felzenszwalb(im, scale=scale, sigma=0.8, min_size=150)
        seg = resize(seg, (h, w), order=0, preserve_range=True, mode='constant', anti_aliasing=False).astype(int)
        segs.append(seg)
    segs = np.stack(segs).astype(np.uint16)
    manifest['xrai_segments'].append({
        'name': name, 'image': save(f'xs_{name}_img.npy', img), 'labels': save(f'xs_{name}_labels.npy', segs),
        'height': h, 'width': w, 'channels': c, 'scales': SCALES,
    })

# ---- dilation by disk(5) ------------------------------------------------------------------
mask = np.zeros((30, 37), dtype=bool)
mask[3, 4] = True            # near a corner: the disk is cut by the border
mask[15:19, 20:22] = True    # a small block
mask[27, 36] = True          # the opposite corner
mask[10, 30] = True
dil = dilation(mask, footprint=disk(5))
manifest['dilation'].append({
    'name': 'disk5', 'mask': save('dil_disk5_mask.npy', mask.astype(np.uint8)),
    'out': save('dil_disk5_out.npy', dil.astype(np.uint8)), 'radius': 5,
})

# ---- scipy's Gaussian kernels (bit patterns, for the smoothing in felzenszwalb and resize) ----
from scipy.ndimage._filters import _gaussian_kernel1d
manifest['gaussian_kernels'] = []
for s in [0.214, 0.5, 0.6, 0.8, 1.2, 2.0, 3.3]:
    r = int(4.0 * s + 0.5)
    manifest['gaussian_kernels'].append({'sigma': s, 'radius': r, 'weights_hex': [float(v).hex() for v in _gaussian_kernel1d(s, 0, r)]})

with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
    json.dump(manifest, f, indent=1)
total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
print(f'wrote {len(os.listdir(OUT))} files, {total / 1024:.0f} KiB, to {OUT}')
