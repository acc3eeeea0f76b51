/** Data page section: Export and merge. */
export function ExportSection() {
  return (
    <section className="data-section" aria-labelledby="data-export">
      <h2 id="data-export">Export and merge</h2>
      <p className="muted">Project file, COCO, CSV, consensus masks, metrics; merge other readers' exports.</p>
    </section>
  );
}
