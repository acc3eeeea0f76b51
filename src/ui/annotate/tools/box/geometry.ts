import type { Box } from '../../../../state/db';

/** Screen = image * scale + (x, y). Screen means the viewer's own pixels (stage coordinates). */
export interface View { scale: number; x: number; y: number }
export interface Size { width: number; height: number }
export interface Point { x: number; y: number }
export type Handle = 'nw' | 'n' | 'ne' | 'e' | 'se' | 's' | 'sw' | 'w';
export const HANDLES: Handle[] = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w'];
/** Half the side of a handle square, in screen pixels. */
export const HANDLE_RADIUS = 5;

export const toImage = (v: View, p: Point): Point => ({ x: (p.x - v.x) / v.scale, y: (p.y - v.y) / v.scale });
export const toScreen = (v: View, p: Point): Point => ({ x: p.x * v.scale + v.x, y: p.y * v.scale + v.y });
export const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Screen position of a handle of a box. */
export function handlePoint(v: View, b: Box, h: Handle): Point {
  const x = h.includes('w') ? b.x0 : h.includes('e') ? b.x1 : (b.x0 + b.x1) / 2;
  const y = h.startsWith('n') ? b.y0 : h.startsWith('s') ? b.y1 : (b.y0 + b.y1) / 2;
  return toScreen(v, { x, y });
}

export function hitHandle(v: View, b: Box, p: Point, tol = HANDLE_RADIUS + 2): Handle | null {
  for (const h of HANDLES) {
    const q = handlePoint(v, b, h);
    if (Math.abs(q.x - p.x) <= tol && Math.abs(q.y - p.y) <= tol) return h;
  }
  return null;
}

/** The box under a screen point (inside, or within `tol` of its edge); the smallest wins. */
export function hitBox(v: View, boxes: Box[], p: Point, tol = 4): Box | null {
  let best: Box | null = null;
  let bestArea = Infinity;
  for (const b of boxes) {
    const a = toScreen(v, { x: b.x0, y: b.y0 });
    const c = toScreen(v, { x: b.x1, y: b.y1 });
    if (p.x >= a.x - tol && p.x <= c.x + tol && p.y >= a.y - tol && p.y <= c.y + tol) {
      const area = (b.x1 - b.x0) * (b.y1 - b.y0);
      if (area < bestArea) { best = b; bestArea = area; }
    }
  }
  return best;
}

/** A box spanned by two image points, snapped to pixel edges and clipped to the image. */
export function spanBox(id: string, a: Point, b: Point, img: Size): Box {
  const xs = [clamp(Math.round(a.x), 0, img.width), clamp(Math.round(b.x), 0, img.width)];
  const ys = [clamp(Math.round(a.y), 0, img.height), clamp(Math.round(b.y), 0, img.height)];
  return { id, x0: Math.min(xs[0], xs[1]), y0: Math.min(ys[0], ys[1]), x1: Math.max(xs[0], xs[1]), y1: Math.max(ys[0], ys[1]) };
}

/** Moves a box by whole image pixels, kept inside the image; its size never changes. */
export function moveBox(b: Box, dx: number, dy: number, img: Size): Box {
  const mx = clamp(Math.round(dx), -b.x0, img.width - b.x1);
  const my = clamp(Math.round(dy), -b.y0, img.height - b.y1);
  return { ...b, x0: b.x0 + mx, x1: b.x1 + mx, y0: b.y0 + my, y1: b.y1 + my };
}

/**
 * Moves only the edges a handle owns by (dx, dy) image pixels, snapped to a pixel edge; an edge
 * stops one pixel before the opposite edge and at the image border.
 */
export function resizeBox(b: Box, h: Handle, dx: number, dy: number, img: Size): Box {
  const out = { ...b };
  if (h.includes('w')) out.x0 = clamp(Math.round(b.x0 + dx), 0, b.x1 - 1);
  if (h.includes('e')) out.x1 = clamp(Math.round(b.x1 + dx), b.x0 + 1, img.width);
  if (h.startsWith('n')) out.y0 = clamp(Math.round(b.y0 + dy), 0, b.y1 - 1);
  if (h.startsWith('s')) out.y1 = clamp(Math.round(b.y1 + dy), b.y0 + 1, img.height);
  return out;
}

export const CURSORS: Record<Handle, string> = { nw: 'nwse-resize', se: 'nwse-resize', ne: 'nesw-resize', sw: 'nesw-resize', n: 'ns-resize', s: 'ns-resize', e: 'ew-resize', w: 'ew-resize' };
