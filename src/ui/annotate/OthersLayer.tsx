import { Group, Rect, Line } from 'react-konva';
import type { Box, Polygon } from '../../state/db';
import { useEditor } from './editorStore';
import { CONSENSUS_COLOR } from './colors';

export interface OtherReader { readerId: string; color: string; boxes: Box[]; polygons?: Polygon[] }

/** Coordinator view: the other readers' boxes and polygons (dashed, their colours) and the consensus contour. */
export function OthersLayer({ others, outline }: { others: OtherReader[]; outline: number[][] | null }) {
  const view = useEditor((s) => s.view);
  return (
    <Group x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale}>
      {others.flatMap((o) => o.boxes.map((b) => (
        <Rect key={`${o.readerId}:${b.id}`} x={b.x0} y={b.y0} width={b.x1 - b.x0} height={b.y1 - b.y0} stroke={o.color} strokeWidth={1.5} dash={[6, 4]} strokeScaleEnabled={false} perfectDrawEnabled={false} />
      )))}
      {others.flatMap((o) => (o.polygons ?? []).map((q) => (
        <Line key={`${o.readerId}:${q.id}`} points={q.points.flat()} closed stroke={o.color} strokeWidth={1.5} dash={[6, 4]} strokeScaleEnabled={false} perfectDrawEnabled={false} />
      )))}
      {outline?.map((s, i) => (
        <Line key={i} points={s} stroke="#000" strokeWidth={4} opacity={0.55} strokeScaleEnabled={false} perfectDrawEnabled={false} />
      ))}
      {outline?.map((s, i) => (
        <Line key={`c${i}`} points={s} stroke={CONSENSUS_COLOR} strokeWidth={2} strokeScaleEnabled={false} perfectDrawEnabled={false} />
      ))}
    </Group>
  );
}
