/**
 * Built models by id, least recently used first, with an optional limit on their number and on
 * their bytes: before another model is built, and again once a built model's size is known, the
 * least recently used ones are dropped and handed to `dispose` until there is room. Never dropped:
 * the model asked for, and models pinned by work still running on them (they go once unpinned, if
 * still over). A Map keeps insertion order; a use moves an id last.
 */
export class ModelCache<V> {
  private readonly items = new Map<string, V>();
  private readonly sizes = new Map<string, number>();
  private readonly pins = new Map<string, number>();
  private limit = Infinity;
  private budget = Infinity;

  constructor(private readonly dispose: (id: string, value: V) => void) {}

  /** At most `n` entries from now on (at least 1); applied when the next entry is added. */
  setLimit(n: number): void {
    this.limit = Math.max(1, Math.floor(n));
  }

  /** At most `bytes` of models (as told by setSize) from now on; the most recently used one is always kept. */
  setBudget(bytes: number): void {
    this.budget = Math.max(0, bytes);
    this.trim();
  }

  /** Records an entry's size in bytes, then drops older entries while over the budget. */
  setSize(id: string, bytes: number): void {
    if (!this.items.has(id)) return;
    this.sizes.set(id, bytes);
    this.trim(id);
  }

  /** Bytes of the entries whose size is known. */
  get bytes(): number {
    let b = 0;
    for (const id of this.items.keys()) b += this.sizes.get(id) ?? 0;
    return b;
  }

  /** Marks an id in use: it is not dropped until as many unpin calls. */
  pin(id: string): void {
    this.pins.set(id, (this.pins.get(id) ?? 0) + 1);
  }

  unpin(id: string): void {
    const n = (this.pins.get(id) ?? 0) - 1;
    if (n > 0) this.pins.set(id, n);
    else {
      this.pins.delete(id);
      this.trim();
    }
  }

  /** Drops least recently used unpinned entries other than `keep` (and the most recent one) while over the byte budget. */
  private trim(keep?: string): void {
    if (this.bytes <= this.budget) return;
    const newest = [...this.items.keys()].pop();
    for (const [old, v] of [...this.items]) {
      if (this.bytes <= this.budget) return;
      if (old === keep || old === newest || this.pins.has(old)) continue;
      this.drop(old, v);
    }
  }

  private drop(id: string, v: V): void {
    this.items.delete(id);
    this.sizes.delete(id);
    this.dispose(id, v);
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

  /** Drops least recently used unpinned entries other than `id` until one more fits under the limit. */
  makeRoomFor(id: string): void {
    for (const [old, v] of [...this.items]) {
      if (this.items.size < this.limit) return;
      if (old === id || this.pins.has(old)) continue;
      this.drop(old, v);
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
    this.sizes.delete(id);
    return v;
  }

  /** Removes an entry if it is still this value (a failed build must not remove its replacement). */
  forget(id: string, value: V): void {
    if (this.items.get(id) === value) {
      this.items.delete(id);
      this.sizes.delete(id);
    }
  }
}
