import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { encode } from 'fast-png';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../core/io/npy';
import { mulberry32 } from '../../core/rng';
import { makeOnnxFixtures, relMaxError, type OnnxFixture } from '../../core/model/onnx/fixtures.testutil';
import { readStudyFolder } from '../studyFolder';
import { runCli } from '../testing/runCli';
import { tinyModel } from '../testing/tinyModel';

/**
 * The CLI on a folder holding only the model.onnx that torch.onnx.export wrote for torchvision's
 * DenseNet-121 (224) and InceptionV3 (299), one logit, seeded random weights: `model-info`, `inputs`,
 * `predict` and `maps --methods grad,gradcam --raw` run on it, and the logit and input gradient they
 * write equal PyTorch autograd's on the exact tensor `heatcheck inputs` reports for the case.
 *
 * How: `heatcheck inputs` on a 16-bit grayscale PNG gives the model input (grayscale replicated to
 * three channels, [-1, 1], the ONNX folder's default preprocessing); scripts/onnx_fixtures.py
 * builds the network, conditions it at exactly that tensor (so that float32 rounding decides no ReLU
 * or max-pool) and computes PyTorch's logit and gradient there in float64; the CLI then runs on the
 * exported model.onnx alone, and `inputs` on that folder must report the same tensor, bit for bit.
 * The image is seeded noise, not a phantom radiograph: an 8-bit phantom's flat, quantised regions
 * put max-pool windows within float32 rounding of a tie, which no conditioning can clear, and a
 * float64 reference then says nothing about float32 code (PyTorch's own included).
 */
const NETS = [
  { name: 'densenet121', size: 224 },
  { name: 'inception_v3', size: 299 },
] as const;

let root: string;
const fixtures = new Map<string, OnnxFixture>();
const cli = runCli;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'heatcheck-onnx-tv-'));
  const inputArgs: string[] = [];
  for (const { name, size } of NETS) {
    const study = path.join(root, `study-${size}`);
    expect((await cli(['phantom', '--out', study, '--count', '1', '--seed', '17', '--size', String(size), '--jobs', '1'])).code).toBe(0);
    const caseImage = path.join(study, 'images', 'case-0001.png');
    const rand = mulberry32(size);
    const noise = Uint16Array.from({ length: size * size }, () => Math.floor(rand() * 65536));
    writeFileSync(caseImage, encode({ width: size, height: size, data: noise, depth: 16, channels: 1 }));
    // Any model with this input shape and the ONNX default preprocessing gives the input.
    const shaped = await tinyModel(root, `shape-${size}`, size, size, 3);
    const first = path.join(root, `inputs-${name}-first`);
    expect((await cli(['inputs', '--study', study, '--model', shaped, '--out', first])).code).toBe(0);
    const caseId = readStudyFolder(study).cases[0].id;
    inputArgs.push(`${name}=${path.join(first, `${caseId}.npy`)}`);
  }
  // scripts/onnx_fixtures.py with --input: conditioned at, and references computed at, those tensors.
  const made = makeOnnxFixtures(NETS.map((n) => n.name), [13], inputArgs);
  for (const [k, v] of made) fixtures.set(k, v);
}, 900_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  const dir = [...fixtures.values()][0]?.dir;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('heatcheck on a folder holding only a torchvision model.onnx', () => {
  for (const { name, size } of NETS) {
    it(`${name}: model-info, inputs, predict and maps --methods grad,gradcam --raw; logit and gradient equal PyTorch's on the tensor inputs reports`, async () => {
      const f = fixtures.get(name)!;
      const study = path.join(root, `study-${size}`);
      const caseId = readStudyFolder(study).cases[0].id;
      const folder = path.join(root, name);
      mkdirSync(folder);
      copyFileSync(path.join(f.dir, f.onnx['13']), path.join(folder, 'model.onnx'));

      const info = await cli(['model-info', '--model', folder]);
      expect(info.code).toBe(0);
      const j = JSON.parse(info.out);
      expect(j).toMatchObject({ format: 'onnx', input: { height: size, width: size, channels: 3 }, output: { kind: 'logit', classes: 1, index: 0 }, onnx: { opset: 13 } });
      expect(j.sources).toMatchObject({ input: 'inferred', preprocessing: 'default' });
      expect(j.gradcamCandidates.length).toBeGreaterThan(1);

      // The exact tensor this folder's model receives: the one PyTorch's references were computed at.
      const inputs = path.join(root, `inputs-${name}`);
      const ri = await cli(['inputs', '--study', study, '--model', folder, '--out', inputs]);
      expect(ri.code).toBe(0);
      expect(ri.json).toMatchObject({ shape: [size, size, 3], failed: 0 });
      const x = readNpy(new Uint8Array(readFileSync(path.join(inputs, `${caseId}.npy`))));
      expect(x.shape).toEqual([size, size, 3]);
      expect(Buffer.from((x.data as Float32Array).buffer)).toEqual(Buffer.from(f.x.buffer));

      const csv = path.join(root, `pred-${name}.csv`);
      expect((await cli(['predict', '--study', study, '--model', folder, '--out', csv])).code).toBe(0);
      const row = readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')).find((r) => r[0] === caseId)!;
      const logit = Number(row[1]);
      const logitRel = Math.abs(logit - f.logit64) / Math.max(Math.abs(f.logit64), 1e-12);

      const out = path.join(root, `maps-${name}`);
      expect((await cli(['maps', '--study', study, '--models', folder, '--methods', 'grad,gradcam', '--raw', '--out', out])).code).toBe(0);
      const grad = readNpy(new Uint8Array(readFileSync(path.join(out, caseId, name, 'grad.npy'))));
      expect(grad.shape).toEqual([size, size, 3]);
      const gradRel = relMaxError(grad.data as Float32Array, f.grad64);
      const cam = readNpy(new Uint8Array(readFileSync(path.join(out, caseId, name, 'gradcam.npy'))));
      const camValues = Array.from(cam.data as Float32Array);
      console.log(`[onnx cli] ${name}: logit ${logit} vs PyTorch float64 ${f.logit64} (rel ${logitRel.toExponential(2)}); input gradient vs PyTorch float64: ${gradRel.toExponential(2)} of its max (PyTorch float32: ${f.torchFloat32GradError.maxAbsRel.toExponential(2)})`);
      expect(logitRel).toBeLessThan(1e-4);
      expect(gradRel).toBeLessThan(1e-3);
      expect(camValues.every(Number.isFinite)).toBe(true);
      expect(Math.max(...camValues)).toBeGreaterThan(Math.min(...camValues));
    }, 600_000);
  }
});
