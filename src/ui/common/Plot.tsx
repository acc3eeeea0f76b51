import { useEffect, useRef } from 'react';
import * as Plot from '@observablehq/plot';

/**
 * A thin React wrapper around Observable Plot: builds the chart from `options` in an effect and
 * replaces it when they change (callers memoise the options). With `onPick`, a click on the plot
 * picks the datum under the pointer (a mark with Plot.pointer/tip: the figure's `value`).
 * The plot is an image to assistive technology; its numbers are in a table beside it.
 */
export interface PlotProps<T> {
  options: Plot.PlotOptions;
  /** Short description for screen readers (the table next to the plot holds the numbers). */
  label: string;
  onPick?: (datum: T) => void;
  testId?: string;
  className?: string;
}

export function PlotFigure<T = unknown>({ options, label, onPick, testId, className }: PlotProps<T>) {
  const ref = useRef<HTMLDivElement>(null);
  const pick = useRef(onPick);
  pick.current = onPick;
  useEffect(() => {
    const host = ref.current;
    if (!host) return;
    const plot = Plot.plot({ style: { background: 'transparent', color: 'currentColor', fontSize: '12px' }, ...options });
    const onClick = () => {
      const v = (plot as unknown as { value?: T | null }).value;
      if (v != null) pick.current?.(v);
    };
    plot.addEventListener('click', onClick);
    host.replaceChildren(plot);
    return () => {
      plot.removeEventListener('click', onClick);
      plot.remove();
    };
  }, [options]);
  return <div ref={ref} className={`plot ${className ?? ''}`} role="img" aria-label={label} data-testid={testId} data-pickable={onPick ? 'true' : undefined} />;
}

/** The plot as a standalone SVG string (for the HTML report; needs a DOM). */
export function plotSvg(options: Plot.PlotOptions): string {
  const el = Plot.plot({ style: { background: 'white', color: 'black', fontSize: '12px', fontFamily: 'system-ui, sans-serif' }, ...options });
  const svg = el instanceof SVGSVGElement ? el : el.querySelector('svg');
  if (svg && !svg.getAttribute('xmlns')) svg.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  return el.outerHTML;
}
