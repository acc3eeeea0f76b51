import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../main';
import { initNodeBackend } from '../nodeBackend';
import { predictStudy } from './predict';

const DEMO_MODELS = ['densenet-compact-s1', 'densenet-compact-s2', 'inception-compact-s1', 'inception-compact-s2'];
/** A seed that neither training (1001) nor the held-out test of train_demo.py (2002) used. */
const FRESH_SEED = 424242;

/** AUROC by the plain pairwise count: P(score of an abnormal case > score of a normal one), ties 1/2. */
function pairwiseAuroc(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

let dir: string;
beforeAll(async () => {
  await initNodeBackend('wasm');
  dir = mkdtempSync(path.join(tmpdir(), 'heatcheck-predict-'));
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(await main(['phantom', '--out', path.join(dir, 'study'), '--count', '120', '--seed', String(FRESH_SEED), '--size', '512'])).toBe(0);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('heatcheck predict', () => {
  it('writes id,logit,probability for every case and a JSON summary', async () => {
    const outCsv = path.join(dir, 'preds.csv');
    const chunks: string[] = [];
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { chunks.push(String(s)); return true; });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let code: number;
    try {
      code = await main(['predict', '--study', path.join(dir, 'study'), '--model', 'public/models/densenet-compact-s1', '--out', outCsv]);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    expect(code).toBe(0);
    const lines = readFileSync(outCsv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('id,logit,probability');
    expect(lines.length).toBe(121);
    const [id, logit, p] = lines[1].split(',');
    expect(id).toBe('case-0001');
    expect(Number(p)).toBeCloseTo(1 / (1 + Math.exp(-Number(logit))), 6);
    const summary = JSON.parse(chunks.join(''));
    expect(summary).toMatchObject({ n: 120, labelled: 120, backend: 'wasm', model: 'densenet-compact-s1' });
    expect(summary.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(summary.auroc).toBeCloseTo(pairwiseAuroc(
      lines.slice(1).map((l) => Number(l.split(',')[1])),
      readFileSync(path.join(dir, 'study', 'cases.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[2])),
    ), 10);
  });

  it.each(DEMO_MODELS)('%s scores AUROC >= 0.90 on a phantom study made with a fresh seed', async (id) => {
    const { predictions } = await predictStudy(path.join(dir, 'study'), path.join('public', 'models', id));
    expect(predictions.length).toBe(120);
    const labels = predictions.map((p) => p.label as number);
    expect(labels.filter((l) => l === 1).length).toBeGreaterThan(40);
    expect(pairwiseAuroc(predictions.map((p) => p.logit), labels)).toBeGreaterThanOrEqual(0.9);
  });
});
