import { COLORMAPS, type ColormapName } from '../common/colormap';
import { compareStore, useCompare } from '../../state/trust';
import { readerColor } from '../annotate/colors';

/** Display options shared by every panel. */
export function CompareToolbar({ readers, models }: { readers: string[]; models: string[] }) {
  const opacity = useCompare((s) => s.opacity);
  const colormap = useCompare((s) => s.colormap);
  const thresholdPct = useCompare((s) => s.thresholdPct);
  const showConsensus = useCompare((s) => s.showConsensus);
  const extras = useCompare((s) => s.extras);
  const shownReaders = useCompare((s) => s.shownReaders);
  const mode = useCompare((s) => s.mode);
  const shownModels = useCompare((s) => s.models);
  const scale = useCompare((s) => s.view.scale);
  const set = compareStore.getState().set;
  const toggle = <T,>(list: T[], v: T) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  return (
    <div className="cmp-toolbar" role="toolbar" aria-label="Display options">
      <label className="cmp-field">
        Opacity <output>{Math.round(opacity * 100)}%</output>
        <input type="range" min={0} max={1} step={0.05} value={opacity} onChange={(e) => set({ opacity: Number(e.target.value) })} aria-label="Heatmap opacity" />
      </label>
      <label className="cmp-field">
        Colormap
        <select value={colormap} onChange={(e) => set({ colormap: e.target.value as ColormapName })} aria-label="Colormap" data-testid="compare-colormap">
          {COLORMAPS.map((c) => <option key={c.id} value={c.id} title={c.note}>{c.label}</option>)}
        </select>
      </label>
      <label className="cmp-field">
        Hide below percentile <output>{thresholdPct}</output>
        <input type="range" min={0} max={99} step={1} value={thresholdPct} onChange={(e) => set({ thresholdPct: Number(e.target.value) })} aria-label="Percentile threshold" />
      </label>
      <fieldset className="cmp-field cmp-mode">
        <legend>Map</legend>
        <label><input type="radio" name="cmp-mode" checked={mode === 'post'} onChange={() => set({ mode: 'post' })} /> post-processed</label>
        <label><input type="radio" name="cmp-mode" checked={mode === 'raw'} onChange={() => set({ mode: 'raw' })} /> raw</label>
      </fieldset>
      <fieldset className="cmp-field">
        <legend>Overlays</legend>
        <label className="check" title="Guided IG, Blur IG and occlusion: extra methods, not part of the seed study's six or the trust criteria"><input type="checkbox" checked={extras} onChange={(e) => set({ extras: e.target.checked })} data-testid="compare-extras" /> extra methods</label>
        <label className="check"><input type="checkbox" checked={showConsensus} onChange={(e) => set({ showConsensus: e.target.checked })} /> consensus contour <span className="swatch" style={{ background: '#F0E442' }} aria-hidden="true" /></label>
        {readers.map((r) => (
          <label key={r} className="check">
            <input type="checkbox" checked={shownReaders.includes(r)} onChange={() => set({ shownReaders: toggle(shownReaders, r) })} /> {r} boxes <span className="swatch" style={{ background: readerColor(readers, r) }} aria-hidden="true" />
          </label>
        ))}
      </fieldset>
      <fieldset className="cmp-field">
        <legend>Models</legend>
        {models.map((m) => (
          <label key={m} className="check">
            <input type="checkbox" checked={!shownModels || shownModels.includes(m)} onChange={() => set({ models: toggle(shownModels ?? models, m) })} /> {m}
          </label>
        ))}
      </fieldset>
      <div className="cmp-field" role="group" aria-label="Zoom">
        Zoom <output>{scale.toFixed(2)}×</output>
        <span>
          <button type="button" onClick={() => compareStore.getState().zoomBy(1.25)} aria-label="Zoom in">+</button>
          <button type="button" onClick={() => compareStore.getState().zoomBy(0.8)} aria-label="Zoom out">−</button>
          <button type="button" onClick={() => compareStore.getState().resetView()}>Fit</button>
        </span>
      </div>
    </div>
  );
}
