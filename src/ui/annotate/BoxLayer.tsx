import { Fragment } from 'react';
import { Rect, Text, Group } from 'react-konva';
import type { Box, ImageRecord } from '../../state/db';
import { useEditor } from './editorStore';
import { HANDLES, HANDLE_RADIUS, handlePoint, toScreen } from './tools/box/geometry';

/**
 * The current reader's boxes, the one being edited (preview) and the selected box's eight handles
 * and size. Only this layer subscribes to the preview, so a drag redraws only it.
 */
export function BoxLayer({ boxes, color, image }: { boxes: Box[]; color: string; image: ImageRecord | null }) {
  const view = useEditor((s) => s.view);
  const preview = useEditor((s) => s.preview);
  const selected = useEditor((s) => s.selected);
  if (!image) return null;
  const shown = preview ? (boxes.some((b) => b.id === preview.id) ? boxes.map((b) => (b.id === preview.id ? preview : b)) : [...boxes, preview]) : boxes;
  const sel = shown.find((b) => b.id === (preview?.id ?? selected));
  return (
    <Group>
      {shown.map((b) => {
        const a = toScreen(view, { x: b.x0, y: b.y0 });
        const isSel = b.id === sel?.id;
        return (
          <Fragment key={b.id}>
            <Rect x={a.x} y={a.y} width={(b.x1 - b.x0) * view.scale} height={(b.y1 - b.y0) * view.scale} stroke="#000" strokeWidth={isSel ? 4.5 : 3.5} opacity={0.5} perfectDrawEnabled={false} />
            <Rect x={a.x} y={a.y} width={(b.x1 - b.x0) * view.scale} height={(b.y1 - b.y0) * view.scale} stroke={color} strokeWidth={isSel ? 2.5 : 1.75} perfectDrawEnabled={false} />
          </Fragment>
        );
      })}
      {sel && HANDLES.map((h) => {
        const p = handlePoint(view, sel, h);
        return <Rect key={h} x={p.x - HANDLE_RADIUS} y={p.y - HANDLE_RADIUS} width={HANDLE_RADIUS * 2} height={HANDLE_RADIUS * 2} fill="#fff" stroke={color} strokeWidth={1.5} perfectDrawEnabled={false} />;
      })}
      {sel && (() => {
        const a = toScreen(view, { x: sel.x0, y: sel.y0 });
        const label = `${Math.round((sel.x1 - sel.x0) * 10) / 10} × ${Math.round((sel.y1 - sel.y0) * 10) / 10} px`;
        const y = a.y - 20 < 0 ? a.y + 6 : a.y - 20;
        return (
          <Group x={a.x} y={y}>
            <Rect width={label.length * 7 + 10} height={16} fill="rgba(0,0,0,0.7)" cornerRadius={3} />
            <Text x={5} y={2} text={label} fontSize={12} fontFamily="ui-monospace, monospace" fill="#fff" />
          </Group>
        );
      })()}
    </Group>
  );
}
