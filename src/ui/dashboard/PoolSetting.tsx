import { useEffect, useState } from 'react';
import { appPool } from '../../state/scheduler';
import { MAX_POOL, savedPoolSetting, savePoolSetting } from '../../state/pool';

/**
 * How many compute workers maps run on: auto (cores - 1, capped by memory) or a number. The pool is
 * sized when the app starts computing, so a change applies after a reload; `?pool=N` in the URL
 * wins over this setting.
 */
export function PoolSetting({ disabled }: { disabled: boolean }) {
  const [pool, setPool] = useState<{ size: number; reason: string } | null>(null);
  const [saved, setSaved] = useState(savedPoolSetting);
  useEffect(() => {
    let live = true;
    void appPool().then((p) => live && setPool(p.pool), () => {});
    return () => { live = false; };
  }, []);
  const most = Math.min(MAX_POOL, Math.max(2, navigator.hardwareConcurrency || 1));
  const changed = pool !== null && saved !== 'auto' && Number(saved) !== pool.size;
  return (
    <label title={pool ? `Now ${pool.size}: ${pool.reason}` : undefined}>Compute workers
      <select value={saved} disabled={disabled} onChange={(e) => { savePoolSetting(e.target.value); setSaved(e.target.value); }} data-testid="pool-size">
        <option value="auto">auto{pool && saved === 'auto' ? ` (${pool.size})` : ''}</option>
        {Array.from({ length: most }, (_, i) => i + 1).map((n) => <option key={n} value={String(n)}>{n}</option>)}
      </select>
      {changed && <span className="muted small"> applies after a reload</span>}
    </label>
  );
}
