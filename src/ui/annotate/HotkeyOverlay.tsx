import type { Shortcut } from '../common/shortcuts';
import { displayCombo } from '../common/shortcuts';
import { POINTER_GESTURES } from './hotkeys';

/** Every hotkey of the page, generated from the registry (what is listed is what is bound). */
export function HotkeyOverlay({ shortcuts, onClose }: { shortcuts: Shortcut[]; onClose(): void }) {
  const groups = [...new Set(shortcuts.map((s) => s.group ?? 'Other'))];
  return (
    <div className="hotkey-overlay" role="dialog" aria-modal="true" aria-labelledby="hotkeys-title" data-testid="hotkey-overlay" onClick={onClose}>
      <div className="hotkey-card" onClick={(e) => e.stopPropagation()}>
        <div className="hotkey-head">
          <h2 id="hotkeys-title">Keyboard shortcuts</h2>
          <button onClick={onClose} aria-label="Close">Esc</button>
        </div>
        <div className="hotkey-cols">
          {groups.map((g) => (
            <section key={g}>
              <h3>{g}</h3>
              <table>
                <tbody>
                  {shortcuts.filter((s) => (s.group ?? 'Other') === g).map((s) => (
                    <tr key={s.id} data-shortcut={s.id}>
                      <td className="hk-keys">{s.kbd.map((k, i) => <span key={k}>{i > 0 && ' '}<kbd>{displayCombo(k)}</kbd></span>)}</td>
                      <td>{s.label}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          ))}
          <section>
            <h3>Pointer</h3>
            <table>
              <tbody>
                {POINTER_GESTURES.map((g) => (
                  <tr key={g.gesture}><td className="hk-keys">{g.gesture}</td><td>{g.label}</td></tr>
                ))}
              </tbody>
            </table>
          </section>
        </div>
      </div>
    </div>
  );
}
