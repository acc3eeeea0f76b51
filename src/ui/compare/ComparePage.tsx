import { EmptyState } from '../common/EmptyState';

export function ComparePage() {
  return (
    <div className="page" data-testid="page-compare">
      <h1 className="page-title">Compare</h1>
      <EmptyState title="No saliency maps yet">
        <p>Compare shows Grad-CAM, gradients, Integrated Gradients, SmoothGrad, Smooth IG and XRAI side by side over one case, for every model. Pick a case on <a href="#/annotate">Annotate</a> and models on <a href="#/data">Data</a>.</p>
      </EmptyState>
    </div>
  );
}
