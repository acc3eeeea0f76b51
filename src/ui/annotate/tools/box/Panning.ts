import type { ToolHost, ToolPointer, ToolState } from './types';
import { idle } from './Idle';

/** Space + drag or the middle button: moves the view, never the boxes. */
export function panning(host: ToolHost, start: ToolPointer): ToolState {
  let last = { x: start.x, y: start.y };
  host.setCursor('grabbing');
  const step = (p: ToolPointer) => {
    host.panBy(p.x - last.x, p.y - last.y);
    last = { x: p.x, y: p.y };
  };
  return {
    name: 'Panning',
    move: step,
    up(p) {
      step(p);
      host.setCursor(p.space ? 'grab' : 'crosshair');
      return idle(host);
    },
    cancel: () => idle(host),
  };
}
