#!/usr/bin/python3
"""Small PyTorch conv nets exported to ONNX, with PyTorch references, for the browser import's e2e test.

Writes into OUT (generated at test time, never committed):
  tinyconv-s1/model.onnx, tinyconv-s1/manifest.json   seed 1 (a folder: model.onnx + manifest.json)
  tinyconv-s2/model.onnx, tinyconv-s2/manifest.json   seed 2 (same architecture and family: a repeatability pair)
  single/tinyconv.onnx, single/tinyconv.onnx.data     seed 1 again, weights in an external-data file, no manifest
  unsupported.onnx                                    a graph with an op the importer does not read (TopK)
  tinyconv-s<k>.ref.json                              the reference on a fixed input: input (channels-last
                                                      [H, W, C], in the model's input space), logit, d logit /
                                                      d input (channels-last) and Grad-CAM at the last ReLU
                                                      (relu(sum_k mean_ij(d logit / dA) * A), [h, w]), all from
                                                      PyTorch autograd in float32

The net: Conv(3->8)+BatchNorm+ReLU, MaxPool, Conv(8->16)+ReLU, MaxPool, Conv(16->16)+ReLU, global
average pool, Linear(16->1); input 64x64x3 (static height and width, so the import reads them from
the graph), ImageNet mean/std preprocessing in the manifests. The classifier's weights are made
positive so the logit sums the pooled features instead of cancelling them out (a logit near 0 makes
relative errors meaningless).

Usage: /usr/bin/python3 scripts/onnx_browser_fixtures.py OUT
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

SIZE = 64
IMAGENET = {'scale': 1, 'offset': 0, 'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225]}


class TinyConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 16, 3, padding=1)
        self.c3 = nn.Conv2d(16, 16, 3, padding=1)
        self.fc = nn.Linear(16, 1)
        self.cam = None

    def forward(self, x):
        y = F.max_pool2d(F.relu(self.bn1(self.c1(x))), 2)
        y = F.max_pool2d(F.relu(self.c2(y)), 2)
        y = F.relu(self.c3(y))
        if y.requires_grad:
            y.retain_grad()
        self.cam = y
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


def build(seed):
    torch.manual_seed(seed)
    m = TinyConv()
    # BatchNorm statistics from random batches, then eval mode.
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.reset_running_stats()
            mod.momentum = None
    m.train()
    with torch.no_grad():
        for _ in range(3):
            m(torch.randn(4, 3, SIZE, SIZE))
        m.fc.weight.abs_()
        m.fc.bias.fill_(0.1)
    m.eval()
    for p in m.parameters():
        p.requires_grad_(False)
    return m


def export(m, path, external=None):
    x = torch.zeros(1, 3, SIZE, SIZE)
    torch.onnx.export(m, x, path, opset_version=13, input_names=['input'], output_names=['logit'],
                      dynamic_axes={'input': {0: 'batch'}, 'logit': {0: 'batch'}}, do_constant_folding=True)
    if external:
        import onnx
        model = onnx.load(path)
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location=external, size_threshold=0)


def reference(m, seed):
    g = torch.Generator().manual_seed(100 + seed)
    mean = torch.tensor(IMAGENET['mean']).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET['std']).view(1, 3, 1, 1)
    x = ((torch.rand(1, 3, SIZE, SIZE, generator=g) - mean) / std).requires_grad_(True)
    logit = m(x)
    logit[0, 0].backward()
    a = m.cam
    w = a.grad.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((a * w).sum(1))[0]
    nhwc = lambda t: t.detach().permute(0, 2, 3, 1).reshape(-1).tolist()
    return {
        'size': SIZE, 'channels': 3, 'input': nhwc(x), 'logit': float(logit[0, 0]), 'gradient': nhwc(x.grad),
        'cam': cam.detach().reshape(-1).tolist(), 'camShape': [int(a.shape[2]), int(a.shape[3])], 'torch': torch.__version__,
    }


def unsupported(path):
    import onnx
    from onnx import TensorProto, helper
    k = helper.make_tensor('k', TensorProto.INT64, [1], [5])
    g = helper.make_graph(
        [helper.make_node('Flatten', ['input'], ['flat'], name='flatten'), helper.make_node('TopK', ['flat', 'k'], ['values', 'indices'], name='top5')],
        'unsupported', [helper.make_tensor_value_info('input', TensorProto.FLOAT, [1, 3, SIZE, SIZE])],
        [helper.make_tensor_value_info('values', TensorProto.FLOAT, [1, 5])], [k])
    onnx.save_model(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), path)


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    out = sys.argv[1]
    torch.set_num_threads(1)
    for seed in (1, 2):
        m = build(seed)
        d = os.path.join(out, f'tinyconv-s{seed}')
        os.makedirs(d, exist_ok=True)
        export(m, os.path.join(d, 'model.onnx'))
        manifest = {'name': f'tinyconv seed {seed}', 'architecture': 'tinyconv', 'family': 'tinyconv-onnx', 'seed': seed,
                    'input': {'height': SIZE, 'width': SIZE, 'channels': 3}, 'preprocessing': IMAGENET, 'output': {'kind': 'logit', 'index': 0}}
        with open(os.path.join(d, 'manifest.json'), 'w') as fh:
            json.dump(manifest, fh, indent=1)
        with open(os.path.join(out, f'tinyconv-s{seed}.ref.json'), 'w') as fh:
            json.dump(reference(m, seed), fh)
        if seed == 1:
            os.makedirs(os.path.join(out, 'single'), exist_ok=True)
            export(m, os.path.join(out, 'single', 'tinyconv.onnx'), external='tinyconv.onnx.data')
    unsupported(os.path.join(out, 'unsupported.onnx'))


if __name__ == '__main__':
    main()
