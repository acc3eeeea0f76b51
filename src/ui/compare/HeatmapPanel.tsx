import { useEffect, useMemo, useRef } from 'react';
import { compareStore, useCompare } from '../../state/trust';
import type { ComputeMapResult } from '../../worker/api/saliency';
import { drawPanel, heatLayer, panelTransform, type Overlay } from './render';

export const PANEL_SIZE = 232;

export interface PanelProps {
  method: string;
  methodLabel: string;
  model: string;
  result: ComputeMapResult | null;
  state: 'waiting' | 'computing' | 'done' | 'error' | 'cancelled';
  error?: string;
  image: HTMLCanvasElement | null;
  imgW: number;
  imgH: number;
  overlay: Overlay;
}

function paramsText(p: Record<string, unknown>): string {
  const e = Object.entries(p);
  return e.length ? e.map(([k, v]) => `${k} ${String(v)}`).join(', ') : 'no parameters';
}

/** The IG family's completeness in the caption: " · 50 steps · completeness error 1.23 %". */
export function completenessText(r: Pick<ComputeMapResult, 'steps' | 'completenessError'>): string {
  const steps = r.steps !== undefined ? ` · ${r.steps} steps` : '';
  const err = r.completenessError !== undefined ? ` · completeness error ${(r.completenessError * 100).toFixed(r.completenessError < 0.1 ? 2 : 1)} %` : '';
  return steps + err;
}

/** FNV-1a (32 bit) over the map's float32 bytes: equal digests for bit-equal maps (e2e compares panels by it). */
export function mapDigest(map: Float32Array): string {
  const b = new Uint8Array(map.buffer, map.byteOffset, map.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193) >>> 0;
  return `${h.toString(16).padStart(8, '0')}:${map.length}`;
}

/** One map over the image: a canvas drawn with the shared view; wheel zooms, drag pans (all panels follow). */
export function HeatmapPanel(p: PanelProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const heatCanvas = useRef<HTMLCanvasElement | null>(null);
  const view = useCompare((s) => s.view);
  const opacity = useCompare((s) => s.opacity);
  const colormap = useCompare((s) => s.colormap);
  const thresholdPct = useCompare((s) => s.thresholdPct);
  const mode = useCompare((s) => s.mode);
  const dpr = typeof window !== 'undefined' ? Math.min(2, window.devicePixelRatio || 1) : 1;

  const heat = useMemo(() => {
    if (!p.result) return null;
    heatCanvas.current ??= document.createElement('canvas');
    return heatLayer({ ...p.result, signed: p.result.signed }, { mode, colormap, opacity, thresholdPct }, heatCanvas.current);
  }, [p.result, mode, colormap, opacity, thresholdPct]);

  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    drawPanel(ctx, PANEL_SIZE, dpr, view, p.image, p.imgW, p.imgH, heat?.canvas ?? null, p.overlay);
  }, [heat, view, p.image, p.overlay, p.imgW, p.imgH, dpr]);

  // drag to pan, wheel to zoom about the pointer (in image fractions)
  const drag = useRef<{ x: number; y: number } | null>(null);
  const toImage = (e: { clientX: number; clientY: number }) => {
    const r = ref.current!.getBoundingClientRect();
    const { k, tx, ty } = panelTransform(compareStore.getState().view, p.imgW, p.imgH, PANEL_SIZE);
    return { x: ((e.clientX - r.left) * (PANEL_SIZE / r.width) - tx) / k / p.imgW, y: ((e.clientY - r.top) * (PANEL_SIZE / r.height) - ty) / k / p.imgH };
  };
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      compareStore.getState().zoomBy(e.deltaY < 0 ? 1.25 : 0.8, toImage(e));
    };
    c.addEventListener('wheel', onWheel, { passive: false });
    return () => c.removeEventListener('wheel', onWheel);
  });

  const r = p.result;
  const digest = useMemo(() => (r ? mapDigest(r.map) : undefined), [r]);
  const title = `${p.methodLabel} · ${p.model}`;
  return (
    <figure className="cmp-panel" data-testid="compare-panel" data-method={p.method} data-model={p.model} data-state={p.state} data-map-digest={digest}>
      <canvas
        ref={ref}
        width={PANEL_SIZE * dpr}
        height={PANEL_SIZE * dpr}
        style={{ width: PANEL_SIZE, height: PANEL_SIZE }}
        aria-label={`${title}${r ? `: saliency map over the image` : ': not computed yet'}`}
        role="img"
        onPointerDown={(e) => { drag.current = { x: e.clientX, y: e.clientY }; (e.target as HTMLElement).setPointerCapture(e.pointerId); }}
        onPointerMove={(e) => {
          if (!drag.current) return;
          const { k } = panelTransform(compareStore.getState().view, p.imgW, p.imgH, PANEL_SIZE);
          const scale = PANEL_SIZE / ref.current!.getBoundingClientRect().width;
          compareStore.getState().panBy((-(e.clientX - drag.current.x) * scale) / k / p.imgW, (-(e.clientY - drag.current.y) * scale) / k / p.imgH);
          drag.current = { x: e.clientX, y: e.clientY };
        }}
        onPointerUp={() => { drag.current = null; }}
        onPointerCancel={() => { drag.current = null; }}
      />
      {p.state !== 'done' && (
        <div className={`cmp-status cmp-status-${p.state}`} aria-live="off">
          {p.state === 'waiting' ? 'waiting' : p.state === 'computing' ? 'computing…' : p.state === 'cancelled' ? 'cancelled' : `error: ${p.error ?? ''}`}
        </div>
      )}
      <figcaption>
        <strong>{title}</strong>
        {r && (
          <span className="cmp-meta" data-testid="panel-meta">
            {r.presetLabel} · {paramsText(r.params)} · {r.backend} · {r.ms.toFixed(0)} ms{r.cached ? ' (cached)' : ''}
            {heat && mode === 'raw' && !r.raw ? ' · raw not kept: post-processed shown' : ''}
            {completenessText(r)}
          </span>
        )}
        {r?.warnings?.map((w, i) => (
          <span key={i} className="cmp-warning" role="note" data-testid="panel-warning">
            ⚠ {w}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
