/**
 * A map that keeps at most `capacity` entries, dropping the least recently used. For caches keyed
 * by text that callers control (workflow configurations, expressions), which must not grow with
 * every distinct value ever seen.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a whole number of at least 1, not ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached value, made the most recently used; or the one `make` returns, cached. */
  get(key: K, make: (key: K) => V): V {
    if (this.entries.has(key)) {
      const value = this.entries.get(key) as V;
      this.entries.delete(key);
      this.entries.set(key, value);
      return value;
    }
    const value = make(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as K);
    return value;
  }
}
