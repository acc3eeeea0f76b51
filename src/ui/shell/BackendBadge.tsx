import { useApp } from '../../state/appStore';

/** Shows which compute backend the worker runs on; every result records it too. */
export function BackendBadge() {
  const b = useApp((s) => s.backend);
  const label = b.state === 'ready' ? b.active : b.state === 'starting' ? 'starting…' : 'no backend';
  const title = b.state === 'ready'
    ? `Compute backend: ${b.active} (tfjs ${b.tfjsVersion})${b.forced ? ', forced' : ''}. Tried: ${(b.attempts ?? []).map((a) => `${a.name} ${a.ok ? 'ok' : 'failed: ' + a.error}`).join('; ')}`
    : b.error ?? 'The compute worker is starting';
  return (
    <span className={`backend-badge backend-${b.state}`} data-testid="backend-badge" data-backend={b.active ?? ''} title={title} role="status">
      {label}
    </span>
  );
}
