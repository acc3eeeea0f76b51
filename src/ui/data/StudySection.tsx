/** Data page section: Study. */
export function StudySection() {
  return (
    <section className="data-section" aria-labelledby="data-study">
      <h2 id="data-study">Study</h2>
      <p className="muted">Import a study: PNG, JPEG or DICOM images, a MURA folder, or a phantom study folder.</p>
    </section>
  );
}
