import { spanBox, toImage, type Point } from './geometry';
import type { ToolHost, ToolPointer, ToolState } from './types';
import { idle } from './Idle';

/** Screen pixels the pointer must travel before a press becomes a box (a click only deselects). */
export const MIN_DRAG = 3;

/** Dragging out a new box from the press point; Esc abandons it. */
export function drawing(host: ToolHost, start: ToolPointer): ToolState {
  const id = host.newId();
  const img = host.image()!;
  const a: Point = toImage(host.view(), start);
  let moved = false;
  return {
    name: 'Drawing',
    move(p) {
      if (Math.hypot(p.x - start.x, p.y - start.y) >= MIN_DRAG) moved = true;
      if (moved) host.preview(spanBox(id, a, toImage(host.view(), p), img));
    },
    up(p) {
      host.preview(null);
      const box = spanBox(id, a, toImage(host.view(), p), img);
      if (moved && box.x1 > box.x0 && box.y1 > box.y0) {
        host.commit([...host.boxes(), box]);
        host.select(id);
      } else if (!moved) host.select(null);
      return idle(host);
    },
    cancel() {
      host.preview(null);
      return idle(host);
    },
  };
}
