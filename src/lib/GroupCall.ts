interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers calls into batches, each answered item by item: the calls made in
 * the same tick (e.g. the deliveries of one read from a message broker) go
 * together, and calls made while a batch is in flight go together right
 * after it. Under load, many callers share one statement; unloaded, a call
 * waits for nothing but the end of its own tick.
 *
 * When a batch of several fails, its items are called again one by one,
 * so one bad item fails only its own caller.
 */
export class GroupCall<T, R> {
  private waiting: Array<Waiting<T, R>> = [];
  private busy = false;

  /**
   * @param call - answers a batch of items, one result per item in their order
   * @param maxBatch - items called at most at once
   * @param startAtOnce - call an item added while nothing is in flight at
   *   once, alone, rather than after the current tick with the tick's others
   *   (for writes whose callers wait on them one by one)
   */
  constructor(
    private readonly call: (items: T[]) => Promise<R[]>,
    private readonly maxBatch = 100,
    private readonly startAtOnce = false,
  ) {}

  /** Resolves with the item's result, or rejects with the call's error. */
  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.busy) {
        this.busy = true;
        if (this.startAtOnce) void this.drain();
        // After the current tick, so that its other calls join the batch.
        else queueMicrotask(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.maxBatch);
        try {
          const results = await this.call(batch.map(w => w.item));
          batch.forEach((w, i) => w.resolve(results[i]));
        } catch (error) {
          if (batch.length === 1) {
            batch[0].reject(error);
            continue;
          }
          for (const w of batch) {
            await this.call([w.item]).then(([result]) => w.resolve(result), w.reject);
          }
        }
      }
    } finally {
      this.busy = false;
    }
  }
}
