"""PyTorch side of bench/gradients.ts: the same graphs, timed the same way.

Each workload is a tf.layers topology (model.toJSON) rebuilt in PyTorch by scripts/demo_models_torch.py's
KerasGraph (same layers, same TF padding rules, NHWC in). Weights are PyTorch's default init (timing only).
Measured per workload, batch 1: forward ms and input-gradient ms (d logit[0] / d input, parameters frozen
so no weight gradient is computed), and the input-gradient throughput at each batch size of "batches"
(the best one reported as batch / batchGradImagesPerS, every one under byBatch). Median after warm-up,
torch.set_num_threads(THREADS) (argv[2], default 2), eval mode (BatchNorm on running statistics), float32 on the CPU.

Usage: /usr/bin/python3 bench/gradients_torch.py SPEC.json [THREADS]   (SPEC: [{"id", "topology", "shape": [H, W, C], "reps", "batches"}])
Prints one JSON object per workload on stdout.
"""
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'scripts'))
from demo_models_torch import KerasGraph  # noqa: E402


def tune_malloc():
    """Keep freed activations in the heap instead of returning them to the kernel.

    With glibc's defaults every tensor above the dynamic mmap threshold is mmapped and unmapped per
    pass, and PyTorch's CPU allocator has no cache of its own: on this machine that made a batch-16
    input gradient of the small CNN 8x slower per image than batch 1, with 40 % of it in page faults
    (sys time), and made one run differ from the next by up to 5x. Intel's and PyTorch's CPU tuning
    guides prescribe jemalloc/tcmalloc for this; these three mallopt settings do the same with glibc,
    which is what Debian's PyTorch uses. Heatcheck's wasm heap grows once and is reused, so this puts
    the two sides on the same footing.
    """
    import ctypes
    libc = ctypes.CDLL('libc.so.6')
    M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
    libc.mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024)  # the largest glibc allows on 64-bit
    libc.mallopt(M_TRIM_THRESHOLD, 2 ** 30)
    libc.mallopt(M_TOP_PAD, 2 ** 30)


def median_ms(fn, reps, warmup=1):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ts)


def main():
    tune_malloc()
    torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
    torch.manual_seed(0)
    spec = json.load(open(sys.argv[1]))
    for w in spec:
        with open(w['topology']) as f:
            topo = json.load(f)
        model = KerasGraph(topo).eval()
        for p in model.parameters():
            p.requires_grad_(False)
        h, wd, c = w['shape']
        reps = int(w.get('reps', 3))
        batches = [int(b) for b in w.get('batches', [16])]
        x1 = torch.randn(1, h, wd, c)

        def fwd():
            with torch.no_grad():
                model(x1)

        def grad(x):
            xi = x.clone().requires_grad_(True)
            out = model(xi)
            g, = torch.autograd.grad(out[:, 0].sum(), xi)
            return g

        r = {'id': w['id'], 'threads': torch.get_num_threads(), 'torch': torch.__version__, 'reps': reps}
        r['forwardMs'] = median_ms(fwd, reps)
        r['gradMs'] = median_ms(lambda: grad(x1), reps)
        r['byBatch'] = {}
        for b in batches:
            xb = torch.randn(b, h, wd, c)
            bt = median_ms(lambda: grad(xb), max(1, reps // 2))
            r['byBatch'][str(b)] = b / (bt / 1000)
        best = max(r['byBatch'], key=r['byBatch'].get)
        r['batch'] = int(best)
        r['batchGradImagesPerS'] = r['byBatch'][best]
        print(json.dumps(r), flush=True)


if __name__ == '__main__':
    main()
