#!/usr/bin/python3
"""Export a fine-tuned torchvision model to a Heatcheck model folder: model.onnx + manifest.json.

  /usr/bin/python3 scripts/export_onnx.py --arch densenet121 --checkpoint best.pt --out models/my-densenet

--arch         densenet121 | inception_v3 | resnet50 (torchvision architecture names)
--checkpoint   a state_dict saved with torch.save(model.state_dict(), path) (a dict holding it
               under "state_dict" or "model", and DataParallel's "module." prefixes, are accepted);
               its classifier must have ONE output (the abnormal logit)
--out          folder to write (created)
--size         input height and width (default 224; 299 for inception_v3)
--preprocessing imagenet (default: pixels in [0, 1], then ImageNet mean/std, as torchvision
               models are fine-tuned) | unit ([0, 1]) | symmetric ([-1, 1])
--opset        ONNX opset (default 13; Heatcheck reads 11 to 18)
--id, --name   model id and display name in manifest.json (default: the folder name)

Grayscale images are fed to the 3-channel model by replicating the channel. The Grad-CAM layer is
left to Heatcheck (the last spatial output every path goes through); `heatcheck model-info --model
OUT` lists it with the candidates.
"""
import argparse
import json
import os
import sys

import torch
import torch.nn as nn

PRESETS = {
    'imagenet': {'scale': 1, 'offset': 0, 'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225]},
    'unit': {'scale': 1, 'offset': 0},
    'symmetric': {'scale': 2, 'offset': -1},
}


def load_state_dict(path):
    sd = torch.load(path, map_location='cpu')
    if isinstance(sd, nn.Module):
        sd = sd.state_dict()
    for key in ('state_dict', 'model', 'model_state_dict'):
        if isinstance(sd, dict) and key in sd and isinstance(sd[key], dict):
            sd = sd[key]
    if not isinstance(sd, dict):
        raise SystemExit(f'{path}: not a state_dict (a dict of tensors); save it with torch.save(model.state_dict(), path)')
    return {k[7:] if k.startswith('module.') else k: v for k, v in sd.items()}


def build(arch, sd, path):
    import torchvision
    head = {'densenet121': 'classifier.weight', 'inception_v3': 'fc.weight', 'resnet50': 'fc.weight'}
    if arch not in head:
        raise SystemExit(f'--arch {arch}: one of {", ".join(head)}')
    w = sd.get(head[arch])
    if w is None:
        raise SystemExit(f'{path}: no "{head[arch]}" in the checkpoint; is it a torchvision {arch}?')
    if w.shape[0] != 1:
        raise SystemExit(f'{path}: the classifier has {w.shape[0]} outputs; Heatcheck explains one abnormal logit (fine-tune with num_classes=1)')
    if arch == 'inception_v3':
        model = torchvision.models.inception_v3(num_classes=1, aux_logits=False, init_weights=False)
        sd = {k: v for k, v in sd.items() if not k.startswith('AuxLogits.')}
    else:
        model = getattr(torchvision.models, arch)(num_classes=1)
    missing, unexpected = model.load_state_dict(sd, strict=False)
    if missing or unexpected:
        raise SystemExit(f'{path}: the checkpoint does not match torchvision {arch}: missing {missing[:5]}, unexpected {unexpected[:5]}')
    return model.eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--arch', required=True)
    ap.add_argument('--checkpoint', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--size', type=int)
    ap.add_argument('--preprocessing', default='imagenet', choices=sorted(PRESETS))
    ap.add_argument('--opset', type=int, default=13)
    ap.add_argument('--id')
    ap.add_argument('--name')
    a = ap.parse_args()
    size = a.size or (299 if a.arch == 'inception_v3' else 224)
    model = build(a.arch, load_state_dict(a.checkpoint), a.checkpoint)
    os.makedirs(a.out, exist_ok=True)
    x = torch.zeros(1, 3, size, size)
    path = os.path.join(a.out, 'model.onnx')
    with torch.no_grad():
        torch.onnx.export(model, x, path, opset_version=a.opset, input_names=['input'], output_names=['logit'],
                          dynamic_axes={'input': {0: 'batch'}, 'logit': {0: 'batch'}}, do_constant_folding=True)
    try:
        import onnx
        onnx.checker.check_model(onnx.load(path))
    except ImportError:
        pass
    mid = a.id or os.path.basename(os.path.abspath(a.out))
    pre = PRESETS[a.preprocessing]
    manifest = {
        'id': mid,
        'name': a.name or mid,
        'architecture': a.arch,
        'family': a.arch,
        'input': {'height': size, 'width': size, 'channels': 3},
        'preprocessing': pre,
        'output': {'kind': 'logit', 'index': 0},
        'training': {'framework': f'pytorch {torch.__version__}'},
        'exported': {'from': os.path.basename(a.checkpoint), 'opset': a.opset, 'by': 'scripts/export_onnx.py'},
    }
    with open(os.path.join(a.out, 'manifest.json'), 'w') as fh:
        json.dump(manifest, fh, indent=2)
    print(json.dumps({'model': path, 'manifest': os.path.join(a.out, 'manifest.json'), 'size': size, 'opset': a.opset}))


if __name__ == '__main__':
    sys.exit(main())
