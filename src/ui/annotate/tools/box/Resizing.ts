import type { Box } from '../../../../state/db';
import { resizeBox, type Handle } from './geometry';
import type { ToolHost, ToolPointer, ToolState } from './types';
import { idle } from './Idle';

/** Pulling one of the eight handles: only the edges that handle owns move, by the pointer's travel in image pixels. */
export function resizing(host: ToolHost, box: Box, handle: Handle, start: ToolPointer): ToolState {
  const img = host.image()!;
  const at = (p: ToolPointer) => {
    const s = host.view().scale;
    return resizeBox(box, handle, (p.x - start.x) / s, (p.y - start.y) / s, img);
  };
  return {
    name: 'Resizing',
    move(p) {
      host.preview(at(p));
    },
    up(p) {
      const next = at(p);
      host.preview(null);
      if (next.x0 !== box.x0 || next.x1 !== box.x1 || next.y0 !== box.y0 || next.y1 !== box.y1) host.commit(host.boxes().map((b) => (b.id === box.id ? next : b)));
      return idle(host);
    },
    cancel() {
      host.preview(null);
      return idle(host);
    },
  };
}
