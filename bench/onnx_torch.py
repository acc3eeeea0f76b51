#!/usr/bin/python3
"""PyTorch side of bench/onnx.ts: DenseNet-121 (torchvision, seeded random weights, one logit, 224x224x3),
exported with torch.onnx.export at opset 13 for the importer and onnxruntime, and timed in PyTorch on the
CPU in float32, eval mode, parameters frozen (no weight gradient), with the thread count given.

Measured at batch 1 (median of REPS after one warm-up): forward ms, forward + input gradient ms
(d logit / d input), and IG-25: 25 gradient passes over the interpolated inputs alpha * x, in batches of
IG_BATCH, summed and multiplied by x / 25 (the same work as the TF.js side).

Usage: /usr/bin/python3 bench/onnx_torch.py OUT.onnx THREADS REPS IG_BATCH
Prints one JSON object on stdout.
"""
import json
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gradients_torch import median_ms, tune_malloc  # noqa: E402


def main():
    tune_malloc()
    out, threads, reps, ig_batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(20261202)
    model = torchvision.models.densenet121(num_classes=1).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    x = torch.rand(1, 3, 224, 224) * 2 - 1
    if not os.path.exists(out):
        torch.onnx.export(model, x, out, opset_version=13, input_names=['input'], output_names=['logit'],
                          dynamic_axes={'input': {0: 'batch'}, 'logit': {0: 'batch'}}, do_constant_folding=True)

    def fwd():
        with torch.no_grad():
            model(x)

    def grad(xx):
        xi = xx.clone().requires_grad_(True)
        y = model(xi)
        g, = torch.autograd.grad(y[:, 0].sum(), xi)
        return g

    def ig25():
        acc = torch.zeros_like(x)
        for s in range(0, 25, ig_batch):
            n = min(ig_batch, 25 - s)
            alphas = torch.linspace((s + 1) / 25, (s + n) / 25, n).reshape(n, 1, 1, 1)
            acc += grad(alphas * x).sum(0, keepdim=True)
        return acc * x / 25

    r = {
        'torch': torch.__version__, 'threads': threads, 'reps': reps,
        'forwardMs': median_ms(fwd, reps),
        'gradMs': median_ms(lambda: grad(x), reps),
        'ig25Ms': median_ms(ig25, 1, warmup=0),
    }
    print(json.dumps(r))


if __name__ == '__main__':
    main()
