import { EmptyState } from '../common/EmptyState';

export function DashboardPage() {
  return (
    <div className="page" data-testid="page-dashboard">
      <h1 className="page-title">Dashboard</h1>
      <EmptyState title="No trust report yet">
        <p>The dashboard scores every saliency method on the four trust criteria: localization, sensitivity to weight randomization, repeatability and reproducibility, with pass/fail and confidence intervals. It fills in as maps and annotations arrive.</p>
      </EmptyState>
    </div>
  );
}
