/** Data page section: Models. */
export function ModelsSection() {
  return (
    <section className="data-section" aria-labelledby="data-models">
      <h2 id="data-models">Models</h2>
      <p className="muted">The demo models and your own TF.js models.</p>
    </section>
  );
}
