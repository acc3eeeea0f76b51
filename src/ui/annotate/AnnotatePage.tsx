import { EmptyState } from '../common/EmptyState';

export function AnnotatePage() {
  return (
    <div className="page" data-testid="page-annotate">
      <h1 className="page-title">Annotate</h1>
      <EmptyState title="No cases to read yet">
        <p>Readers draw boxes around abnormalities here, blinded to each other. Load the demo study or import your own images on the <a href="#/data">Data</a> page.</p>
      </EmptyState>
    </div>
  );
}
