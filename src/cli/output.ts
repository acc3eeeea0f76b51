/** Every command prints exactly one JSON document on stdout; diagnostics go to stderr. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function log(message: string): void {
  process.stderr.write(message + '\n');
}
