/**
 * Anatomy of the phantoms: each body part is a list of shapes in a canonical frame (unit square,
 * long axis vertical, y down, x = 0.5 the limb's midline), later placed by a similarity transform.
 *
 * A shape is a capsule with a radius that varies along its axis: soft tissue (a solid, water-like
 * envelope) or bone (a hollow tube: dense cortex around a trabecular medulla, with flared ends).
 */
import type { Rng } from './rng';

export type BodyPart = 'forearm' | 'hand' | 'finger' | 'humerus' | 'wrist' | 'elbow' | 'shoulder';

/** The parts the generator draws (the seven MURA parts minus shoulder). */
export const PHANTOM_PARTS: readonly BodyPart[] = ['forearm', 'hand', 'finger', 'humerus', 'wrist', 'elbow'];

export interface Shape {
  kind: 'tissue' | 'bone';
  ax: number; ay: number; bx: number; by: number;
  /** Radius at a and at b (linear in between), before end flare. */
  ra: number; rb: number;
  /** Radius multiplier at each end (epiphysis, condyles); 1 = none. */
  flareA: number; flareB: number;
  /** Cortical thickness as a fraction of the shaft radius (bones). */
  cortex: number;
  /** Attenuation multiplier (bones: density; tissue: thickness scale). */
  density: number;
  /** Sideways bow of the shaft, as a fraction of its length. */
  bow: number;
  /** True for long tubular bones where a fracture, plate or lesion belongs. */
  long: boolean;
  /** Texture seed. */
  tex: number;
  name: string;
}

function bone(name: string, ax: number, ay: number, bx: number, by: number, r: number, o: Partial<Shape> = {}): Shape {
  return { kind: 'bone', ax, ay, bx, by, ra: r, rb: r, flareA: 1, flareB: 1, cortex: 0.3, density: 1, bow: 0, long: false, tex: 0, name, ...o };
}

function tissue(name: string, ax: number, ay: number, bx: number, by: number, ra: number, rb: number, density = 1): Shape {
  return { kind: 'tissue', ax, ay, bx, by, ra, rb, flareA: 1, flareB: 1, cortex: 0, density, bow: 0, long: false, tex: 0, name };
}

/** A small rounded carpal or sesamoid bone. */
function blob(name: string, x: number, y: number, r: number, angle: number, elong: number): Shape {
  const dx = Math.cos(angle) * r * elong;
  const dy = Math.sin(angle) * r * elong;
  return bone(name, x - dx, y - dy, x + dx, y + dy, r, { cortex: 0.22, density: 0.95 });
}

/** A ray of phalanges from (x, y) along angle `ang` (radians, 0 = up), with joint gaps. */
function ray(name: string, x: number, y: number, ang: number, lengths: number[], radii: number[], gap: number, out: Shape[]): { x: number; y: number } {
  const ux = Math.sin(ang);
  const uy = -Math.cos(ang);
  let cx = x;
  let cy = y;
  lengths.forEach((len, i) => {
    const r = radii[i];
    const ex = cx + ux * len;
    const ey = cy + uy * len;
    const last = i === lengths.length - 1;
    out.push(bone(`${name}${i + 1}`, cx, cy, ex, ey, r, {
      flareA: 1.55, flareB: last ? 1.05 : 1.35, cortex: 0.34, long: len > 0.07, bow: 0,
      rb: last ? r * 0.75 : r,
    }));
    cx = ex + ux * gap;
    cy = ey + uy * gap;
  });
  return { x: cx, y: cy };
}

function carpals(cx: number, cy: number, s: number, rng: Rng, out: Shape[]): void {
  // Proximal row (scaphoid, lunate, triquetrum, pisiform) and distal row (trapezium, trapezoid, capitate, hamate).
  const prox: Array<[number, number, number, number]> = [[-0.09, 0.02, 0.034, 0.9], [-0.02, 0.03, 0.03, 0.2], [0.05, 0.02, 0.027, 0.3], [0.075, 0.035, 0.018, 0]];
  const dist: Array<[number, number, number, number]> = [[-0.1, -0.05, 0.027, 0.4], [-0.05, -0.06, 0.022, 0.1], [0.0, -0.055, 0.03, 1.5], [0.055, -0.05, 0.028, 1.3]];
  for (const [i, [dx, dy, r, a]] of [...prox, ...dist].entries()) {
    out.push(blob(`carpal${i}`, cx + dx * s + rng.range(-0.003, 0.003) * s, cy + dy * s, r * s, a, 0.45));
  }
}

/** Builds the canonical-frame shapes of one body part; `rng` varies proportions a little. */
export function buildAnatomy(part: BodyPart, rng: Rng): Shape[] {
  const out: Shape[] = [];
  const j = () => rng.range(0.94, 1.06);
  switch (part) {
    case 'forearm': {
      out.push(tissue('arm', 0.5, -0.15, 0.49, 1.15, 0.2 * j(), 0.15 * j()));
      out.push(bone('humerus', 0.52, -0.35, 0.52, 0.0, 0.05, { flareB: 2.1, long: false }));
      out.push(bone('ulna', 0.58, 0.06, 0.56, 0.93, 0.03 * j(), { rb: 0.022, flareA: 1.8, flareB: 1.4, long: true, bow: 0.01 }));
      out.push(bone('radius', 0.47, 0.1, 0.42, 0.94, 0.026 * j(), { rb: 0.03, flareA: 1.35, flareB: 1.9, long: true, bow: -0.025 }));
      carpals(0.48, 1.04, 0.9, rng, out);
      break;
    }
    case 'humerus': {
      out.push(tissue('arm', 0.5, -0.1, 0.5, 1.1, 0.3 * j(), 0.24 * j()));
      out.push(bone('head', 0.47, 0.0, 0.48, 0.04, 0.085, { cortex: 0.15, density: 0.95 }));
      out.push(bone('humerus', 0.49, 0.05, 0.5, 0.88, 0.045 * j(), { flareA: 1.6, flareB: 2.0, long: true, bow: 0.01, cortex: 0.33 }));
      out.push(bone('ulna', 0.54, 0.95, 0.55, 1.4, 0.03, { flareA: 1.8 }));
      out.push(bone('radius', 0.43, 0.97, 0.42, 1.4, 0.026, { flareA: 1.35 }));
      out.push(bone('glenoid', 0.3, -0.12, 0.36, 0.05, 0.04, { flareB: 1.6, cortex: 0.2, density: 0.8 }));
      break;
    }
    case 'elbow': {
      out.push(tissue('arm', 0.5, -0.2, 0.5, 1.2, 0.3 * j(), 0.26 * j()));
      out.push(bone('humerus', 0.5, -0.4, 0.5, 0.42, 0.07 * j(), { flareB: 2.0, long: true, cortex: 0.3 }));
      out.push(bone('olecranon', 0.58, 0.36, 0.58, 0.46, 0.05, { cortex: 0.2, density: 0.9 }));
      out.push(bone('ulna', 0.57, 0.5, 0.55, 1.4, 0.05 * j(), { rb: 0.035, flareA: 1.5, long: true }));
      out.push(bone('radius', 0.4, 0.53, 0.38, 1.4, 0.038 * j(), { flareA: 1.45, long: true }));
      break;
    }
    case 'wrist': {
      const s = 1.9;
      out.push(tissue('forearm', 0.5, 0.55, 0.5, 1.3, 0.3 * j(), 0.32 * j()));
      out.push(tissue('palm', 0.5, -0.2, 0.5, 0.5, 0.38 * j(), 0.3 * j()));
      out.push(bone('radius', 0.4, 1.4, 0.4, 0.67, 0.055 * j(), { flareB: 1.9, long: true, cortex: 0.28 }));
      out.push(bone('ulna', 0.66, 1.4, 0.64, 0.7, 0.04 * j(), { flareB: 1.35, long: true, cortex: 0.3 }));
      carpals(0.5, 0.5, s, rng, out);
      const mx = [0.29, 0.39, 0.5, 0.6, 0.69];
      mx.forEach((x, i) => {
        if (i === 0) out.push(bone('mc1', 0.3, 0.3, 0.13, -0.05, 0.036, { flareA: 1.35, long: true, cortex: 0.32 }));
        else out.push(bone(`mc${i + 1}`, x + 0.01, 0.3, x + (i - 2.5) * 0.04, -0.3, 0.03 * j(), { flareA: 1.4, long: true, cortex: 0.34 }));
      });
      break;
    }
    case 'hand': {
      out.push(tissue('wrist', 0.5, 1.2, 0.5, 0.85, 0.16, 0.17, 0.6));
      out.push(tissue('palm', 0.5, 0.88, 0.5, 0.7, 0.16 * j(), 0.17 * j(), 0.55));
      out.push(bone('radius', 0.43, 1.2, 0.43, 0.92, 0.03, { flareB: 1.8, cortex: 0.3 }));
      out.push(bone('ulna', 0.57, 1.2, 0.56, 0.93, 0.022, { flareB: 1.3, cortex: 0.3 }));
      carpals(0.5, 0.86, 1.0, rng, out);
      const bases = [0.43, 0.49, 0.55, 0.61];
      const spread = [-0.12, -0.02, 0.07, 0.16];
      const lens = [[0.2, 0.12, 0.08, 0.06], [0.21, 0.13, 0.09, 0.065], [0.2, 0.125, 0.085, 0.062], [0.18, 0.1, 0.065, 0.055]];
      bases.forEach((bx, i) => {
        const ang = spread[i] * j();
        const L = lens[i].map((v) => v * j());
        const tipR = 0.016;
        ray(`d${i + 2}-`, bx, 0.8, ang, L, [0.017, 0.015, 0.0125, 0.011], 0.012, out);
        const ux = Math.sin(ang);
        const uy = -Math.cos(ang);
        const total = L.reduce((a, b) => a + b, 0) + 0.036;
        out.push(tissue(`finger${i + 2}`, bx + ux * L[0] * 0.6, 0.8 + uy * L[0] * 0.6, bx + ux * (total - 0.005), 0.8 + uy * (total - 0.005), 0.036, tipR + 0.007, 2.2));
      });
      const tang = -0.75 * j();
      const tl = [0.13, 0.09, 0.065];
      ray('d1-', 0.39, 0.83, tang, tl, [0.019, 0.016, 0.013], 0.012, out);
      const ux = Math.sin(tang);
      const uy = -Math.cos(tang);
      out.push(tissue('thumb', 0.39, 0.83, 0.39 + ux * 0.3, 0.83 + uy * 0.3, 0.045, 0.024, 1.8));
      break;
    }
    case 'finger': {
      const s = 2.6;
      const L = [0.2, 0.13, 0.085].map((v) => v * s * j());
      out.push(tissue('finger', 0.5, 1.2, 0.5, 1.1 - (0.2 + L[0] + L[1] + L[2] + 0.06), 0.1 * j(), 0.075));
      ray('mc', 0.5, 1.25, 0, [0.17 * s * 0.8], [0.02 * s], 0.012 * s, out);
      const start = 1.25 - 0.17 * s * 0.8 - 0.012 * s;
      ray('p', 0.5, start, rng.range(-0.04, 0.04), L, [0.017 * s, 0.015 * s, 0.012 * s], 0.01 * s, out);
      // Neighbouring fingers at the edges of the field.
      for (const side of [-1, 1]) {
        const x = 0.5 + side * 0.3;
        out.push(tissue('nb', x, 1.2, x + side * 0.02, 0.1, 0.085, 0.07));
        ray('nb', x, 1.25, side * 0.03, [0.45, 0.33], [0.04, 0.036], 0.03, out);
      }
      break;
    }
    case 'shoulder': {
      out.push(tissue('shoulder', 0.55, -0.1, 0.55, 1.1, 0.4, 0.35));
      out.push(bone('head', 0.52, 0.25, 0.54, 0.3, 0.15, { cortex: 0.15 }));
      out.push(bone('humerus', 0.55, 0.3, 0.6, 1.3, 0.07, { flareA: 1.6, long: true }));
      out.push(bone('glenoid', 0.2, 0.1, 0.33, 0.3, 0.06, { flareB: 1.5, cortex: 0.2 }));
      break;
    }
  }
  for (const s of out) s.tex = (rng.next() * 0xffffffff) >>> 0;
  return out;
}
