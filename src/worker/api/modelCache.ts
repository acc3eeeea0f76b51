/**
 * Built models by id, least recently used first, with an optional limit: before another model is
 * built, the least recently used ones (never the one asked for) are dropped and handed to
 * `dispose` until there is room. A Map keeps insertion order; a use moves an id last.
 */
export class ModelCache<V> {
  private readonly items = new Map<string, V>();
  private limit = Infinity;

  constructor(private readonly dispose: (id: string, value: V) => void) {}

  /** At most `n` entries from now on (at least 1); applied when the next entry is added. */
  setLimit(n: number): void {
    this.limit = Math.max(1, Math.floor(n));
  }

  get size(): number {
    return this.items.size;
  }

  /** The entry, marked most recently used; undefined when absent. */
  use(id: string): V | undefined {
    const v = this.items.get(id);
    if (v !== undefined) {
      this.items.delete(id);
      this.items.set(id, v);
    }
    return v;
  }

  /** Ids, least recently used first. */
  ids(): string[] {
    return [...this.items.keys()];
  }

  /** Drops least recently used entries other than `id` until one more fits under the limit. */
  makeRoomFor(id: string): void {
    for (const [old, v] of this.items) {
      if (this.items.size < this.limit) return;
      if (old === id) continue;
      this.items.delete(old);
      this.dispose(old, v);
    }
  }

  /** Stores an entry as the most recently used (no eviction: call makeRoomFor first). */
  set(id: string, value: V): void {
    this.items.delete(id);
    this.items.set(id, value);
  }

  /** Removes an entry without disposing it; returns it. */
  take(id: string): V | undefined {
    const v = this.items.get(id);
    this.items.delete(id);
    return v;
  }

  /** Removes an entry if it is still this value (a failed build must not remove its replacement). */
  forget(id: string, value: V): void {
    if (this.items.get(id) === value) this.items.delete(id);
  }
}
