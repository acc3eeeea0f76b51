import { cssGradient } from '../common/colormap';
import { useCompare } from '../../state/trust';

/** The one colorbar for all panels (and the signed one when raw signed maps are shown). */
export function Colorbar({ signed }: { signed: boolean }) {
  const colormap = useCompare((s) => s.colormap);
  const mode = useCompare((s) => s.mode);
  const thresholdPct = useCompare((s) => s.thresholdPct);
  const seq = colormap === 'diverging' && mode === 'raw' ? 'inferno' : colormap;
  return (
    <div className="cmp-colorbars" data-testid="colorbar">
      <div className="cmp-colorbar">
        <span className="cmp-cb-label">{mode === 'post' ? 'Saliency (post-processed, SPEC 3)' : 'Raw, unsigned methods'}</span>
        <span className="cmp-cb-tick">{mode === 'post' ? '0' : 'min'}</span>
        <span className="cmp-cb-bar" style={{ background: cssGradient(seq) }} role="img" aria-label={`${seq} colour scale from low to high`} />
        <span className="cmp-cb-tick">{mode === 'post' ? '1 (99th pct)' : '99th pct'}</span>
      </div>
      {mode === 'raw' && signed && (
        <div className="cmp-colorbar">
          <span className="cmp-cb-label">Raw, signed methods (Gradient, IG; Guided IG, Blur IG, occlusion)</span>
          <span className="cmp-cb-tick">−q</span>
          <span className="cmp-cb-bar" style={{ background: cssGradient('diverging') }} role="img" aria-label="diverging colour scale: blue negative, white zero, red positive" />
          <span className="cmp-cb-tick">+q</span>
          <span className="muted small">q = 99th percentile of |value| per panel</span>
        </div>
      )}
      {thresholdPct > 0 && <span className="muted small">Pixels under the {thresholdPct}th percentile of each map are hidden.</span>}
    </div>
  );
}
