"""Independent reader agreement from VIA CSV files, for `heatcheck agreement`'s test.

Written from the definitions, sharing no code with Heatcheck: Python's csv and json read the VIA
CSVs; NumPy rasterises (a pixel is in when its centre (i+0.5, j+0.5) is inside: boxes half-open
[x0, x1) x [y0, y1); polygons by even-odd crossings, an edge crossing row yc when
(y0 <= yc) != (y1 <= yc) and a centre inside when an odd number of crossings lie at or left of it);
consensus = pixels covered by >= quorum readers; Fleiss' kappa from the items x categories table.

Usage: agreement_reference.py QUORUM A.csv B.csv C.csv  -> JSON on stdout.
Reader ids are the file names without extension; a case is an image's base name without extension;
a reader counts on a case when their file lists it; the canvas is ceil(max x) x ceil(max y) of the
case's regions (at least 1 x 1).
"""
import csv
import json
import math
import os
import sys

import numpy as np


def read_via(path):
    images = {}
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    for row in rows[1:]:
        if not row:
            continue
        name = os.path.splitext(os.path.basename(row[0]))[0]
        regs = images.setdefault(name, [])
        shape = json.loads(row[5])
        if shape.get("name") == "rect":
            regs.append(("box", shape["x"], shape["y"], shape["x"] + shape["width"], shape["y"] + shape["height"]))
        elif shape.get("name") == "polygon":
            regs.append(("poly", list(zip(shape["all_points_x"], shape["all_points_y"]))))
    return images


def mask_of(regs, w, h):
    m = np.zeros((h, w), dtype=bool)
    xc = np.arange(w) + 0.5
    yc = np.arange(h) + 0.5
    for r in regs:
        if r[0] == "box":
            _, x0, y0, x1, y1 = r
            inx = (xc >= min(x0, x1)) & (xc < max(x0, x1))
            iny = (yc >= min(y0, y1)) & (yc < max(y0, y1))
            m |= iny[:, None] & inx[None, :]
        else:
            pts = r[1]
            odd = np.zeros((h, w), dtype=bool)
            for k in range(len(pts)):
                ax, ay = pts[k]
                bx, by = pts[(k + 1) % len(pts)]
                for j in range(h):
                    y = yc[j]
                    if (ay <= y) != (by <= y):
                        xint = ax + ((y - ay) * (bx - ax)) / (by - ay)
                        odd[j] ^= xint <= xc
            m |= odd
    return m


def iou(a, b):
    union = np.logical_or(a, b).sum()
    return 0.0 if union == 0 else np.logical_and(a, b).sum() / union


def dice(a, b):
    s = a.sum() + b.sum()
    return 1.0 if s == 0 else 2 * np.logical_and(a, b).sum() / s


def fleiss(table):
    """table: items x 2 counts (same number of raters n per item) -> kappa, textbook formula."""
    table = np.asarray(table, dtype=np.float64)
    n = table.sum(axis=1)
    N = table.shape[0]
    p = table.sum(axis=0) / table.sum()
    P = ((table * table).sum(axis=1) - n) / (n * (n - 1))
    Pbar = P.mean()
    Pe = (p * p).sum()
    return None if abs(1 - Pe) < 1e-15 else (Pbar - Pe) / (1 - Pe)


def fleiss_pooled(tables):
    """Pooled over items with varying rater counts: P_i with each item's n_i, p_j over all ratings."""
    rows = np.concatenate(tables)
    n = rows.sum(axis=1)
    p = rows.sum(axis=0) / rows.sum()
    P = ((rows * rows).sum(axis=1) - n) / (n * (n - 1))
    Pe = (p * p).sum()
    return None if abs(1 - Pe) < 1e-15 else (P.mean() - Pe) / (1 - Pe)


quorum = int(sys.argv[1])
files = sys.argv[2:]
readers = {os.path.splitext(os.path.basename(f))[0]: read_via(f) for f in files}
case_ids = sorted({c for r in readers.values() for c in r})
out_cases = []
all_cons, all_oth = [], []
pair_means_iou, pair_means_dice, kappas, tables = [], [], [], []
for cid in case_ids:
    names = sorted(r for r in readers if cid in readers[r])
    regs = {r: readers[r][cid] for r in names}
    w, h = 1, 1
    for rl in regs.values():
        for g in rl:
            xs = [g[1], g[3]] if g[0] == "box" else [p[0] for p in g[1]]
            ys = [g[2], g[4]] if g[0] == "box" else [p[1] for p in g[1]]
            w = max(w, math.ceil(max(xs)))
            h = max(h, math.ceil(max(ys)))
    masks = {r: mask_of(regs[r], w, h) for r in names}
    counts = sum(masks[r].astype(int) for r in names)
    cons_all = counts >= quorum
    per = {}
    for r in names:
        if not regs[r]:
            continue
        q_others = min(quorum, max(1, len(names) - 1))
        others = (counts - masks[r].astype(int)) >= q_others
        v_all = 0.0 if cons_all.sum() == 0 else iou(masks[r], cons_all)
        v_oth = 0.0 if len(names) < 2 or others.sum() == 0 else iou(masks[r], others)
        per[r] = {"vsConsensusIoU": float(v_all), "vsOthersIoU": float(v_oth)}
        all_cons.append(v_all)
        all_oth.append(v_oth)
    pairs = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = masks[names[i]], masks[names[j]]
            u = np.logical_or(a, b).sum()
            pairs.append({"a": names[i], "b": names[j], "iou": 1.0 if u == 0 else float(np.logical_and(a, b).sum() / u), "dice": float(dice(a, b))})
    kappa = None
    if len(names) >= 2:
        table = np.stack([counts.ravel(), len(names) - counts.ravel()], axis=1)
        kappa = fleiss(table)
        tables.append(table)
        pair_means_iou.append(np.mean([p["iou"] for p in pairs]))
        pair_means_dice.append(np.mean([p["dice"] for p in pairs]))
        if kappa is not None:
            kappas.append(kappa)
    drew = [r for r in names if regs[r]]
    out_cases.append({
        "case": cid, "width": w, "height": h, "readers": names, "drew": drew,
        "readerVsConsensusIoU": float(np.mean([per[r]["vsConsensusIoU"] for r in drew])) if drew else None,
        "readerVsOthersIoU": float(np.mean([per[r]["vsOthersIoU"] for r in drew])) if drew else None,
        "perReader": per, "pairwise": pairs,
        "meanPairwiseIoU": float(np.mean([p["iou"] for p in pairs])) if pairs else None,
        "meanPairwiseDice": float(np.mean([p["dice"] for p in pairs])) if pairs else None,
        "fleissKappa": None if kappa is None else float(kappa),
    })
pk = fleiss_pooled(tables) if tables else None
json.dump({
    "cases": out_cases,
    "pooled": {
        "cases": len(case_ids), "pairs": len(all_cons),
        "readerVsConsensusIoU": float(np.mean(all_cons)), "readerVsOthersIoU": float(np.mean(all_oth)),
        "meanPairwiseIoU": float(np.mean(pair_means_iou)), "meanPairwiseDice": float(np.mean(pair_means_dice)),
        "fleissKappa": None if pk is None else float(pk), "meanCaseFleissKappa": float(np.mean(kappas)),
    },
}, sys.stdout)
