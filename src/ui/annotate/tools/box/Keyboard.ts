import type { Box } from '../../../../state/db';
import { clamp, toImage, type Size, type View } from './geometry';
import type { ToolHost, ToolState } from './types';
import { idle } from './Idle';

/**
 * Drawing a box from the keyboard: the draft starts at the centre of the view (an eighth of the
 * image's shorter side, at least 4 px), arrows move it, Shift+arrows resize it (right/down grow,
 * left/up shrink, from the top-left corner), Enter commits it as one edit, Escape abandons it.
 * Steps are whole image pixels: about 8 screen pixels at the current zoom, at least 1.
 */
export interface KeyboardDraft extends ToolState {
  name: 'Keyboard';
  move2(dx: number, dy: number): void;
  resize(dw: number, dh: number): void;
  commit(): ToolState;
  draft(): Box;
}

export const keyboardStep = (v: View) => Math.max(1, Math.round(8 / v.scale));

export function startKeyboardBox(host: ToolHost, stage: Size): KeyboardDraft | null {
  const img = host.image();
  if (!img) return null;
  const v = host.view();
  const c = toImage(v, { x: stage.width / 2, y: stage.height / 2 });
  const side = Math.max(4, Math.round(Math.min(img.width, img.height) / 8));
  const w = Math.min(side, img.width), h = Math.min(side, img.height);
  const x0 = clamp(Math.round(c.x - w / 2), 0, img.width - w), y0 = clamp(Math.round(c.y - h / 2), 0, img.height - h);
  let box: Box = { id: host.newId(), x0, y0, x1: x0 + w, y1: y0 + h };
  host.select(null);
  host.preview(box);
  const show = (b: Box) => { box = b; host.preview(b); };
  const state: KeyboardDraft = {
    name: 'Keyboard',
    draft: () => box,
    move2(dx, dy) {
      const bw = box.x1 - box.x0, bh = box.y1 - box.y0;
      const nx = clamp(box.x0 + dx, 0, img.width - bw), ny = clamp(box.y0 + dy, 0, img.height - bh);
      show({ ...box, x0: nx, y0: ny, x1: nx + bw, y1: ny + bh });
    },
    resize(dw, dh) {
      const x1 = clamp(box.x1 + dw, box.x0 + 1, img.width), y1 = clamp(box.y1 + dh, box.y0 + 1, img.height);
      show({ ...box, x1, y1 });
    },
    commit() {
      host.preview(null);
      host.commit([...host.boxes(), box]);
      host.select(box.id);
      return idle(host);
    },
    cancel() {
      host.preview(null);
      return idle(host);
    },
  };
  return state;
}
