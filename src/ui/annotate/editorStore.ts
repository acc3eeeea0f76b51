import { createStore, useStore } from 'zustand';
import type { Box } from '../../state/db';
import type { View } from './tools/box/geometry';

/**
 * The annotate page's view slice: zoom/pan, window/level, selection and the box being edited.
 * Lives outside React (the tool and the shortcut registry change it); views select single fields,
 * so a preview change redraws only the box layer.
 */
export interface WindowLevel { center: number; width: number }
export interface EditorState {
  view: View;
  /** Stage size in screen pixels. */
  stage: { width: number; height: number };
  /** True while the view is the fitted one (it refits when the stage resizes). */
  fitted: boolean;
  wl: WindowLevel | null;
  invert: boolean;
  selected: string | null;
  preview: Box | null;
  cursor: string;
  showConsensus: boolean;
  showOthers: boolean;
  overlay: boolean;
  /** A short message for the reader (what a key did, why it did nothing). */
  toast: { text: string; at: number } | null;
  set(patch: Partial<EditorState>): void;
  say(text: string): void;
}

export function createEditorStore() {
  return createStore<EditorState>()((set) => ({
    view: { scale: 1, x: 0, y: 0 },
    stage: { width: 800, height: 600 },
    fitted: true,
    wl: null,
    invert: false,
    selected: null,
    preview: null,
    cursor: 'crosshair',
    showConsensus: true,
    showOthers: true,
    overlay: false,
    toast: null,
    set: (patch) => set(patch),
    say: (text) => set({ toast: { text, at: Date.now() } }),
  }));
}

export const editorStore = createEditorStore();
export function useEditor<T>(selector: (s: EditorState) => T): T {
  return useStore(editorStore, selector);
}

/** The view that fits an image into the stage with a small margin, centred. */
export function fitView(img: { width: number; height: number }, stage: { width: number; height: number }, margin = 8): View {
  const scale = Math.max(1e-3, Math.min((stage.width - 2 * margin) / img.width, (stage.height - 2 * margin) / img.height));
  return { scale, x: (stage.width - img.width * scale) / 2, y: (stage.height - img.height * scale) / 2 };
}

/** Zooms by `factor` about a screen point (the pointer, or the stage centre). */
export function zoomAbout(v: View, factor: number, at: { x: number; y: number }): View {
  const scale = Math.min(64, Math.max(0.02, v.scale * factor));
  const k = scale / v.scale;
  return { scale, x: at.x - (at.x - v.x) * k, y: at.y - (at.y - v.y) * k };
}
