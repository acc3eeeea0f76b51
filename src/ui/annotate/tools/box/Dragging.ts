import type { Box } from '../../../../state/db';
import { moveBox } from './geometry';
import type { ToolHost, ToolPointer, ToolState } from './types';
import { idle } from './Idle';

/** Moving a box by whole image pixels; its size never changes. */
export function dragging(host: ToolHost, box: Box, start: ToolPointer): ToolState {
  const img = host.image()!;
  let current = box;
  const at = (p: ToolPointer) => {
    const s = host.view().scale;
    return moveBox(box, (p.x - start.x) / s, (p.y - start.y) / s, img);
  };
  return {
    name: 'Dragging',
    move(p) {
      current = at(p);
      host.preview(current);
    },
    up(p) {
      current = at(p);
      host.preview(null);
      if (current.x0 !== box.x0 || current.y0 !== box.y0) host.commit(host.boxes().map((b) => (b.id === box.id ? current : b)));
      return idle(host);
    },
    cancel() {
      host.preview(null);
      return idle(host);
    },
  };
}
