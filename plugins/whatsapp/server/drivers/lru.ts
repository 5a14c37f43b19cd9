/** A Map bounded to `max` entries that forgets the least recently used one; optional per-entry expiry. */
export class LruMap<K, V> {
  private readonly map = new Map<K, { value: V; expires: number }>()

  constructor(
    readonly max: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.map.size
  }

  get(key: K): V | undefined {
    const entry = this.map.get(key)
    if (!entry) return undefined
    if (entry.expires <= this.now()) {
      this.map.delete(key)
      return undefined
    }
    this.map.delete(key)
    this.map.set(key, entry)
    return entry.value
  }

  has(key: K): boolean {
    return this.get(key) !== undefined
  }

  set(key: K, value: V, ttlMs = Infinity): this {
    this.map.delete(key)
    this.map.set(key, { value, expires: this.now() + ttlMs })
    while (this.map.size > this.max) {
      const oldest = this.map.keys().next().value as K
      this.map.delete(oldest)
    }
    return this
  }

  /** Oldest first; an expired entry is listed until something reads it. */
  keys(): IterableIterator<K> {
    return this.map.keys()
  }

  delete(key: K): boolean {
    return this.map.delete(key)
  }

  clear(): void {
    this.map.clear()
  }
}
