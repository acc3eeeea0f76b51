"""PyTorch mirror of the tf.layers architectures (src/core/model/architectures).

The graph is not written twice by hand: `KerasGraph` reads the tf.layers model's JSON topology
(`npx tsx scripts/export_tfjs.ts topology --arch NAME --out topology.json`) and builds the same
layers, by the same names, in PyTorch. What has to match TF exactly is done here:

- 'same' padding as TF computes it: total = max((ceil(n / s) - 1) * s + k - n, 0), the smaller
  half before, the larger after (bottom/right get the extra pixel with stride 2): explicit F.pad.
- average pooling with 'same' padding counts only the real pixels under the window (TF's rule):
  the padded sum is divided by the pooled count of ones.
- max pooling with 'same' pads with -inf.
- BatchNormalization with the topology's epsilon (1e-3, Keras' default; torch's default is 1e-5)
  and momentum (Keras 0.99 = torch 0.01).
- weight layouts on export: conv [out, in, kh, kw] -> [kh, kw, in, out]; dense [out, in] -> [in, out];
  batch norm gamma, beta, moving_mean, moving_variance.

Tensors are NCHW inside; `forward` takes NHWC like TF.js.
"""
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def tf_same_pads(n, k, s, d=1):
    k_eff = (k - 1) * d + 1
    out = math.ceil(n / s)
    total = max((out - 1) * s + k_eff - n, 0)
    return total // 2, total - total // 2


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


class KerasGraph(nn.Module):
    def __init__(self, topology):
        super().__init__()
        cfg = topology['config'] if 'config' in topology else topology['modelTopology']['config']
        self.layer_cfgs = cfg['layers']
        self.input_name = cfg['input_layers'][0][0]
        self.output_name = cfg['output_layers'][0][0]
        self.order = []
        self.mods = nn.ModuleDict()
        self.kinds = {}
        self.configs = {}
        self.inbound = {}
        channels = {}
        for layer in self.layer_cfgs:
            name, kind, c = layer['name'], layer['class_name'], layer['config']
            ins = [n[0] for n in layer['inbound_nodes'][0]] if layer['inbound_nodes'] else []
            self.order.append(name)
            self.kinds[name] = kind
            self.configs[name] = c
            self.inbound[name] = ins
            if kind == 'InputLayer':
                channels[name] = c['batch_input_shape'][-1]
            elif kind == 'Conv2D':
                kh, kw = pair(c['kernel_size'])
                assert tuple(c['dilation_rate']) == (1, 1) and c['activation'] == 'linear'
                self.mods[name] = nn.Conv2d(channels[ins[0]], c['filters'], (kh, kw), stride=pair(c['strides']), bias=c['use_bias'])
                channels[name] = c['filters']
            elif kind == 'BatchNormalization':
                ch = channels[ins[0]]
                bn = nn.BatchNorm2d(ch, eps=c['epsilon'], momentum=1 - c['momentum'], affine=True)
                if not c['scale']:
                    bn.weight.requires_grad_(False)
                if not c['center']:
                    bn.bias.requires_grad_(False)
                self.mods[name] = bn
                channels[name] = ch
            elif kind == 'Dense':
                assert c['activation'] == 'linear'
                self.mods[name] = nn.Linear(channels[ins[0]], c['units'], bias=c['use_bias'])
                channels[name] = c['units']
            elif kind == 'Concatenate':
                assert c['axis'] in (-1, 3)
                channels[name] = sum(channels[i] for i in ins)
            elif kind in ('Activation', 'ZeroPadding2D', 'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D'):
                if kind == 'Activation':
                    assert c['activation'] == 'relu', c['activation']
                channels[name] = channels[ins[0]]
            else:
                raise ValueError(f'layer {name}: {kind} is not mirrored in PyTorch')

    def _pool(self, x, c, kind):
        kh, kw = pair(c['pool_size'])
        sh, sw = pair(c['strides'] or c['pool_size'])
        if c['padding'] == 'valid':
            return F.max_pool2d(x, (kh, kw), (sh, sw)) if kind == 'max' else F.avg_pool2d(x, (kh, kw), (sh, sw))
        t, b = tf_same_pads(x.shape[2], kh, sh)
        l, r = tf_same_pads(x.shape[3], kw, sw)
        if kind == 'max':
            return F.max_pool2d(F.pad(x, (l, r, t, b), value=float('-inf')), (kh, kw), (sh, sw))
        s = F.avg_pool2d(F.pad(x, (l, r, t, b)), (kh, kw), (sh, sw), divisor_override=1)
        ones = torch.ones((1, 1, x.shape[2], x.shape[3]), dtype=x.dtype, device=x.device)
        cnt = F.avg_pool2d(F.pad(ones, (l, r, t, b)), (kh, kw), (sh, sw), divisor_override=1)
        return s / cnt

    def forward(self, x_nhwc, capture=None):
        """x: [N, H, W, C] as in TF.js. capture: a layer name whose output (NCHW) is returned too."""
        vals = {}
        captured = None
        for name in self.order:
            kind, c, ins = self.kinds[name], self.configs[name], self.inbound[name]
            if kind == 'InputLayer':
                y = x_nhwc.permute(0, 3, 1, 2)
            else:
                x = vals[ins[0]]
                if kind == 'Conv2D':
                    m = self.mods[name]
                    if c['padding'] == 'same':
                        kh, kw = m.kernel_size
                        t, b = tf_same_pads(x.shape[2], kh, m.stride[0])
                        l, r = tf_same_pads(x.shape[3], kw, m.stride[1])
                        if t or b or l or r:
                            x = F.pad(x, (l, r, t, b))
                    y = m(x)
                elif kind in ('BatchNormalization', 'Dense'):
                    y = self.mods[name](x)
                elif kind == 'Activation':
                    y = F.relu(x)
                elif kind == 'Concatenate':
                    y = torch.cat([vals[i] for i in ins], dim=1)
                elif kind == 'ZeroPadding2D':
                    (t, b), (l, r) = c['padding']
                    y = F.pad(x, (l, r, t, b))
                elif kind == 'MaxPooling2D':
                    y = self._pool(x, c, 'max')
                elif kind == 'AveragePooling2D':
                    y = self._pool(x, c, 'avg')
                elif kind == 'GlobalAveragePooling2D':
                    y = x.mean(dim=(2, 3))
            vals[name] = y
            if name == capture:
                captured = y
        out = vals[self.output_name]
        return (out, captured) if capture else out

    def tf_weights(self):
        """[(layer, weight name, float32 array in TF layout)] in layer order."""
        out = []
        for name in self.order:
            kind = self.kinds[name]
            if kind == 'Conv2D':
                m = self.mods[name]
                out.append((name, 'kernel', m.weight.detach().permute(2, 3, 1, 0).numpy()))
                if m.bias is not None:
                    out.append((name, 'bias', m.bias.detach().numpy()))
            elif kind == 'BatchNormalization':
                m, c = self.mods[name], self.configs[name]
                if c['scale']:
                    out.append((name, 'gamma', m.weight.detach().numpy()))
                if c['center']:
                    out.append((name, 'beta', m.bias.detach().numpy()))
                out.append((name, 'moving_mean', m.running_mean.detach().numpy()))
                out.append((name, 'moving_variance', m.running_var.detach().numpy()))
            elif kind == 'Dense':
                m = self.mods[name]
                out.append((name, 'kernel', m.weight.detach().t().numpy()))
                if m.bias is not None:
                    out.append((name, 'bias', m.bias.detach().numpy()))
        return out

    def save_tf_weights(self, directory):
        entries, chunks, offset = [], [], 0
        for layer, wname, arr in self.tf_weights():
            a = np.ascontiguousarray(arr, dtype='<f4')
            entries.append({'layer': layer, 'name': wname, 'shape': list(a.shape), 'offset': offset})
            chunks.append(a.ravel())
            offset += a.size
        np.concatenate(chunks).tofile(f'{directory}/weights.bin')
        with open(f'{directory}/weights.json', 'w') as f:
            json.dump(entries, f)


def load_topology(path):
    with open(path) as f:
        return json.load(f)
