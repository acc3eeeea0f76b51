import { useEffect, useRef } from 'react';
import { appStore, useApp } from '../../state/appStore';
import { DEMO_NEW_READER, persistCurrentReader, readersStore } from '../../state/readers';
import { DEMO_STUDY, studyStore } from '../../state/study';

/** localStorage key: the welcome was closed once (it opens again from the header's Help button). */
export const WELCOME_SEEN_KEY = 'heatcheck.welcomeSeen';

export function welcomeSeen(): boolean {
  try { return localStorage.getItem(WELCOME_SEEN_KEY) === '1'; } catch { return false; }
}

function markSeen(): void {
  try { localStorage.setItem(WELCOME_SEEN_KEY, '1'); } catch { /* private mode: it shows again next time */ }
}

/**
 * The first-run path: what the demo is and three things to try. Shown on a first visit, closed by
 * any of its buttons or Escape, and opened again from the header's Help button.
 */
export function Welcome() {
  const open = useApp((s) => s.welcomeOpen);
  const first = useRef<HTMLButtonElement>(null);
  const close = () => { markSeen(); appStore.getState().setWelcomeOpen(false); };
  const go = (hash: string) => { close(); location.hash = hash; };

  useEffect(() => {
    if (!open) return;
    first.current?.focus();
    const onKey = (e: KeyboardEvent) => { if (e.key === 'Escape') { e.stopPropagation(); close(); } };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [open]);

  if (!open) return null;

  const readAsNew = async () => {
    // the demo's new reader; in an imported study, its first person
    const study = studyStore().getState().currentStudy;
    if (study?.id === DEMO_STUDY.id) {
      await readersStore.getState().load();
      if (readersStore.getState().readers.some((r) => r.id === DEMO_NEW_READER.id)) {
        appStore.getState().setCurrentReader(DEMO_NEW_READER.id);
        persistCurrentReader(DEMO_NEW_READER.id);
      }
    }
    go('#/annotate');
  };

  return (
    <div className="welcome-overlay" data-testid="welcome" onClick={close}>
      <div className="welcome-card" role="dialog" aria-modal="true" aria-labelledby="welcome-title" onClick={(e) => e.stopPropagation()}>
        <h2 id="welcome-title">Welcome to Heatcheck</h2>
        <p>
          Heatcheck asks whether a radiology AI's saliency maps can be trusted: readers draw boxes around abnormalities, their
          majority vote becomes ground truth, and six saliency methods are scored on localization, randomization,
          repeatability and reproducibility.
        </p>
        <p>
          What you see is a <b>demo study</b>: 40 synthetic phantom radiographs made in this browser, read by three
          <b> simulated</b> readers (R1-R3, marked "simulated"). You read as a new reader with an empty worklist.
          Nothing leaves this browser.
        </p>
        <ol className="welcome-steps">
          <li>
            <button ref={first} className="primary" data-testid="welcome-read" onClick={() => void readAsNew()}>Read as a new reader</button>
            <span className="muted"> Drag on the image to draw a box (or press <kbd>B</kbd>, then arrows, <kbd>Enter</kbd>); <kbd>?</kbd> lists every key.</span>
          </li>
          <li>
            <button data-testid="welcome-trust" onClick={() => go('#/dashboard')}>See the trust table</button>
            <span className="muted"> Each method against the four criteria, with the seed study's results beside ours.</span>
          </li>
          <li>
            <button data-testid="welcome-load" onClick={() => go('#/data')}>Load your own study</button>
            <span className="muted"> PNG, JPEG or DICOM files or a folder; you name its readers.</span>
          </li>
        </ol>
        <p className="welcome-foot">
          <button data-testid="welcome-close" onClick={close}>Close</button>
          <span className="muted"> This opens again from <b>Help</b> in the header.</span>
        </p>
      </div>
    </div>
  );
}
