import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/shell/App';
import { startCompute } from './ui/shell/startCompute';
import { studyStore } from './state/study';
import './ui/styles.css';

startCompute();
void studyStore().getState().ensureDemoStudy();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
