/** Data page section: Readers. */
export function ReadersSection() {
  return (
    <section className="data-section" aria-labelledby="data-readers">
      <h2 id="data-readers">Readers</h2>
      <p className="muted">Who reads, and whether readers are blinded to each other.</p>
    </section>
  );
}
