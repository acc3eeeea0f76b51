import { CURSORS, hitBox, hitHandle } from './geometry';
import type { ToolHost, ToolPointer, ToolState } from './types';
import { drawing } from './Drawing';
import { dragging } from './Dragging';
import { resizing } from './Resizing';
import { panning } from './Panning';

/** Waiting: a press starts panning, resizing (on a handle of the selected box), dragging (on a box) or drawing. */
export function idle(host: ToolHost): ToolState {
  return {
    name: 'Idle',
    down(p: ToolPointer) {
      if (p.button === 1 || (p.button === 0 && p.space)) return panning(host, p);
      if (p.button !== 0 || !host.image()) return;
      const view = host.view();
      const boxes = host.boxes();
      const sel = boxes.find((b) => b.id === host.selected());
      const handle = sel ? hitHandle(view, sel, p) : null;
      if (sel && handle) return resizing(host, sel, handle, p);
      const hit = p.shift ? null : hitBox(view, boxes, p);
      if (hit) {
        host.select(hit.id);
        return dragging(host, hit, p);
      }
      return drawing(host, p);
    },
    move(p: ToolPointer) {
      if (p.space) return void host.setCursor('grab');
      const view = host.view();
      const boxes = host.boxes();
      const sel = boxes.find((b) => b.id === host.selected());
      const handle = sel ? hitHandle(view, sel, p) : null;
      host.setCursor(handle ? CURSORS[handle] : !p.shift && hitBox(view, boxes, p) ? 'move' : 'crosshair');
    },
  };
}
