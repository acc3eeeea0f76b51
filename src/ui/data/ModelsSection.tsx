import { useEffect, useRef, useState } from 'react';
import { useStore } from 'zustand';
import { modelsStore, useModels } from '../../state/models';
import { studyStore } from '../../state/study';
import type { ImportFile, ImportForm, ModelSummary } from '../../worker/api/models';
import type { ModelFolderInfo } from '../../core/model/modelFolder';

const kb = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.round(n / 1024)} KB`);

const DEFAULT_FORM: ImportForm = { name: '', height: 128, width: 128, channels: 1, scale: 2, offset: -1, outputKind: 'logit', outputIndex: 0, gradcamLayer: '' };

/**
 * Preprocessing presets of the import form: x = pixel / max x scale + offset, then (x - mean[c]) / std[c]
 * per channel when mean and std are given (torchvision's ImageNet normalisation). A grey image is
 * replicated to every channel of a 3-channel model.
 */
const PRESETS = {
  imagenet: { label: 'ImageNet (mean/std)', scale: 1, offset: 0, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  unit: { label: '[0,1]', scale: 1, offset: 0 },
  symmetric: { label: '[-1,1]', scale: 2, offset: -1 },
} as const;
type PresetId = keyof typeof PRESETS;

/** The preset the form's preprocessing equals, or 'custom'. */
function presetOf(f: Pick<ImportForm, 'scale' | 'offset' | 'mean' | 'std'>): PresetId | 'custom' {
  const same = (a: readonly number[] | undefined, b: readonly number[] | undefined) => (a?.length ?? 0) === (b?.length ?? 0) && (a ?? []).every((v, i) => Math.abs(v - b![i]) < 1e-9);
  for (const [id, p] of Object.entries(PRESETS) as Array<[PresetId, (typeof PRESETS)[PresetId]]>) {
    if (p.scale === f.scale && p.offset === f.offset && same('mean' in p ? p.mean : undefined, f.mean) && same('std' in p ? p.std : undefined, f.std)) return id;
  }
  return 'custom';
}

/** The form's fields as the model-folder reader read them (manifest.json, else inferred from the topology or the ONNX graph). */
function formFrom(info: ModelFolderInfo): Partial<ImportForm> {
  const pre = info.preprocessing as ModelFolderInfo['preprocessing'] & { mean?: number[]; std?: number[] };
  // An ONNX model without manifest.json: PyTorch image models mostly expect ImageNet normalisation, so that preset is offered first.
  const imagenet = info.format === 'onnx' && info.sources.preprocessing === 'default';
  return {
    height: info.input.height,
    width: info.input.width,
    channels: info.input.channels,
    ...(imagenet
      ? { scale: PRESETS.imagenet.scale, offset: PRESETS.imagenet.offset, mean: [...PRESETS.imagenet.mean], std: [...PRESETS.imagenet.std] }
      : { scale: pre.scale, offset: pre.offset, mean: pre.mean, std: pre.std }),
    outputKind: info.output.kind,
    outputIndex: info.output.index ?? 0,
    gradcamLayer: info.gradcamLayer ?? '',
  };
}

const SOURCE_WORDS: Record<string, string> = { manifest: 'from manifest.json', inferred: 'inferred from model.json', default: 'assumed: neither manifest.json nor model.json says', option: 'chosen', predicted: 'the predicted class' };
const ONNX_SOURCE_WORDS: Record<string, string> = { ...SOURCE_WORDS, inferred: 'read from the ONNX graph', default: 'no manifest.json: choose a preset' };

/** "from manifest.json" / "inferred from model.json" beside a field. */
function Source({ of, what, onnx }: { of: string | undefined; what: string; onnx?: boolean }) {
  if (!of) return null;
  return <span className="muted" data-testid={`model-source-${what}`} data-source={of}> ({(onnx ? ONNX_SOURCE_WORDS : SOURCE_WORDS)[of] ?? of})</span>;
}

/** What the reader found: the format, whether manifest.json came with it, the input size. */
function formatText(info: ModelFolderInfo): string {
  if (info.format === 'onnx') return `ONNX model (opset ${info.onnx?.opset ?? '?'}${info.onnx?.producer ? `, ${info.onnx.producer}` : ''}, ${info.onnx?.nodes ?? '?'} nodes)`;
  if (info.format === 'graph-model') return 'GraphModel';
  return `LayersModel (${info.layout === 'keras2' ? `Keras ${info.kerasVersion ?? '2'} converter layout` : 'TF.js / Keras 3 layout'})`;
}

const shapeText = (s: Array<number | null>) => s.slice(1).map((d) => d ?? '?').join('x');

function ModelRow({ m, caseHash }: { m: ModelSummary; caseHash: string | null }) {
  const pred = useModels((s) => s.predictions[m.id]);
  const [busy, setBusy] = useState(false);
  const man = m.manifest;
  const t = man.training;
  const predicted = pred && pred.imageHash === caseHash ? pred : null;
  return (
    <tr data-testid="model-row" data-model-id={m.id} data-source={m.source}>
      <td>
        <b>{man.name ?? m.id}</b>
        <div className="muted"><code>{m.id}</code>{m.source === 'import' ? ' (imported)' : ' (demo)'}</div>
      </td>
      <td>{man.architecture}{man.params ? <div className="muted">{(Number(man.params) / 1e3).toFixed(0)}k params</div> : null}</td>
      <td>{man.input.height}x{man.input.width}x{man.input.channels}<div className="muted">x = v x {man.preprocessing.scale} + {man.preprocessing.offset}{man.preprocessing.mean ? `, (x - mean) / std per channel (mean ${man.preprocessing.mean.join(', ')}; std ${(man.preprocessing.std ?? [1]).join(', ')})` : ''}; {man.output.kind}[{man.output.index}]</div></td>
      <td>{man.seed ?? '—'}</td>
      <td>{t ? <>{t.setSize} phantoms (seed {t.setSeed}){t.epochs ? `, ${t.epochs} epochs` : ''}{t.seconds ? `, ${Math.round(t.seconds)} s` : ''}</> : '—'}</td>
      <td data-testid="model-auroc">{man.heldOutTest ? man.heldOutTest.auroc.toFixed(3) : '—'}{man.heldOutTest && <div className="muted">{man.heldOutTest.size} cases, seed {man.heldOutTest.seed}</div>}</td>
      <td><code title={man.weightsSha256}>{man.weightsSha256.slice(0, 12)}…</code><div className="muted">{kb(m.weightsBytes)}; Grad-CAM: <code>{man.gradcamLayer ?? '—'}</code></div></td>
      <td>
        <button disabled={!caseHash || busy} data-testid="model-predict" onClick={async () => {
          if (!caseHash) return;
          setBusy(true);
          await modelsStore().getState().predict(m.id, caseHash);
          setBusy(false);
        }}>Predict</button>
        {predicted && (
          <div data-testid="model-prediction" data-logit={predicted.logit} data-probability={predicted.probability}>
            logit {predicted.logit.toFixed(4)}, p = {predicted.probability.toFixed(3)} <span className="muted">({predicted.backend}, {predicted.ms.toFixed(0)} ms)</span>
          </div>
        )}
        {m.source === 'import' && (
          <button className="link" data-testid="model-delete" onClick={() => { if (confirm(`Remove the imported model "${man.name ?? m.id}" from this browser?`)) void modelsStore().getState().remove(m.id); }}>Remove</button>
        )}
      </td>
    </tr>
  );
}

function ImportModelForm() {
  const importing = useModels((s) => s.importing);
  const importError = useModels((s) => s.importError);
  const lastImported = useModels((s) => s.lastImported);
  const info = useModels((s) => s.inspection);
  const [files, setFiles] = useState<ImportFile[]>([]);
  const [reading, setReading] = useState(false);
  const [form, setForm] = useState<ImportForm>(DEFAULT_FORM);
  const filesRef = useRef<HTMLInputElement>(null);
  const folderRef = useRef<HTMLInputElement>(null);
  const num = (k: keyof ImportForm) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: Number(e.target.value) });

  const [dragging, setDragging] = useState(false);
  // Any file names (the converter's shards have no extension), or a whole folder: the reader finds model.json and its shards, or the .onnx file and its external data.
  const choose = async (list: FileList | File[] | null) => {
    const fs = Array.from(list ?? []);
    setReading(true);
    const payload: ImportFile[] = await Promise.all(fs.map(async (f) => ({ name: (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name, bytes: await f.arrayBuffer() })));
    setFiles(payload);
    const read = payload.length ? await modelsStore().getState().inspectFiles(payload) : null;
    if (!payload.length) modelsStore().getState().clearInspection();
    setForm((f) => ({ ...f, mean: undefined, std: undefined, ...(read ? formFrom(read) : {}) }));
    setReading(false);
  };
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const ok = await modelsStore().getState().importFiles(files, form);
    if (ok) {
      setFiles([]);
      setForm(DEFAULT_FORM);
      if (filesRef.current) filesRef.current.value = '';
      if (folderRef.current) folderRef.current.value = '';
    }
  };
  const multiClass = (info?.output.classes ?? 1) > 1;
  const onnx = info?.format === 'onnx';
  const preset = presetOf(form);
  const choosePreset = (id: string) => {
    if (!(id in PRESETS)) return;
    const p = PRESETS[id as PresetId];
    setForm({ ...form, scale: p.scale, offset: p.offset, mean: 'mean' in p ? [...p.mean] : undefined, std: 'std' in p ? [...p.std] : undefined });
  };
  // Files dropped on the form (a .onnx file with its external data, or model.json with its shards) are read like chosen ones.
  const drop = (e: React.DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (e.dataTransfer.files.length) void choose(e.dataTransfer.files);
  };
  return (
    <form className={`model-import${dragging ? ' dragging' : ''}`} data-testid="model-import" onSubmit={(e) => void submit(e)}
      onDragOver={(e) => { e.preventDefault(); setDragging(true); }} onDragLeave={() => setDragging(false)} onDrop={drop}>
      <h3>Import your own model</h3>
      <p className="muted">
        A TF.js model (LayersModel, as the Keras converter or TF.js writes it, or GraphModel): <code>model.json</code> with the weight shards it lists
        (any names: <code>group1-shard1of6</code> without an extension is fine) and, if you have one, <code>manifest.json</code>. Or a PyTorch model exported to ONNX:
        a <code>.onnx</code> file (with its external-data file when the weights are stored beside it), or a folder holding <code>model.onnx</code> and an optional <code>manifest.json</code>.
        Choose the files or the whole folder, or drop the files here. It stays in this browser.
      </p>
      <div className="model-import-files">
        <label className="file-button">Choose files…
          <input ref={filesRef} type="file" multiple data-testid="model-files" onChange={(e) => void choose(e.target.files)} />
        </label>
        <label className="file-button">Choose a folder…
          <input ref={folderRef} type="file" multiple data-testid="model-folder" {...{ webkitdirectory: '', directory: '' }} onChange={(e) => void choose(e.target.files)} />
        </label>
        <span data-testid="model-files-chosen">{reading ? 'reading…' : files.length ? files.map((f) => f.name.split('/').pop()).join(', ') : 'no files chosen'}</span>
      </div>
      {info && (
        <p className="muted" data-testid="model-read" data-format={info.format} data-layout={info.layout}>
          {formatText(info)}
          {info.files.manifest ? ', with manifest.json' : `, no manifest.json: fields below inferred from ${onnx ? 'the graph' : 'model.json'}`}
          {onnx && info.files.shards.length ? `; external data ${info.files.shards.map((s) => s.file ? s.file.split('/').pop() : `${s.path} (missing)`).join(', ')}` : ''}
          ; input {info.input.height}x{info.input.width}x{info.input.channels}
          {info.warnings.map((w) => <span key={w} className="warning-text" role="note"><br />{w}</span>)}
        </p>
      )}
      <fieldset>
        <legend>Input and preprocessing</legend>
        <label>Name <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="my model" aria-label="Model name" /></label>
        <label>Height <input type="number" min={1} value={form.height} onChange={num('height')} aria-label="Input height" /></label>
        <label>Width <input type="number" min={1} value={form.width} onChange={num('width')} aria-label="Input width" /></label>
        <label>Channels <input type="number" min={1} max={4} value={form.channels} onChange={num('channels')} aria-label="Input channels" /></label>
        <Source of={info?.sources.input} what="input" onnx={onnx} />
        <label>Preset <select value={preset} onChange={(e) => choosePreset(e.target.value)} aria-label="Preprocessing preset" data-testid="model-preset">
          {(Object.entries(PRESETS) as Array<[PresetId, (typeof PRESETS)[PresetId]]>).map(([id, p]) => <option key={id} value={id}>{p.label}</option>)}
          {preset === 'custom' && <option value="custom">custom</option>}
        </select></label>
        <label>Scale <input type="number" step="any" value={form.scale} onChange={num('scale')} aria-label="Scale" /></label>
        <label>Offset <input type="number" step="any" value={form.offset} onChange={num('offset')} aria-label="Offset" /></label>
        <Source of={info?.sources.preprocessing} what="preprocessing" onnx={onnx} />
        {form.mean && <span className="muted" data-testid="model-mean-std"> then (x - mean) / std per channel: mean {form.mean.join(', ')}; std {(form.std ?? [1]).join(', ')}</span>}
        <p className="muted">The model sees x = pixel / max x scale + offset (scale 2, offset -1: [-1, 1]; scale 1, offset 0: [0, 1]), after an area resize to its input size; ImageNet then subtracts the per-channel mean and divides by the std. A grey image fills every channel of a 3-channel model.</p>
      </fieldset>
      <fieldset>
        <legend>Which output means "abnormal"</legend>
        <label>Output <select value={form.outputKind} onChange={(e) => setForm({ ...form, outputKind: e.target.value as ImportForm['outputKind'] })} aria-label="Output kind">
          <option value="logit">single logit (linear unit)</option>
          <option value="sigmoid">sigmoid unit (probability)</option>
          <option value="softmax">softmax, class index</option>
        </select></label>
        <Source of={info?.sources.output} what="output" onnx={onnx} />
        <label>Index <input type="number" min={0} max={info?.output.classes ? info.output.classes - 1 : undefined} value={form.outputIndex} onChange={num('outputIndex')} aria-label="Output index" /></label>
        {info && <span className="muted">{info.output.classes ?? '?'} output unit(s){multiClass && info.output.index === null ? '; choose the class to explain (the CLI explains each image\'s predicted class when none is chosen)' : ''}</span>}
      </fieldset>
      <fieldset>
        <legend>Grad-CAM layer</legend>
        <label>Layer <select value={form.gradcamLayer ?? ''} onChange={(e) => setForm({ ...form, gradcamLayer: e.target.value })} aria-label="Grad-CAM layer" data-testid="model-gradcam-layer" disabled={!info || info.format === 'graph-model'}>
          {(!info || info.format === 'graph-model') && <option value="">{info ? 'chosen from the graph when imported' : 'choose the model first'}</option>}
          {info?.gradcamCandidates.slice().reverse().map((c) => (
            <option key={c.name} value={c.name} disabled={!c.cut} data-shape={shapeText(c.shape)}>
              {c.name} ({c.className}, {shapeText(c.shape)}){c.cut ? '' : ' — a skip connection bypasses it'}
            </option>
          ))}
        </select></label>
        <Source of={info?.sources.gradcamLayer} what="gradcam" onnx={onnx} />
        <p className="muted">{onnx ? 'ONNX values (node outputs, with the op that writes them)' : 'Layers'} whose output is a spatial map larger than 1x1, last first, with their output shape (height x width x channels). The default is the last one every path to the output goes through.</p>
      </fieldset>
      <button type="submit" disabled={!files.length || importing || reading} data-testid="model-import-submit">{importing ? 'Checking the model…' : 'Import model'}</button>
      {importError && <p className="error-text" role="alert" data-testid="model-import-error" data-code={importError.code}>{importError.message}</p>}
      {lastImported && !importError && <p role="status" data-testid="model-import-done">Imported as <code>{lastImported}</code>.</p>}
    </form>
  );
}

/** Data page section: Models (the demo models with their figures, imported models, import form, a quick prediction). */
export function ModelsSection() {
  const status = useModels((s) => s.status);
  const models = useModels((s) => s.models);
  const error = useModels((s) => s.error);
  const predictError = useModels((s) => s.predictError);
  const cases = useStore(studyStore(), (s) => s.cases);
  const [caseId, setCaseId] = useState<string>('');
  useEffect(() => { void modelsStore().getState().refresh(); }, []);
  const current = cases.find((c) => c.id === caseId) ?? cases[0] ?? null;
  return (
    <section className="data-section models-section" aria-labelledby="data-models" data-testid="models-section">
      <h2 id="data-models">Models</h2>
      <p className="muted">
        The demo models were trained on synthetic phantoms (<code>npm run train:demo</code>, PyTorch, exported to TF.js); AUROC is on a held-out
        phantom set made with a seed never used in training. Imported models are listed beside them.
      </p>
      {status === 'loading' && !models.length && <p role="status">Loading models…</p>}
      {error && <p className="error-text" role="alert" data-code={error.code}>{error.message}</p>}
      <div className="models-predict-case">
        <label>Predict on case{' '}
          <select value={current?.id ?? ''} onChange={(e) => setCaseId(e.target.value)} data-testid="models-case" aria-label="Case to predict on" disabled={!cases.length}>
            {cases.slice(0, 500).map((c) => <option key={c.id} value={c.id}>{c.name}{c.label === 1 ? ' (abnormal)' : c.label === 0 ? ' (normal)' : ''}</option>)}
          </select>
        </label>
        {!cases.length && <span className="muted"> (no study loaded)</span>}
        {predictError && <p className="error-text" role="alert">{predictError}</p>}
      </div>
      <table className="models-table" data-testid="models-table">
        <thead><tr><th>Model</th><th>Architecture</th><th>Input</th><th>Seed</th><th>Training set</th><th>Held-out AUROC</th><th>Weights</th><th></th></tr></thead>
        <tbody>{models.map((m) => <ModelRow key={m.id} m={m} caseHash={current?.imageHash ?? null} />)}</tbody>
      </table>
      <ImportModelForm />
    </section>
  );
}
