import { useApp, type BackendStatus } from '../../state/appStore';

/** A short "why" for the header: forced, or the measured winner and what lost to it. */
export function shortReason(b: BackendStatus): string {
  if (b.state !== 'ready') return '';
  if (b.forced) return 'forced';
  const soft = (b.attempts ?? []).filter((a) => a.ok && a.software && a.name !== b.active).map((a) => a.name);
  return soft.length ? `fastest measured; ${soft.join(', ')} emulated in software` : 'fastest measured';
}

/** Shows which compute backend the worker runs on and why; every result records it too. */
export function BackendBadge() {
  const b = useApp((s) => s.backend);
  const label = b.state === 'ready' ? b.active : b.state === 'starting' ? 'measuring backends…' : 'no backend';
  const attempts = (b.attempts ?? []).map((a) => `${a.name} ${a.ok ? `ok${a.convMs !== undefined ? `, conv ${a.convMs.toFixed(1)} ms` : ''}${a.adapter ? ` on ${a.adapter}` : ''}${a.software ? ' (software)' : ''}` : 'failed: ' + a.error}`).join('; ');
  const title = b.state === 'ready'
    ? `Compute backend: ${b.active} (tfjs ${b.tfjsVersion}): ${b.reason ?? ''}. Tried: ${attempts}. Force one with ?backend=wasm (or webgpu, webgl, cpu).`
    : b.error ?? 'The compute worker is starting and timing each backend on a small conv';
  const why = shortReason(b);
  return (
    <span className={`backend-badge backend-${b.state}`} data-testid="backend-badge" data-backend={b.active ?? ''} data-reason={b.reason ?? ''} data-wasm-threads={b.wasmThreads ?? ''} title={title} role="status">
      {label}
      {why && <span className="backend-why" data-testid="backend-why"> · {why}</span>}
    </span>
  );
}
