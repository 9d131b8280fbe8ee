/**
 * Answers computed at most once per `ttlMs` per key, and shared by the
 * callers that ask while one is being computed: for aggregates that are
 * expensive and may lag a few seconds (statistics, page totals), so that a
 * burst of requests costs one query instead of one each. A failed
 * computation is not kept. Holds at most `maxEntries` keys.
 */
export class ShortLivedCache<T> {
  private readonly entries = new Map<string, { expiresAt: number; value: Promise<T> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 1000,
  ) {}

  get(key: string, compute: () => Promise<T>): Promise<T> {
    if (this.ttlMs <= 0) return compute();
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    if (this.entries.size >= this.maxEntries) {
      for (const [k, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(k);
      if (this.entries.size >= this.maxEntries) this.entries.clear();
    }
    const value = compute();
    const entry = { expiresAt: now + this.ttlMs, value };
    this.entries.set(key, entry);
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return value;
  }

  /** Forgets every answer, e.g. after a write the caller wants to see at once. */
  clear(): void {
    this.entries.clear();
  }
}
