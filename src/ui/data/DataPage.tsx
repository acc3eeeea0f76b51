import { EmptyState } from '../common/EmptyState';

export function DataPage() {
  return (
    <div className="page" data-testid="page-data">
      <h1 className="page-title">Data</h1>
      <EmptyState title="Studies, models and exports">
        <p>Import a study (PNG, JPEG, DICOM or a MURA folder), TF.js models, and other readers' exports. Nothing leaves this browser.</p>
      </EmptyState>
    </div>
  );
}
