import type { Box } from '../../../../state/db';
import { moveBox } from './geometry';
import type { StateName, ToolHost, ToolPointer, ToolState } from './types';
import { idle } from './Idle';
import { keyboardStep, startKeyboardBox, type KeyboardDraft } from './Keyboard';
import type { Size } from './geometry';

/**
 * The box tool: a small state machine (Idle, Drawing, Dragging, Resizing, Panning; one file each)
 * fed with pointer events in screen coordinates. It knows nothing of Konva or React: the viewer
 * forwards events and the tool talks back through its host. Keyboard edits (nudge, delete, select
 * next) are methods, called from the shortcut registry.
 */
export class BoxTool {
  private current: ToolState;
  constructor(private readonly host: ToolHost) {
    this.current = idle(host);
  }
  get state(): StateName {
    return this.current.name;
  }
  private go(next: ToolState | void) {
    if (next) this.current = next;
  }
  pointerDown(p: ToolPointer) { this.go(this.current.down?.(p)); }
  pointerMove(p: ToolPointer) { this.go(this.current.move?.(p)); }
  pointerUp(p: ToolPointer) { this.go(this.current.up?.(p)); }
  /** Esc: abandons a gesture in progress (true), else clears the selection (true if there was one). */
  cancel(): boolean {
    if (this.current.name !== 'Idle') {
      this.go(this.current.cancel?.() ?? idle(this.host));
      return true;
    }
    if (this.host.selected()) {
      this.host.select(null);
      return true;
    }
    return false;
  }
  /** B: starts a box at the centre of the view (stage size in screen pixels); false when no image or busy. */
  startKeyboardBox(stage: Size): boolean {
    if (this.current.name !== 'Idle') return false;
    const s = startKeyboardBox(this.host, stage);
    if (!s) return false;
    this.current = s;
    return true;
  }
  private get draft(): KeyboardDraft | null {
    return this.current.name === 'Keyboard' ? (this.current as KeyboardDraft) : null;
  }
  /** Arrows while a keyboard box is drafted: move it by `steps` steps (false when there is none). */
  keyboardMove(sx: number, sy: number): boolean {
    const d = this.draft;
    if (!d) return false;
    const k = keyboardStep(this.host.view());
    d.move2(sx * k, sy * k);
    return true;
  }
  /** Shift+arrows while a keyboard box is drafted: grow (right/down) or shrink (left/up) it. */
  keyboardResize(sx: number, sy: number): boolean {
    const d = this.draft;
    if (!d) return false;
    const k = keyboardStep(this.host.view());
    d.resize(sx * k, sy * k);
    return true;
  }
  /** Enter: commits the keyboard box as one edit (false when there is none). */
  commitKeyboardBox(): boolean {
    const d = this.draft;
    if (!d) return false;
    this.current = d.commit();
    return true;
  }
  private selectedBox(): Box | undefined {
    const id = this.host.selected();
    return id ? this.host.boxes().find((b) => b.id === id) : undefined;
  }
  /** Arrow keys: moves the selected box by whole image pixels. */
  nudge(dx: number, dy: number): boolean {
    const b = this.selectedBox();
    const img = this.host.image();
    if (!b || !img || this.current.name !== 'Idle') return false;
    const moved = moveBox(b, dx, dy, img);
    if (moved.x0 !== b.x0 || moved.y0 !== b.y0) this.host.commit(this.host.boxes().map((x) => (x.id === b.id ? moved : x)));
    return true;
  }
  deleteSelected(): boolean {
    const b = this.selectedBox();
    if (!b || this.current.name !== 'Idle') return false;
    this.host.commit(this.host.boxes().filter((x) => x.id !== b.id));
    this.host.select(null);
    return true;
  }
  /** Selects the next box in drawing order (wraps). */
  selectNext(): boolean {
    const boxes = this.host.boxes();
    if (!boxes.length) return false;
    const i = boxes.findIndex((b) => b.id === this.host.selected());
    this.host.select(boxes[(i + 1) % boxes.length].id);
    return true;
  }
}
