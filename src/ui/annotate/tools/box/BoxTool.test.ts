import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { BoxTool } from './BoxTool';
import type { ToolHost, ToolPointer } from './types';
import type { View } from './geometry';
import { createAnnotationsStore, idbAnnotationIO, type AnnotationsStore } from '../../../../state/annotations';
import { openDatabase, type Box } from '../../../../state/db';

/** A headless driver: a view transform, a selection and a real annotations store; no Konva. */
function driver(view: View, img = { width: 2048, height: 2048 }) {
  const db = openDatabase(`tool-test-${Math.random()}`);
  const store: AnnotationsStore = createAnnotationsStore({ io: idbAnnotationIO(() => db), channel: null });
  let selected: string | null = null;
  let preview: Box | null = null;
  let ids = 0;
  const pans: Array<[number, number]> = [];
  const host: ToolHost = {
    view: () => view,
    image: () => img,
    boxes: () => store.getState().get('R1', 'c1').boxes,
    selected: () => selected,
    select: (id) => { selected = id; },
    preview: (b) => { preview = b; },
    commit: (boxes) => store.getState().setBoxes('R1', 'c1', boxes),
    panBy: (dx, dy) => { pans.push([dx, dy]); view.x += dx; view.y += dy; },
    setCursor: () => {},
    newId: () => `b${++ids}`,
  };
  const tool = new BoxTool(host);
  const at = (x: number, y: number, extra: Partial<ToolPointer> = {}): ToolPointer => ({ x, y, button: 0, ...extra });
  const drag = (from: [number, number], to: [number, number], extra: Partial<ToolPointer> = {}) => {
    tool.pointerDown(at(from[0], from[1], extra));
    tool.pointerMove(at((from[0] + to[0]) / 2, (from[1] + to[1]) / 2, extra));
    tool.pointerMove(at(to[0], to[1], extra));
    tool.pointerUp(at(to[0], to[1], extra));
  };
  return { tool, store, boxes: host.boxes, drag, at, pans, get selected() { return selected; }, get preview() { return preview; } };
}

const drivers: Array<ReturnType<typeof driver>> = [];
const make = (v: View, img?: { width: number; height: number }) => { const d = driver(v, img); drivers.push(d); return d; };
afterEach(async () => { while (drivers.length) { const d = drivers.pop()!; await d.store.getState().flush(); d.store.getState().dispose(); } });

// Zoomed in 4x and panned: screen = image * 4 + (-100, -40), so image = (screen + (100, 40)) / 4.
const zoomed = (): View => ({ scale: 4, x: -100, y: -40 });

describe('BoxTool (screen events through a zoom/pan transform, boxes stored in image pixels)', () => {
  it('draws a box by dragging and stores it in image pixel edges', () => {
    const d = make(zoomed());
    d.drag([100, 60], [180, 140]); // image (50, 25) -> (70, 45)
    expect(d.boxes()).toEqual([{ id: 'b1', x0: 50, y0: 25, x1: 70, y1: 45 }]);
    expect(d.selected).toBe('b1');
    expect(d.tool.state).toBe('Idle');
  });

  it('draws from any corner (dragging up-left gives the same box)', () => {
    const d = make(zoomed());
    d.drag([180, 140], [100, 60]);
    expect(d.boxes()).toEqual([{ id: 'b1', x0: 50, y0: 25, x1: 70, y1: 45 }]);
  });

  it('resizing while zoomed in moves only the dragged edge, exactly', () => {
    const d = make(zoomed());
    d.drag([100, 60], [180, 140]);
    // east handle: x = 70*4-100 = 180, y = 35*4-40 = 100; 40 screen px = 10 image px
    d.drag([180, 100], [220, 100]);
    expect(d.boxes()).toEqual([{ id: 'b1', x0: 50, y0: 25, x1: 80, y1: 45 }]);
    // north-west corner at screen (100, 60); (-8, -12) screen px = (-2, -3) image px
    d.drag([100, 60], [92, 48]);
    expect(d.boxes()).toEqual([{ id: 'b1', x0: 48, y0: 22, x1: 80, y1: 45 }]);
    // south handle: x mid = 64*4-100 = 156, y = 45*4-40 = 140; a vertical pull with sideways wobble moves y1 only
    d.drag([156, 140], [170, 146]); // 6 screen px = 1.5 image px -> rounds to 2
    expect(d.boxes()).toEqual([{ id: 'b1', x0: 48, y0: 22, x1: 80, y1: 47 }]);
  });

  it('an edge stops one pixel before the opposite edge and at the image border', () => {
    const d = make({ scale: 1, x: 0, y: 0 }, { width: 100, height: 80 });
    d.drag([10, 10], [30, 30]);
    d.drag([30, 20], [0, 20]); // east handle pulled far left
    expect(d.boxes()[0]).toMatchObject({ x0: 10, x1: 11, y0: 10, y1: 30 });
    d.drag([20 - 10 + 1, 30], [11, 500]); // south handle (x mid = 10.5) pulled below the image
    expect(d.boxes()[0]).toMatchObject({ y1: 80 });
  });

  it('moves a box by whole image pixels when zoomed out, keeping its size', () => {
    const d = make({ scale: 0.5, x: 10, y: 20 });
    d.drag([10 + 100 * 0.5, 20 + 100 * 0.5], [10 + 140 * 0.5, 20 + 160 * 0.5]); // image (100,100)-(140,160)
    expect(d.boxes()[0]).toMatchObject({ x0: 100, y0: 100, x1: 140, y1: 160 });
    d.drag([70, 85], [77, 80]); // inside; (+7, -5) screen = (+14, -10) image
    expect(d.boxes()[0]).toMatchObject({ x0: 114, y0: 90, x1: 154, y1: 150 });
  });

  it('Esc while drawing abandons the box and leaves the store alone', () => {
    const d = make(zoomed());
    d.tool.pointerDown(d.at(100, 60));
    d.tool.pointerMove(d.at(160, 120));
    expect(d.tool.state).toBe('Drawing');
    expect(d.preview).toEqual({ id: 'b1', x0: 50, y0: 25, x1: 65, y1: 40 });
    expect(d.tool.cancel()).toBe(true);
    expect(d.preview).toBeNull();
    d.tool.pointerUp(d.at(160, 120));
    expect(d.boxes()).toEqual([]);
    expect(d.tool.state).toBe('Idle');
  });

  it('a click without travel draws nothing and clears the selection', () => {
    const d = make(zoomed());
    d.drag([100, 60], [180, 140]);
    d.drag([400, 400], [401, 401]);
    expect(d.boxes()).toHaveLength(1);
    expect(d.selected).toBeNull();
  });

  it('nudges by 1 and 10 pixels, clamped at the border; deletes; undo and redo through the store', () => {
    const d = make({ scale: 1, x: 0, y: 0 }, { width: 100, height: 100 });
    d.drag([5, 5], [15, 25]);
    d.tool.nudge(1, 0);
    expect(d.boxes()[0]).toMatchObject({ x0: 6, y0: 5, x1: 16, y1: 25 });
    d.tool.nudge(0, -10);
    expect(d.boxes()[0]).toMatchObject({ x0: 6, y0: 0, x1: 16, y1: 20 });
    d.tool.nudge(-10, 0);
    expect(d.boxes()[0]).toMatchObject({ x0: 0, x1: 10 });
    d.tool.deleteSelected();
    expect(d.boxes()).toEqual([]);
    const s = d.store.getState();
    s.undo('R1', 'c1');
    expect(d.boxes()[0]).toMatchObject({ x0: 0, y0: 0, x1: 10, y1: 20 });
    s.redo('R1', 'c1');
    expect(d.boxes()).toEqual([]);
  });

  it('space + drag and the middle button pan without touching the boxes', () => {
    const d = make(zoomed());
    d.drag([10, 10], [40, 25], { space: true });
    expect(d.boxes()).toEqual([]);
    expect(d.pans.reduce((a, p) => [a[0] + p[0], a[1] + p[1]], [0, 0])).toEqual([30, 15]);
    d.drag([0, 0], [-5, 5], { button: 1 });
    expect(d.boxes()).toEqual([]);
    expect(d.tool.state).toBe('Idle');
  });

  it('Shift + drag inside a box draws a new box instead of moving it', () => {
    const d = make({ scale: 1, x: 0, y: 0 });
    d.drag([0, 0], [100, 100]);
    d.drag([20, 20], [40, 50], { shift: true });
    expect(d.boxes().map((b) => [b.x0, b.y0, b.x1, b.y1])).toEqual([[0, 0, 100, 100], [20, 20, 40, 50]]);
  });

  it('draws a box from the keyboard: starts at the view centre, arrows move, Shift+arrows resize, Enter keeps, Escape drops', () => {
    // fitted at half size: screen = image * 0.5 + (10, 20); the stage is 800 x 600
    const d = make({ scale: 0.5, x: 10, y: 20 });
    expect(d.tool.startKeyboardBox({ width: 800, height: 600 })).toBe(true);
    // centre (400, 300) -> image (780, 560); side 2048 / 8 = 256 -> top-left (652, 432)
    expect(d.preview).toEqual({ id: 'b1', x0: 652, y0: 432, x1: 908, y1: 688 });
    // a step is 8 screen px = 16 image px at this zoom
    d.tool.keyboardMove(1, 0);
    d.tool.keyboardMove(1, 0);
    d.tool.keyboardResize(0, 1);
    d.tool.keyboardResize(-1, 0);
    expect(d.boxes()).toEqual([]); // nothing stored before Enter
    expect(d.tool.commitKeyboardBox()).toBe(true);
    expect(d.boxes()).toEqual([{ id: 'b1', x0: 684, y0: 432, x1: 924, y1: 704 }]);
    expect(d.selected).toBe('b1');
    expect(d.preview).toBeNull();
    expect(d.tool.state).toBe('Idle');
    // Escape drops a draft; moves stop at the image edge
    d.tool.startKeyboardBox({ width: 800, height: 600 });
    for (let i = 0; i < 200; i++) d.tool.keyboardMove(-1, -1);
    expect(d.preview).toMatchObject({ x0: 0, y0: 0, x1: 256, y1: 256 });
    expect(d.tool.cancel()).toBe(true);
    expect(d.preview).toBeNull();
    expect(d.boxes()).toHaveLength(1);
    expect(d.tool.keyboardMove(1, 0)).toBe(false); // no draft: arrows fall back to nudging
  });
});
