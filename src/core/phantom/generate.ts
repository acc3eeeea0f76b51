/**
 * The phantom generator: deterministic upper-extremity radiograph phantoms with exact abnormality
 * masks. A case is a pure function of (seed, index): a worker or the CLI can make case i alone.
 */
import { buildAnatomy, PHANTOM_PARTS, type BodyPart, type Shape } from './anatomy';
import { boneWith, metalAt, specFor, spreadOf, type AbnormalityKind, type AbnormalitySpec } from './abnormality';
import { drawText, GLYPH_H, GLYPH_W } from './font';
import { Rng, hashSeed } from './rng';
import { attenuationLocal, place, radiusAt, rowSpan, Similarity, type Placed } from './shapes';

export type { BodyPart } from './anatomy';
export type { AbnormalityKind } from './abnormality';

export interface PhantomCase {
  id: string;
  label: 0 | 1;
  bodyPart: BodyPart;
  abnormality: AbnormalityKind;
  width: number;
  height: number;
  /** 8-bit grayscale, row-major. */
  image: Uint8Array;
  /** 0/1 exact mask of the pixels the abnormality changed; abnormal cases only. */
  truth: Uint8Array | null;
}

export interface PhantomOptions {
  /** Image side in pixels (square). Default 512. */
  size?: number;
  /**
   * Render the same case (same anatomy, exposure, noise) without its abnormality: for checking that
   * the truth mask is exactly the set of changed pixels. Label and abnormality fields are kept; truth is null.
   */
  omitAbnormality?: boolean;
}

export const DEFAULT_SIZE = 512;
const ABNORMAL_KINDS = ['fracture', 'hardware', 'lytic'] as const;
/** A pixel is in the truth mask when the abnormality moved it by at least this much (of full scale). */
export const MASK_THRESHOLD = 2 / 255;
/** Attenuation covered by the exposure lookup table (beyond it the curve is flat: metal, saturated). */
const A_MAX = 8;
const LUT_N = 8192;

export class PhantomError extends Error {
  constructor(readonly code: 'PHANTOM_BAD_INPUT', message: string) {
    super(message);
    this.name = 'PhantomError';
  }
}

export function caseId(index: number): string {
  return `case-${String(index + 1).padStart(4, '0')}`;
}

/**
 * Label, body part and abnormality type of case `index`. Cases come in pairs (2j, 2j+1): one normal,
 * one abnormal, same body part, so labels are balanced and the body part says nothing about the label.
 * Body parts cycle through a seeded permutation per block of pairs; abnormality types likewise.
 */
export function caseDesign(seed: number, index: number): { label: 0 | 1; bodyPart: BodyPart; abnormality: AbnormalityKind } {
  const pair = Math.floor(index / 2);
  const firstAbnormal = Rng.from(seed, 0x5041, pair).chance(0.5);
  const label: 0 | 1 = (index % 2 === 0) === firstAbnormal ? 1 : 0;
  const P = PHANTOM_PARTS.length;
  const partPerm = Rng.from(seed, 0x5042, Math.floor(pair / P)).permutation(P);
  const bodyPart = PHANTOM_PARTS[partPerm[pair % P]];
  const K = ABNORMAL_KINDS.length;
  const kindPerm = Rng.from(seed, 0x5043, Math.floor(pair / K)).permutation(K);
  const abnormality: AbnormalityKind = label === 1 ? ABNORMAL_KINDS[kindPerm[pair % K]] : 'none';
  return { label, bodyPart, abnormality };
}

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new PhantomError('PHANTOM_BAD_INPUT', `phantom: ${name} must be an integer in [${min}, ${max}], found ${v}.`);
  }
}

export function generatePhantomCase(seed: number, index: number, opts: PhantomOptions = {}): PhantomCase {
  const size = opts.size ?? DEFAULT_SIZE;
  checkInt('size', size, 32, 4096);
  checkInt('index', index, 0, 99_999_999);
  if (!Number.isFinite(seed)) throw new PhantomError('PHANTOM_BAD_INPUT', `phantom: seed must be a number, found ${seed}.`);
  const design = caseDesign(seed, index);
  const scene = Rng.from(seed, index, 1);
  const abnRng = Rng.from(seed, index, 2);
  const noiseRng = Rng.from(seed, index, 3);
  const N = size * size;

  // --- Anatomy and placement ---
  const shapes: Shape[] = buildAnatomy(design.bodyPart, scene);
  let angle = Math.max(-0.4, Math.min(0.4, scene.normal() * 0.16));
  if (scene.chance(0.12)) angle += scene.sign() * Math.PI / 2;
  const zoom = design.bodyPart === 'hand' ? 1.22 : 1;
  const sim = new Similarity(angle, zoom * scene.range(0.86, 1.06), scene.chance(0.5), scene.range(-0.04, 0.04), scene.range(-0.04, 0.04) + (zoom > 1 ? -0.06 : 0));
  const placed: Placed[] = shapes.map((s) => place(s, size, sim));

  // --- Acquisition: exposure, heel effect, noise level, collimation, side marker ---
  const k = scene.range(1.15, 1.6);
  const gamma = scene.range(0.8, 1.2);
  const bg = scene.range(0.02, 0.09);
  const white = scene.range(0.88, 0.98);
  const heelA = scene.range(0, 0.12);
  const heelDir = scene.range(0, 2 * Math.PI);
  const hx = Math.cos(heelDir) / size;
  const hy = Math.sin(heelDir) / size;
  const sigma = scene.range(0.012, 0.028);
  const margins = [0, 1, 2, 3].map(() => (scene.chance(0.7) ? scene.range(0.02, 0.13) : -0.02) * size);
  const colAngle = scene.range(-0.035, 0.035);
  const colVal = scene.range(0.78, 0.95);
  const side = scene.chance(0.5) ? 'L' : 'R';
  const corner = scene.int(0, 3);

  // Collimation weight: 0 inside the field, 1 outside, a 1.5 px penumbra between.
  const colW = new Float32Array(N);
  const cxm = size / 2;
  const ca = Math.cos(colAngle);
  const sa = Math.sin(colAngle);
  const m0 = margins[0], m1 = size - margins[1], m2 = margins[2], m3 = size - margins[3];
  for (let y = 0, j = 0; y < size; y++) {
    const dy = y + 0.5 - cxm;
    for (let x = 0; x < size; x++, j++) {
      const dx = x + 0.5 - cxm;
      const u = ca * dx + sa * dy + cxm;
      const v = -sa * dx + ca * dy + cxm;
      let inside = u - m0;
      if (m1 - u < inside) inside = m1 - u;
      if (v - m2 < inside) inside = v - m2;
      if (m3 - v < inside) inside = m3 - v;
      colW[j] = inside >= 1.5 ? 0 : inside <= -1.5 ? 1 : 0.5 - inside / 3;
    }
  }
  const fieldX0 = Math.max(0, margins[0]);
  const fieldX1 = size - Math.max(0, margins[1]);
  const fieldY0 = Math.max(0, margins[2]);
  const fieldY1 = size - Math.max(0, margins[3]);

  // Side marker: a bright lead letter in a corner of the field.
  const marker = new Uint8Array(N);
  const ms = Math.max(1, Math.round(size / 110));
  const mw = GLYPH_W * ms;
  const mh = GLYPH_H * ms;
  const pad = Math.round(size * 0.035) + 2;
  const mx = corner % 2 === 0 ? Math.round(fieldX0 + pad) : Math.round(fieldX1 - pad - mw);
  const my = corner < 2 ? Math.round(fieldY0 + pad) : Math.round(fieldY1 - pad - mh);
  drawText(marker, size, size, side, mx, my, ms, 1);
  const markerVal = scene.range(0.93, 1.0);

  // --- Attenuation: soft tissue (union by max) + bones (sum) ---
  const tissue = new Float32Array(N);
  const boneA = new Float32Array(N);

  // Choose the abnormality's bone before rendering, so the target is kept on its own layer.
  let target = -1;
  let spec: AbnormalitySpec | null = null;
  const candidates = placed
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => p.kind === 'bone' && p.long);
  const inField = (x: number, y: number, m: number) => x > fieldX0 + m && x < fieldX1 - m && y > fieldY0 + m && y < fieldY1 - m;
  if (design.abnormality !== 'none') {
    for (let attempt = 0; attempt < 40 && target < 0; attempt++) {
      // Larger bones are likelier targets (weight by radius).
      const total = candidates.reduce((s, c) => s + c.p.ra + c.p.rb, 0);
      let r = abnRng.next() * total;
      let pick = candidates[candidates.length - 1];
      for (const c of candidates) {
        r -= c.p.ra + c.p.rb;
        if (r <= 0) { pick = c; break; }
      }
      const s = specFor(design.abnormality as Exclude<AbnormalityKind, 'none'>, pick.p, size, abnRng);
      const t = s.kind === 'fracture' ? s.tf : s.kind === 'lytic' ? s.tc : s.kind === 'plate' ? (s.t0 + s.t1) / 2 : (s.pins[0].t + s.pins[3].t) / 2;
      const x = pick.p.ax + pick.p.ux * t;
      const y = pick.p.ay + pick.p.uy * t;
      const margin = Math.max(size * 0.06, radiusAt(pick.p, t) * 2);
      if (inField(x, y, margin)) {
        target = pick.i;
        spec = s;
      }
    }
    if (target < 0) {
      // Fall back to the largest long bone near the centre.
      const c = candidates.reduce((a, b) => (b.p.ra > a.p.ra ? b : a));
      target = c.i;
      spec = specFor(design.abnormality as Exclude<AbnormalityKind, 'none'>, c.p, size, abnRng);
    }
  }

  const span = new Int32Array(2);
  for (let i = 0; i < placed.length; i++) {
    if (i === target) continue;
    const p = placed[i];
    const isTissue = p.kind === 'tissue';
    for (let y = p.y0; y < p.y1; y++) {
      if (!rowSpan(p, y, 0, size, span)) continue;
      const dy = y + 0.5 - p.ay;
      for (let x = span[0], j = y * size + span[0]; x < span[1]; x++, j++) {
        const dx = x + 0.5 - p.ax;
        const a = attenuationLocal(p, dx * p.ux + dy * p.uy, -dx * p.uy + dy * p.ux);
        if (a === 0) continue;
        if (isTissue) { if (a > tissue[j]) tissue[j] = a; } else boneA[j] += a;
      }
    }
  }
  const base = boneA; // reuse: base attenuation without the target bone
  for (let j = 0; j < N; j++) base[j] += tissue[j];

  // Exposure curve 1 - exp(-k a), then gamma, as a lookup table over a in [0, A_MAX] (linear interpolation).
  const lut = new Float32Array(LUT_N + 2);
  for (let i = 0; i <= LUT_N + 1; i++) {
    const e = 1 - Math.exp(-k * (i * A_MAX) / LUT_N);
    lut[i] = bg + (white - bg) * Math.pow(e, gamma);
  }
  const heelX = heelA * hx * 2;
  const heelY = heelA * hy * 2;
  const half = size / 2;
  const intensity = (a: number, x: number, y: number, j: number): number => {
    if (marker[j]) return markerVal;
    const heel = 1 + (x - half) * heelX + (y - half) * heelY;
    let q = (a * heel * LUT_N) / A_MAX;
    if (q < 0) q = 0;
    if (q > LUT_N) q = LUT_N;
    const i = q | 0;
    const v = lut[i] + (lut[i + 1] - lut[i]) * (q - i);
    const w = colW[j];
    return w === 0 ? v : (1 - w) * v + w * colVal;
  };

  const a0 = new Float32Array(N);
  a0.set(base);
  let region: { x0: number; y0: number; x1: number; y1: number } | null = null;
  const a1 = spec ? new Float32Array(N) : null;
  if (target >= 0 && spec && a1) {
    const p = placed[target];
    const spread = Math.ceil(spreadOf(spec, p));
    region = { x0: Math.max(0, p.x0 - spread), y0: Math.max(0, p.y0 - spread), x1: Math.min(size, p.x1 + spread), y1: Math.min(size, p.y1 + spread) };
    a1.set(base);
    for (let y = region.y0; y < region.y1; y++) {
      if (!rowSpan(p, y, spread, size, span)) continue;
      const dy = y + 0.5 - p.ay;
      for (let x = span[0], j = y * size + span[0]; x < span[1]; x++, j++) {
        const dx = x + 0.5 - p.ax;
        const tl = dx * p.ux + dy * p.uy;
        const d = -dx * p.uy + dy * p.ux;
        a0[j] += attenuationLocal(p, tl, d);
        a1[j] += boneWith(spec, p, tl, d) + metalAt(spec, p, tl, d);
      }
    }
  }

  // --- Intensities, truth mask, noise, quantisation ---
  const f0 = new Float32Array(N);
  for (let y = 0, j = 0; y < size; y++) for (let x = 0; x < size; x++, j++) f0[j] = intensity(a0[j], x, y, j);
  let truth: Uint8Array | null = null;
  const f = f0;
  if (region && a1) {
    truth = new Uint8Array(N);
    for (let y = region.y0; y < region.y1; y++) {
      for (let x = region.x0; x < region.x1; x++) {
        const j = y * size + x;
        if (a1[j] === a0[j]) continue;
        const v1 = intensity(a1[j], x, y, j);
        if (Math.abs(v1 - f0[j]) >= MASK_THRESHOLD) {
          truth[j] = 1;
          if (!opts.omitAbnormality) f[j] = v1;
        }
      }
    }
  }
  const image = new Uint8Array(N);
  // Quantum noise: stronger where fewer photons reach the detector (bright, attenuating regions).
  // Normal draws come from a per-case table indexed by a fast seeded integer stream.
  const table = new Float32Array(4096);
  for (let i = 0; i < table.length; i++) table[i] = noiseRng.normal();
  let st = ((noiseRng.next() * 4294967296) >>> 0) || 1;
  for (let j = 0; j < N; j++) {
    const v = f[j];
    st ^= st << 13; st ^= st >>> 17; st ^= st << 5;
    const n = table[(st >>> 20) & 4095] * sigma * (0.55 + 0.7 * v);
    const q = Math.round((v + n) * 255);
    image[j] = q < 0 ? 0 : q > 255 ? 255 : q;
  }
  return {
    id: caseId(index),
    label: design.label,
    bodyPart: design.bodyPart,
    abnormality: design.abnormality,
    width: size,
    height: size,
    image,
    truth: opts.omitAbnormality ? null : truth,
  };
}

export function generatePhantomStudy(seed: number, count: number, opts: PhantomOptions = {}): PhantomCase[] {
  checkInt('count', count, 0, 1_000_000);
  return Array.from({ length: count }, (_, i) => generatePhantomCase(seed, i, opts));
}

/** For tests and tools: the seed the generator hashes (seed, index) into. */
export function caseSeed(seed: number, index: number): number {
  return hashSeed(seed, index, 1);
}
