import type { Shortcut } from '../common/shortcuts';

/** What the annotate page's keys do; the page supplies these, the registry below binds them. */
export interface AnnotateActions {
  nextCase(): void;
  prevCase(): void;
  nextUnfinished(): void;
  markDone(): void;
  noFinding(): void;
  undo(): void;
  redo(): void;
  deleteSelected(): boolean;
  nudge(dx: number, dy: number): boolean;
  /** Shift+arrows: resize the keyboard box being drawn, else nudge the selected box 10 px. */
  shiftArrow(dx: number, dy: number): boolean;
  startKeyboardBox(): boolean;
  commitKeyboardBox(): boolean;
  escape(): boolean;
  selectNext(): boolean;
  zoomIn(): void;
  zoomOut(): void;
  fit(): void;
  reset(): void;
  invert(): void;
  toggleConsensus(): void;
  toggleOverlay(): void;
}

/** The annotate page's one table of keys. The hotkey overlay (?) is generated from it. */
export function annotateShortcuts(a: AnnotateActions): Shortcut[] {
  const nudge = (dx: number, dy: number) => () => a.nudge(dx, dy);
  const shift = (dx: number, dy: number) => () => a.shiftArrow(dx, dy);
  return [
    { id: 'case.next', group: 'Worklist', label: 'Next case', kbd: ['N', 'PageDown'], run: a.nextCase },
    { id: 'case.prev', group: 'Worklist', label: 'Previous case', kbd: ['P', 'PageUp'], run: a.prevCase },
    { id: 'case.unfinished', group: 'Worklist', label: 'Jump to the next unfinished case', kbd: ['U'], run: a.nextUnfinished },
    { id: 'case.done', group: 'Worklist', label: 'Mark case done (toggle)', kbd: ['D'], run: a.markDone },
    { id: 'case.nofinding', group: 'Worklist', label: 'No abnormality found (toggle)', kbd: ['0'], run: a.noFinding },
    { id: 'edit.undo', group: 'Boxes', label: 'Undo', kbd: ['Mod+Z'], run: a.undo },
    { id: 'edit.redo', group: 'Boxes', label: 'Redo', kbd: ['Mod+Shift+Z', 'Mod+Y'], run: a.redo },
    { id: 'box.delete', group: 'Boxes', label: 'Delete the selected box', kbd: ['Delete', 'Backspace'], run: a.deleteSelected },
    { id: 'box.next', group: 'Boxes', label: 'Select the next box', kbd: ['S'], run: a.selectNext },
    { id: 'box.keyboard.start', group: 'Boxes', label: 'New box at the centre of the view (then arrows move it, Shift+arrows resize it, Enter keeps it, Esc drops it)', kbd: ['B'], run: a.startKeyboardBox },
    { id: 'box.keyboard.commit', group: 'Boxes', label: 'Keep the box drawn from the keyboard', kbd: ['Enter'], run: a.commitKeyboardBox },
    { id: 'box.nudge.left', group: 'Boxes', label: 'Nudge left 1 px (a new box: move it left)', kbd: ['ArrowLeft'], run: nudge(-1, 0) },
    { id: 'box.nudge.right', group: 'Boxes', label: 'Nudge right 1 px (a new box: move it right)', kbd: ['ArrowRight'], run: nudge(1, 0) },
    { id: 'box.nudge.up', group: 'Boxes', label: 'Nudge up 1 px (a new box: move it up)', kbd: ['ArrowUp'], run: nudge(0, -1) },
    { id: 'box.nudge.down', group: 'Boxes', label: 'Nudge down 1 px (a new box: move it down)', kbd: ['ArrowDown'], run: nudge(0, 1) },
    { id: 'box.nudge.left10', group: 'Boxes', label: 'Nudge left 10 px (a new box: narrower)', kbd: ['Shift+ArrowLeft'], run: shift(-1, 0) },
    { id: 'box.nudge.right10', group: 'Boxes', label: 'Nudge right 10 px (a new box: wider)', kbd: ['Shift+ArrowRight'], run: shift(1, 0) },
    { id: 'box.nudge.up10', group: 'Boxes', label: 'Nudge up 10 px (a new box: shorter)', kbd: ['Shift+ArrowUp'], run: shift(0, -1) },
    { id: 'box.nudge.down10', group: 'Boxes', label: 'Nudge down 10 px (a new box: taller)', kbd: ['Shift+ArrowDown'], run: shift(0, 1) },
    { id: 'box.cancel', group: 'Boxes', label: 'Cancel the box being drawn; deselect; close this list', kbd: ['Escape'], run: a.escape },
    { id: 'view.zoomin', group: 'View', label: 'Zoom in', kbd: ['+', '='], run: a.zoomIn },
    { id: 'view.zoomout', group: 'View', label: 'Zoom out', kbd: ['-'], run: a.zoomOut },
    { id: 'view.fit', group: 'View', label: 'Fit image to view', kbd: ['F'], run: a.fit },
    { id: 'view.reset', group: 'View', label: 'Reset view, window/level and invert', kbd: ['R'], run: a.reset },
    { id: 'view.invert', group: 'View', label: 'Invert', kbd: ['I'], run: a.invert },
    { id: 'view.pan', group: 'View', label: 'Hold and drag to pan', kbd: ['Space'] },
    { id: 'view.consensus', group: 'View', label: 'Consensus contour on/off (coordinator view)', kbd: ['C'], run: a.toggleConsensus },
    { id: 'help.keys', group: 'Help', label: 'Show or hide this list', kbd: ['?'], run: a.toggleOverlay },
  ];
}

/** Pointer gestures, listed under the keys in the overlay. */
export const POINTER_GESTURES: Array<{ gesture: string; label: string }> = [
  { gesture: 'Drag on the image', label: 'Draw a box' },
  { gesture: 'Drag a box / a handle', label: 'Move it / resize that edge (eight handles)' },
  { gesture: 'Shift + drag', label: 'Draw a box even inside another box' },
  { gesture: 'Wheel', label: 'Zoom about the pointer' },
  { gesture: 'Space + drag, middle button drag', label: 'Pan' },
];
