"""Reference polygon masks from scikit-image, for the polygon rasteriser's tests.

Reads JSON on stdin: {"width": W, "height": H, "polygons": [[[x, y], ...], ...]} in Heatcheck's
pixel-edge coordinates (pixel (i, j) is the square [i, i+1) x [j, j+1), its centre (i+0.5, j+0.5)).
skimage.draw.polygon puts pixel centres on integer coordinates (pixel (r, c) is the point (r, c)),
fills by crossing parity (even-odd) and counts points on the outline as inside. Shifting the
vertices by -0.5 maps Heatcheck's centres onto skimage's points, so the two agree wherever no pixel
centre lies exactly on an outline; the caller chooses polygons where none does.
Writes JSON on stdout: one list of H*W 0/1 values (row-major) per polygon.
"""
import json
import sys

import numpy as np
from skimage.draw import polygon

spec = json.load(sys.stdin)
w, h = spec["width"], spec["height"]
out = []
for pts in spec["polygons"]:
    xs = np.array([p[0] for p in pts], dtype=np.float64) - 0.5
    ys = np.array([p[1] for p in pts], dtype=np.float64) - 0.5
    mask = np.zeros((h, w), dtype=np.uint8)
    rr, cc = polygon(ys, xs, shape=(h, w))
    mask[rr, cc] = 1
    out.append(mask.ravel().tolist())
json.dump(out, sys.stdout)
