import { useEffect, useMemo, useRef } from 'react';
import { Layer, Image as KImage } from 'react-konva';
import type Konva from 'konva';
import type { ImageRecord } from '../../state/db';
import { useEditor } from './editorStore';
import { paintCanvas } from './grayRender';

/**
 * The grayscale image: painted once per image (and per window/level or invert change) into an
 * offscreen canvas through a lookup table; zoom and pan only move that canvas.
 */
export function ImageLayer({ image }: { image: ImageRecord | null }) {
  const view = useEditor((s) => s.view);
  const wl = useEditor((s) => s.wl);
  const invert = useEditor((s) => s.invert);
  const canvas = useMemo(() => document.createElement('canvas'), []);
  const node = useRef<Konva.Image>(null);
  const painted = useRef<{ image: ImageRecord | null; key: string }>({ image: null, key: '' });

  useEffect(() => {
    if (!image || !wl) return;
    let raf = 0;
    const key = `${wl.center}/${wl.width}/${invert}`;
    if (painted.current.image === image && painted.current.key === key) return;
    raf = requestAnimationFrame(() => {
      paintCanvas(canvas, image, wl, invert);
      painted.current = { image, key };
      node.current?.getLayer()?.batchDraw();
    });
    return () => cancelAnimationFrame(raf);
  }, [image, wl, invert, canvas]);

  return (
    <Layer listening={false} imageSmoothingEnabled={view.scale < 1.5}>
      {image && (
        <KImage ref={node} image={canvas} x={view.x} y={view.y} width={image.width * view.scale} height={image.height * view.scale} />
      )}
    </Layer>
  );
}
