import { useEffect, useRef } from 'react';
import { Stage, Layer } from 'react-konva';
import type { Box, ImageRecord, Polygon } from '../../state/db';
import { isTextEntry } from '../common/shortcuts';
import { editorStore, fitView, useEditor, zoomAbout } from './editorStore';
import { ImageLayer } from './ImageLayer';
import { BoxLayer } from './BoxLayer';
import { OthersLayer, type OtherReader } from './OthersLayer';
import { PolygonLayer } from './PolygonLayer';
import type { BoxTool } from './tools/box/BoxTool';
import type { ToolPointer } from './tools/box/types';

export interface ViewerProps {
  /** What the viewer shows, for assistive technology (the case's name). */
  label?: string;
  image: ImageRecord | null;
  boxes: Box[];
  /** The reader's own polygons (imported; drawn, not edited). */
  polygons?: Polygon[];
  color: string;
  others: OtherReader[];
  outline: number[][] | null;
  tool: BoxTool;
}

/**
 * The image viewer: a Konva stage with three layers (image, other readers + consensus, own boxes).
 * Pointer events go from the container straight to the box tool in screen coordinates; the wheel
 * zooms about the pointer; holding space turns a drag into a pan.
 */
export function Viewer({ label, image, boxes, polygons, color, others, outline, tool }: ViewerProps) {
  const ref = useRef<HTMLDivElement>(null);
  const space = useRef(false);
  const stage = useEditor((s) => s.stage);
  const cursor = useEditor((s) => s.cursor);
  const view = useEditor((s) => s.view);

  // stage size follows the container; the fitted view refits
  useEffect(() => {
    const el = ref.current!;
    const ro = new ResizeObserver(() => {
      const size = { width: Math.max(50, el.clientWidth), height: Math.max(50, el.clientHeight) };
      const st = editorStore.getState();
      const patch: Parameters<typeof st.set>[0] = { stage: size };
      if (st.fitted && image) patch.view = fitView(image, size);
      st.set(patch);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [image]);

  // a new image starts fitted
  useEffect(() => {
    if (!image) return;
    const st = editorStore.getState();
    st.set({ view: fitView(image, st.stage), fitted: true });
  }, [image]);

  // wheel zoom (non-passive, so the page does not scroll)
  useEffect(() => {
    const el = ref.current!;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = el.getBoundingClientRect();
      const st = editorStore.getState();
      const factor = Math.exp(-Math.max(-100, Math.min(100, e.deltaY)) * 0.002);
      st.set({ view: zoomAbout(st.view, factor, { x: e.clientX - r.left, y: e.clientY - r.top }), fitted: false });
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, []);

  // space held = pan mode
  useEffect(() => {
    const down = (e: KeyboardEvent) => {
      if (e.key !== ' ' || isTextEntry(e.target)) return;
      e.preventDefault();
      if (!space.current) { space.current = true; if (tool.state === 'Idle') editorStore.getState().set({ cursor: 'grab' }); }
    };
    const up = (e: KeyboardEvent) => {
      if (e.key !== ' ') return;
      if (!isTextEntry(e.target)) e.preventDefault();
      space.current = false;
      if (tool.state === 'Idle') editorStore.getState().set({ cursor: 'crosshair' });
    };
    const blur = () => { space.current = false; };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    window.addEventListener('blur', blur);
    return () => { window.removeEventListener('keydown', down); window.removeEventListener('keyup', up); window.removeEventListener('blur', blur); };
  }, [tool]);

  const pointer = (e: React.PointerEvent): ToolPointer => {
    const r = ref.current!.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top, button: e.button, shift: e.shiftKey, space: space.current };
  };

  return (
    <div
      ref={ref}
      className="viewer"
      data-testid="viewer"
      role="application"
      aria-roledescription="image viewer"
      aria-label={`${label ? `Case ${label}` : 'No case open'}: ${boxes.length} box(es) of yours. Drag to draw a box, or press B for a box at the centre, arrows to move it, Shift+arrows to resize, Enter to keep it. Press ? for every key.`}
      tabIndex={0}
      data-view={`${view.scale},${view.x},${view.y}`}
      data-consensus-segments={outline ? outline.length : 0}
      style={{ cursor }}
      onPointerDown={(e) => {
        if (e.button === 1) e.preventDefault();
        (document.activeElement as HTMLElement | null)?.blur?.();
        ref.current!.setPointerCapture(e.pointerId);
        tool.pointerDown(pointer(e));
      }}
      onPointerMove={(e) => {
        const p = pointer(e);
        p.button = e.buttons & 4 ? 1 : e.buttons & 2 ? 2 : 0;
        tool.pointerMove(p);
      }}
      onPointerUp={(e) => tool.pointerUp(pointer(e))}
      onPointerCancel={() => tool.cancel()}
      onMouseDown={(e) => { if (e.button === 1) e.preventDefault(); }}
      onContextMenu={(e) => e.preventDefault()}
    >
      <Stage width={stage.width} height={stage.height} listening={false}>
        <ImageLayer image={image} />
        <Layer listening={false}>
          <OthersLayer others={others} outline={outline} />
        </Layer>
        <Layer listening={false}>
          <PolygonLayer polygons={polygons ?? []} color={color} />
          <BoxLayer boxes={boxes} color={color} image={image} />
        </Layer>
      </Stage>
    </div>
  );
}
