import type { Box } from '../../../../state/db';
import type { Point, Size, View } from './geometry';

/** What the box tool may ask of the editor around it (the viewer in the app, a driver in tests). */
export interface ToolHost {
  view(): View;
  image(): Size | null;
  /** The current reader's boxes (the only ones the tool edits). */
  boxes(): Box[];
  selected(): string | null;
  select(id: string | null): void;
  /** The box being drawn, moved or resized, before it is committed; null clears it. */
  preview(box: Box | null): void;
  /** One finished edit: the new list of boxes (one undo step, written to storage). */
  commit(boxes: Box[]): void;
  panBy(dx: number, dy: number): void;
  setCursor(cursor: string): void;
  newId(): string;
}

/** A pointer event in screen (viewer) coordinates. */
export interface ToolPointer extends Point {
  /** 0 primary, 1 middle, 2 secondary. */
  button: number;
  shift?: boolean;
  /** The space bar is held (pan). */
  space?: boolean;
}

export type StateName = 'Idle' | 'Drawing' | 'Dragging' | 'Resizing' | 'Panning' | 'Keyboard';

/** One state of the tool: handlers return the next state, or nothing to stay. */
export interface ToolState {
  name: StateName;
  down?(p: ToolPointer): ToolState | void;
  move?(p: ToolPointer): ToolState | void;
  up?(p: ToolPointer): ToolState | void;
  /** Esc or a lost pointer: abandon the gesture. */
  cancel?(): ToolState | void;
}

export type StateFactory = { idle(): ToolState };
