import { useAnnotations } from '../../state/annotations';

/** Saved / saving / unsaved: "saved" only once IndexedDB has committed every edit. */
export function SaveIndicator() {
  const state = useAnnotations((s) => s.saveState);
  const error = useAnnotations((s) => s.error);
  const text = state === 'saved' ? 'Saved' : state === 'saving' ? 'Saving…' : 'Not saved yet, retrying';
  return (
    <span className={`save-state save-${state}`} data-testid="save-state" data-state={state} role="status" title={error?.message ?? text}>
      <span className="save-dot" aria-hidden="true" />
      {text}
    </span>
  );
}
