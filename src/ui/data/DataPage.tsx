import { StudySection } from './StudySection';
import { ModelsSection } from './ModelsSection';
import { ReadersSection } from './ReadersSection';
import { ExportSection } from './ExportSection';
import { SyncSection } from './SyncSection';

/** The Data page: one section per concern, each in its own file. */
export function DataPage() {
  return (
    <div className="page data-page" data-testid="page-data">
      <h1 className="page-title">Data</h1>
      <p className="muted">Everything stays in this browser: images, models, annotations and results live in its storage (IndexedDB). Nothing is uploaded.</p>
      <StudySection />
      <ModelsSection />
      <ReadersSection />
      <SyncSection />
      <ExportSection />
    </div>
  );
}
