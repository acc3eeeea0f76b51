import { Group, Line } from 'react-konva';
import type { Polygon } from '../../state/db';
import { useEditor } from './editorStore';

/**
 * The reader's own polygon regions (imported from VIA or COCO) as outlines in image pixels: drawn,
 * not editable (passive, in Cornerstone's terms); they count in the consensus like boxes.
 */
export function PolygonLayer({ polygons, color }: { polygons: Polygon[]; color: string }) {
  const view = useEditor((s) => s.view);
  if (!polygons.length) return null;
  return (
    <Group x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale}>
      {polygons.map((q) => (
        <Line key={q.id} points={q.points.flat()} closed stroke={color} strokeWidth={2} strokeScaleEnabled={false} perfectDrawEnabled={false} />
      ))}
    </Group>
  );
}
