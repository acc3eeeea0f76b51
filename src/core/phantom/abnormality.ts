/**
 * Abnormalities, defined in the target bone's local frame (tl along the axis from its end a, d across):
 * a fracture (lucent line through the bone, displaced and angulated distal fragment), orthopaedic
 * hardware (a plate with screws, or external-fixator pins and bar; metal), and a lytic lesion
 * (an ill-defined hole). The renderer evaluates the bone with and without; the truth mask is the set
 * of pixels that changed.
 */
import { valueNoise, type Rng } from './rng';
import { attenuationLocal, radiusAt, type Placed } from './shapes';

export type AbnormalityKind = 'none' | 'fracture' | 'hardware' | 'lytic';

export interface FractureSpec {
  kind: 'fracture';
  tf: number; phi: number; width: number; jag: number; jagFreq: number;
  shift: number; angle: number; near: number; far: number; seed: number;
}
export interface LyticSpec {
  kind: 'lytic';
  tc: number; dc: number; a: number; b: number; depth: number; seed: number; f: number;
}
export interface PlateSpec {
  kind: 'plate';
  side: 1 | -1; t0: number; t1: number; thick: number; screws: number[]; screwR: number; pitch: number;
}
export interface FixatorSpec {
  kind: 'fixator';
  side: 1 | -1; pins: Array<{ t: number; tilt: number }>; pinR: number; ext: number; barR: number;
}
export type AbnormalitySpec = FractureSpec | LyticSpec | PlateSpec | FixatorSpec;

/** Metal attenuation (per pixel inside the metal): enough to saturate to near white. */
const METAL = 2.6;

export function specFor(kind: Exclude<AbnormalityKind, 'none'>, bone: Placed, size: number, rng: Rng): AbnormalitySpec {
  const L = bone.len;
  switch (kind) {
    case 'fracture': {
      const tf = L * rng.range(0.3, 0.7);
      const R = radiusAt(bone, tf);
      return {
        kind: 'fracture', tf,
        phi: rng.range(-0.6, 0.6),
        width: Math.max(1.5, size * rng.range(0.007, 0.011), 0.18 * R),
        jag: R * rng.range(0.1, 0.3),
        jagFreq: 1 / Math.max(1, R * 0.35),
        shift: rng.sign() * R * rng.range(0.3, 0.75),
        angle: rng.chance(0.55) ? rng.sign() * rng.range(0.07, 0.22) : 0,
        near: 1.5 * R, far: 4.5 * R,
        seed: (rng.next() * 0xffffffff) >>> 0,
      };
    }
    case 'lytic': {
      const tc = L * rng.range(0.22, 0.78);
      const R = radiusAt(bone, tc);
      const a = Math.max(R * rng.range(1.0, 1.9), size * 0.018);
      return {
        kind: 'lytic', tc, dc: R * rng.range(-0.3, 0.3), a, b: Math.max(R * rng.range(0.65, 0.95), size * 0.012),
        depth: rng.range(0.6, 0.85), seed: (rng.next() * 0xffffffff) >>> 0, f: 1 / Math.max(1, R * 0.3),
      };
    }
    case 'hardware': {
      const side = rng.sign();
      if (rng.chance(0.6)) {
        const span = L * rng.range(0.3, 0.5);
        const t0 = L * rng.range(0.15, 0.85 - span / L);
        const R = radiusAt(bone, t0 + span / 2);
        const n = Math.max(3, Math.min(8, Math.round(span / (2.4 * R))));
        const screws = Array.from({ length: n }, (_, k) => t0 + (k + 0.5) * (span / n));
        return { kind: 'plate', side, t0, t1: t0 + span, thick: Math.max(2, 0.38 * R), screws, screwR: Math.max(1.2, 0.2 * R), pitch: Math.max(2, 0.22 * R) };
      }
      const tA = L * rng.range(0.15, 0.3);
      const tB = L * rng.range(0.7, 0.85);
      const R = radiusAt(bone, (tA + tB) / 2);
      const gap = 2.2 * R;
      const pins = [tA, tA + gap, tB - gap, tB].map((t) => ({ t, tilt: rng.range(-0.2, 0.2) }));
      return { kind: 'fixator', side, pins, pinR: Math.max(1.2, 0.17 * R), ext: R * rng.range(6, 8), barR: Math.max(2, 0.45 * R) };
    }
  }
}

/** How far beyond the bone's box the abnormality can change pixels. */
export function spreadOf(spec: AbnormalitySpec, bone: Placed): number {
  switch (spec.kind) {
    case 'fracture': return Math.abs(spec.shift) + Math.abs(spec.angle) * spec.far + 2;
    case 'lytic': return 2;
    case 'plate': return spec.thick * 2 + radiusAt(bone, spec.t0) + 4;
    case 'fixator': return spec.ext + spec.barR * 3 + 4;
  }
}

function smoothstep(e0: number, e1: number, x: number): number {
  const t = x <= e0 ? 0 : x >= e1 ? 1 : (x - e0) / (e1 - e0);
  return t * t * (3 - 2 * t);
}

/** The target bone's attenuation at local (tl, d) with the abnormality (fracture, lytic); unchanged otherwise. */
export function boneWith(spec: AbnormalitySpec, p: Placed, tl: number, d: number): number {
  if (spec.kind === 'fracture') {
    const c = Math.cos(spec.phi);
    const s0 = Math.sin(spec.phi);
    const dt = tl - spec.tf;
    const q = -dt * s0 + d * c;
    const s = dt * c + d * s0 + spec.jag * 2 * (valueNoise(q * spec.jagFreq, 0.5, spec.seed) - 0.5);
    const half = spec.width / 2;
    if (s <= -half) return attenuationLocal(p, tl, d);
    // Distal fragment: shifted sideways and rotated about the fracture centre, fading out far away.
    const w = 1 - smoothstep(spec.near, spec.far, s);
    const ang = -spec.angle * w;
    const ca = Math.cos(ang);
    const sa = Math.sin(ang);
    const rt = ca * dt - sa * d;
    const rd = sa * dt + ca * d - spec.shift * w;
    const v = attenuationLocal(p, spec.tf + rt, rd);
    if (s >= half + 1) return v;
    // Lucent line: the bone is interrupted; a little callus-free gap with soft edges.
    const edge = s < half ? 0 : s - half;
    return v * (0.08 + 0.92 * edge);
  }
  if (spec.kind === 'lytic') {
    const dt = (tl - spec.tc) / spec.a;
    const dd = (d - spec.dc) / spec.b;
    const rho = Math.sqrt(dt * dt + dd * dd);
    if (rho > 1.5) return attenuationLocal(p, tl, d);
    const n = valueNoise(tl * spec.f, d * spec.f, spec.seed);
    const g = 1 - smoothstep(0.5, 1.15, rho + 0.35 * (n - 0.5));
    const moth = 0.75 + 0.5 * valueNoise(tl * spec.f * 2.3, d * spec.f * 2.3, spec.seed ^ 0x1234567);
    const depth = Math.min(0.95, spec.depth * moth);
    return attenuationLocal(p, tl, d) * (1 - depth * g);
  }
  return attenuationLocal(p, tl, d);
}

/** Metal attenuation at local (tl, d) for hardware specs (fixator pins reach the bar at sd = ext); 0 elsewhere. */
export function metalAt(spec: AbnormalitySpec, p: Placed, tl: number, d: number): number {
  if (spec.kind === 'plate') {
    const sd = spec.side * d;
    let m = 0;
    if (tl >= spec.t0 && tl <= spec.t1) {
      const R = radiusAt(p, tl);
      // Plate in profile on the cortex, with shallow notches between the screw holes.
      const u = sd - R;
      const notch = Math.min(...spec.screws.map((t) => Math.abs(tl - t))) > spec.screwR * 2.6 ? 0.8 : 1;
      const endTaper = Math.min(tl - spec.t0, spec.t1 - tl) < spec.thick ? 0.7 : 1;
      if (u >= -0.5 && u <= spec.thick * notch * endTaper) m += METAL * 0.85;
    }
    for (const t of spec.screws) {
      const dt = Math.abs(tl - t);
      if (dt > spec.screwR * 2.2) continue;
      const R = radiusAt(p, t);
      const top = R + spec.thick;
      if (sd > top && sd < top + spec.screwR * 1.4 && dt < spec.screwR * 2) {
        m += METAL; // head
      } else if (sd <= top && sd > -R * 1.12) {
        const phase = (((top - sd) / spec.pitch) % 1 + 1) % 1;
        const hw = spec.screwR * (0.75 + 0.45 * (phase < 0.5 ? phase * 2 : 2 - phase * 2));
        if (dt < hw) m += METAL;
      }
    }
    return m;
  }
  if (spec.kind === 'fixator') {
    const sd = spec.side * d;
    let m = 0;
    for (const pin of spec.pins) {
      const R = radiusAt(p, pin.t);
      const reach = spec.ext;
      // Pin axis: from the far cortex (sd = -1.05 R) out to the bar, tilted by `tilt`.
      const along = sd;
      if (along < -R * 1.05 || along > reach) continue;
      const centre = pin.t + Math.tan(pin.tilt) * along;
      const thread = along < R ? 0.85 + 0.3 * ((((along / (spec.pinR * 1.5)) % 1) + 1) % 1) : 1;
      if (Math.abs(tl - centre) < spec.pinR * thread) m += METAL;
      // Clamp where the pin meets the bar.
      if (along > reach - spec.barR * 2.2 && Math.abs(tl - centre) < spec.barR * 1.6) m += METAL * 0.6;
    }
    const barD = spec.ext;
    const first = spec.pins[0].t - spec.barR * 3;
    const last = spec.pins[spec.pins.length - 1].t + spec.barR * 3;
    if (Math.abs(sd - barD) < spec.barR && tl > first && tl < last) m += METAL;
    return m;
  }
  return 0;
}
